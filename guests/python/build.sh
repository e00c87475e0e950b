#!/usr/bin/env bash
# Builds a Python scenario into a Wasm component of world runner:scenario/scenario.
#
#   guests/python/build.sh SCENARIO_DIR OUT.wasm
#
# The checkout's build (an installed SDK has `runner-sdk-build SCENARIO_DIR OUT.wasm` instead).
# SCENARIO_DIR holds `app.py` (the module that assigns `Guest = export(MyScenario)`) and any
# modules it imports. The first run creates guests/python/.venv and installs the pinned
# componentize-py (requirements.txt) into it. A component newer than all of its inputs
# (the scenario, the SDK, wit/, requirements.txt) is left as it is; FORCE=1 rebuilds anyway.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 SCENARIO_DIR OUT.wasm" >&2
    exit 2
fi
sdk=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
wit="$sdk/../../wit"
src=$1
out=$2
[[ -f $src/app.py ]] || { echo "$src/app.py not found: a scenario is an app.py module" >&2; exit 1; }

venv="$sdk/.venv"
stamp="$venv/.requirements"
if ! cmp -s "$sdk/requirements.txt" "$stamp" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$sdk/requirements.txt"
    cp "$sdk/requirements.txt" "$stamp"
fi

if [[ -z ${FORCE:-} && -f $out ]] &&
    [[ -z $(find "$src" "$sdk/src" "$wit" "$sdk/requirements.txt" -newer "$out" -type f \
        ! -name '*.pyc' ! -name '*.wasm' -print -quit) ]]; then
    echo "$out is up to date" >&2
    exit 0
fi

# The same build as an installed SDK's `runner-sdk-build` (src/runner_sdk_build), with the venv's
# componentize-py; it reads the WIT through src/runner_sdk_build/wit, a link to the repo's wit/.
PYTHONPATH="$sdk/src" "$venv/bin/python" -m runner_sdk_build "$src" "$out"
