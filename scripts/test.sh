#!/usr/bin/env bash
# Runs every test: formatting, lints, unit tests, API and CLI tests against a
# real collector, and the browser test in headless Chromium. Installs what is
# missing first.
source "$(dirname "$0")/setup.sh"

need_wasm_target
need_trunk
need_wasm_bindgen
need_wasm_opt
need_chromium
need_hpke_js
need_axe
need_postgres

step "formatting"
cargo fmt --all --check

build_frontend

step "lints"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings

step "tests"
cargo test --locked
cargo test --locked -p frontend

step "the API, admin, CLI, publication and privacy suites again, on PostgreSQL"
# The same binaries (no rebuild); every collector and command of these
# suites on a fresh database of a PostgreSQL server the tests start.
CHORUS_TEST_BACKEND=postgres cargo test --locked --test e2e -- \
    api:: admin:: cli:: remote:: privacy:: store::

step "the survey engine on wasm32 (Node.js) agrees with the native one"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --locked -p surveys --target wasm32-unknown-unknown --test agreement
