#!/usr/bin/env bash
# Runs Chorus: installs what is missing, builds the frontend, starts the
# collector on http://127.0.0.1:8080 with chorus.db.
#
# Sealing from the first run: unless you pass your own --surveys, the
# bundled surveys are served sealed to a demo key made here on first run
# (.chorus/demo.key, passphrase in .chorus/demo.passphrase; both ignored by
# git and never committed). A real deployment makes its key with
# `chorus keygen` on a researcher's own computer and puts only the public
# key into its survey files.
# Extra arguments go to `chorus serve` (for example --addr 0.0.0.0:8080).
source "$(dirname "$0")/setup.sh"

need_wasm_target
need_trunk
need_wasm_bindgen
need_wasm_opt
build_frontend
step "building the collector"
cargo build --release --locked --bin chorus
chorus=target/release/chorus

serve_args=("$@")
if ! printf '%s\n' "$@" | grep -q -- '^--surveys'; then
    demo=.chorus
    if [ ! -f "$demo/demo.key" ]; then
        step "making the demo key ($demo/demo.key) that the bundled surveys are sealed to"
        mkdir -p "$demo"
        chmod 700 "$demo"
        # A random passphrase kept beside the key: this is a demo key only.
        head -c 18 /dev/urandom | base64 > "$demo/demo.passphrase"
        chmod 600 "$demo/demo.passphrase"
        "$chorus" keygen --out "$demo/demo.key" --passphrase-file "$demo/demo.passphrase" > "$demo/demo.pub.txt"
    fi
    public_key=$(head -n 1 "$demo/demo.pub.txt")
    mkdir -p "$demo/surveys"
    for file in surveys/library/*.toml; do
        # The bundled file with the demo key in front (TOML keys must come
        # before the first table), unless it lists keys of its own.
        if grep -q '^public_keys' "$file"; then
            cp "$file" "$demo/surveys/"
        else
            { printf 'public_keys = ["%s"]\n' "$public_key"; cat "$file"; } > "$demo/surveys/$(basename "$file")"
        fi
    done
    echo "Answers are sealed to the demo key; open them with:"
    echo "  $chorus export ost-hiv-access --surveys $demo/surveys --key $demo/demo.key --passphrase-file $demo/demo.passphrase --out ost.csv"
    serve_args+=(--surveys "$demo/surveys")
fi
step "starting the collector"
exec "$chorus" serve "${serve_args[@]}"
