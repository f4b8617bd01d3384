# Sourced by scripts/run.sh and scripts/test.sh. Each step installs what is
# missing and skips what is already there, so both scripts work on a fresh
# machine and cost nothing on a prepared one.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
# hpke-js, the independent HPKE that seal's interoperability test opens and
# seals envelopes with (X-Wing as in draft-connolly-cfrg-xwing-kem-06).
HPKE_CORE_VERSION=1.9.0
HPKE_XWING_VERSION=0.7.0
HPKE_CHACHA_VERSION=1.8.0
# axe-core, the accessibility checker the browser tests inject into every
# screen of both runners (tests/e2e/nojs.rs).
AXE_CORE_VERSION=4.10.3
# The CLI must equal the wasm-bindgen crate in Cargo.lock, or Trunk refuses.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

step() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

need_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        step "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
}

need_trunk() {
    if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
        step "installing trunk $TRUNK_VERSION (about 6 minutes on 2 cores)"
        cargo install trunk --version "$TRUNK_VERSION" --locked
    fi
}

need_wasm_bindgen() {
    if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
        step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
        # Not --locked: that lock file names a crate version the registry no longer has.
        cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
    fi
}

need_wasm_opt() {
    # Debian's binaryen is too old for the wasm Rust 1.95 emits; npm's is not.
    if [ "$(wasm-opt --version 2>/dev/null)" != "wasm-opt version $BINARYEN_VERSION (version_$BINARYEN_VERSION)" ]; then
        step "installing wasm-opt (npm binaryen@$BINARYEN_VERSION.0.0) into .tools/"
        if ! command -v npm >/dev/null; then
            as_root apt-get update
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
        fi
        mkdir -p .tools
        npm install --prefix .tools --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION.0.0"
    fi
}

need_hpke_js() {
    # An independent HPKE (hpke-js) for seal's interoperability test
    # (seal/tests/interop.rs), run by the machine's Node.js.
    local want="$HPKE_CORE_VERSION $HPKE_XWING_VERSION $HPKE_CHACHA_VERSION" have
    have=$(node -e '
        const v = (p) => { try { return require(`./.tools/node_modules/${p}/package.json`).version; } catch { return "-"; } };
        console.log(["@hpke/core", "@hpke/hybridkem-x-wing", "@hpke/chacha20poly1305"].map(v).join(" "));
    ' 2>/dev/null || true)
    if [ "$have" != "$want" ]; then
        step "installing hpke-js (@hpke/core@$HPKE_CORE_VERSION, @hpke/hybridkem-x-wing@$HPKE_XWING_VERSION, @hpke/chacha20poly1305@$HPKE_CHACHA_VERSION) into .tools/"
        if ! command -v npm >/dev/null; then
            as_root apt-get update
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
        fi
        mkdir -p .tools
        npm install --prefix .tools --no-audit --no-fund --silent --save-exact \
            "@hpke/core@$HPKE_CORE_VERSION" \
            "@hpke/hybridkem-x-wing@$HPKE_XWING_VERSION" \
            "@hpke/chacha20poly1305@$HPKE_CHACHA_VERSION"
    fi
}

need_axe() {
    # axe-core for the accessibility checks of tests/e2e/nojs.rs, which
    # read .tools/node_modules/axe-core/axe.min.js and inject it.
    local have
    have=$(node -e '
        try { console.log(require("./.tools/node_modules/axe-core/package.json").version); } catch { console.log("-"); }
    ' 2>/dev/null || true)
    if [ "$have" != "$AXE_CORE_VERSION" ]; then
        step "installing axe-core@$AXE_CORE_VERSION into .tools/"
        if ! command -v npm >/dev/null; then
            as_root apt-get update
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
        fi
        mkdir -p .tools
        npm install --prefix .tools --no-audit --no-fund --silent --save-exact \
            "axe-core@$AXE_CORE_VERSION"
    fi
}

need_chromium() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        step "installing Debian's chromium and chromium-driver"
        as_root apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
    fi
}

# Debian's PostgreSQL server, for the tests that run Chorus on PostgreSQL:
# they make and start a throwaway cluster themselves (tests/e2e/pg.rs), so
# the package's own cluster is neither needed nor started here.
need_postgres() {
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v runuser >/dev/null; then
        step "installing Debian's postgresql"
        as_root apt-get update
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql util-linux
    fi
}

build_frontend() {
    step "building the frontend (trunk, release)"
    trunk build --release --offline
}
