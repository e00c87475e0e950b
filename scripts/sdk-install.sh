#!/usr/bin/env bash
# The SDKs as a user gets them from a release, without publishing anything: each SDK is packed
# the way its registry would receive it (`cargo package`, `npm pack`, `pip wheel`), a project is
# made with `runner new NAME --lang LANG` and *no* --sdk (so it asks for runner-sdk by version),
# its dependency is pointed at the packed SDK (cargo's [patch], `npm install TARBALL`, pip's
# --find-links), it is built with its one command and played for a second. Too slow for the test
# suite (npm and pip fetch the build tools; a few minutes); guests/js/test/pack.test.mjs and
# guests/python/tests/test_wheel.py check the package contents fast.
#
#   scripts/sdk-install.sh [RUNNER] [LANGS]   # RUNNER default target/release/runner; LANGS "rust js python"
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runner=$(realpath "${1:-target/release/runner}")
langs=${2:-rust js python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A component, not a core module: `\0asm`, then version 0x0d and layer 1.
is_component() {
    [[ $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 0061736d0d000100 ]] ||
        { echo "$1 is not a Wasm component" >&2; exit 1; }
}

play() {
    "$runner" play "$1" --quiet --out "$tmp/run-$2" -p vus=2 -p duration=1s -p max_tokens=4 --mock ttft=5ms,itl=1ms
    echo "$2: $1 played" >&2
}

for lang in $langs; do
    start=$SECONDS
    case $lang in
    rust)
        cargo package -p runner-contract -p runner-sdk --locked --allow-dirty --no-verify --quiet
        for c in runner-contract runner-sdk; do tar -xzf "target/package/$c-0.1.0.crate" -C "$tmp"; done
        (cd "$tmp" && "$runner" new probe-rs >/dev/null)
        grep -q '^runner-sdk = "0.1.0"$' "$tmp/probe-rs/Cargo.toml"
        (cd "$tmp/probe-rs" && CARGO_TARGET_DIR="$repo/target" cargo build --release --target wasm32-wasip2 --quiet \
            --config "patch.crates-io.runner-sdk.path='$tmp/runner-sdk-0.1.0'" \
            --config "patch.crates-io.runner-contract.path='$tmp/runner-contract-0.1.0'")
        wasm=$repo/target/wasm32-wasip2/release/probe_rs.wasm
        ;;
    js)
        (cd guests/js && npm pack --silent --pack-destination "$tmp" >/dev/null)
        (cd "$tmp" && "$runner" new probe-js --lang js >/dev/null)
        (cd "$tmp/probe-js" && npm install --silent --prefer-offline --no-audit --no-fund "$tmp/runner-sdk-0.1.0.tgz" &&
            npm run build --silent)
        wasm=$tmp/probe-js/probe-js.wasm
        ;;
    python)
        python3 -m pip wheel --no-deps --quiet --disable-pip-version-check guests/python -w "$tmp/wheels"
        rm -rf guests/python/build guests/python/src/*.egg-info
        (cd "$tmp" && "$runner" new probe-py --lang python >/dev/null)
        PIP_FIND_LINKS="$tmp/wheels" "$tmp/probe-py/build.sh"
        wasm=$tmp/probe-py/probe-py.wasm
        ;;
    *) echo "unknown language $lang" >&2; exit 2 ;;
    esac
    is_component "$wasm"
    echo "$lang: packed, installed and built in $((SECONDS - start)) s ($(du -h "$wasm" | cut -f1))" >&2
    play "$wasm" "$lang"
done
