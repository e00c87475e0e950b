#!/usr/bin/env bash
# Unit tests of the SDK's pure parts (parsing, prompts, builders, error mapping), run on the
# machine's CPython against the stub bindings `componentize-py bindings` generates from wit/
# (the real ones exist only inside a component). Uses build.sh's venv.
set -euo pipefail
sdk=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv="$sdk/.venv"
if ! cmp -s "$sdk/requirements.txt" "$venv/.requirements" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$sdk/requirements.txt"
    cp "$sdk/requirements.txt" "$venv/.requirements"
fi
stubs=$(mktemp -d)
trap 'rm -rf "$stubs"' EXIT
"$venv/bin/componentize-py" -q -d "$sdk/../../wit" -w scenario bindings "$stubs"
PYTHONPATH="$stubs:$sdk/src" PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s "$sdk/tests" -t "$sdk" "$@"
