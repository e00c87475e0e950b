#!/usr/bin/env bash
# What `just test` needs beyond rustup, checked before anything is built, so a fresh machine
# learns it in one message instead of from a test failing twenty minutes in:
#   - the wasm32-wasip2 target (the scenarios and test guests);
#   - Node.js >= 20 with npm (the JavaScript SDK and its scenarios);
#   - Python 3 with venv (the Python SDK: build.sh pip-installs componentize-py into a venv);
#   - Debian's chromium (report.html and dashboard tests), prometheus and prometheus-pushgateway
#     (the live-outputs test), docker-registry (the OCI tests): real components the tests start
#     on 127.0.0.1 themselves.
# As root on a machine with apt-get (CI, a container) it installs what is missing; otherwise it
# prints the one command that would, and exits 1.
set -euo pipefail

if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-wasip2; then
    rustup target add wasm32-wasip2
fi

packages=()   # Debian packages to install
wants=()      # what they are for, said when they cannot be installed here
need_command() { # COMMAND PACKAGE WHY
    if ! command -v "$1" >/dev/null 2>&1; then
        packages+=("$2")
        wants+=("$1 ($3)")
    fi
}
need_command chromium chromium "report.html and dashboard tests"
need_command prometheus prometheus "live-outputs test"
need_command prometheus-pushgateway prometheus-pushgateway "live-outputs test"
need_command docker-registry docker-registry "OCI push/pull tests"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    packages+=(python3 python3-venv python3-pip)
    wants+=("python3 with venv (the Python SDK)")
fi
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v npm >/dev/null 2>&1 || (($(node_major) < 20)); then
    packages+=(nodejs npm)
    wants+=("Node.js >= 20 with npm (the JavaScript SDK)")
fi

if ((${#packages[@]} == 0)); then
    exit 0
fi
if ((EUID == 0)) && command -v apt-get >/dev/null 2>&1; then
    echo "installing what the tests need: ${packages[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    if (($(node_major) < 20)); then
        echo "error: Node.js $(node --version 2>/dev/null || echo none) is installed; the JavaScript SDK needs >= 20" \
            "(Debian 12 ships 18: install Node 20 from NodeSource, or use Debian 13)" >&2
        exit 1
    fi
    exit 0
fi
list=$(printf '%s, ' "${wants[@]}")
printf 'error: just test needs what this machine lacks: %s.\n' "${list%, }" >&2
printf 'On Debian or Ubuntu: sudo apt-get install -y %s (then run just test again)\n' "${packages[*]}" >&2
exit 1
