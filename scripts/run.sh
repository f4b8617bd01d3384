#!/usr/bin/env bash
# Runs Chorus: installs what is missing, builds the frontend, starts the
# collector on http://127.0.0.1:8080 with chorus.db and surveys/library.
# Extra arguments go to `chorus serve` (for example --addr 0.0.0.0:8080).
source "$(dirname "$0")/setup.sh"

need_wasm_target
need_trunk
need_wasm_bindgen
need_wasm_opt
build_frontend
step "building and starting the collector"
cargo run --release --locked --bin chorus -- serve "$@"
