#!/usr/bin/env bash
# Validates Kubernetes manifests (the YAML `runner k8s` writes) against the API's schemas, in
# strict mode (a field the schema does not know is an error, not silently dropped by the API
# server). Usage: scripts/k8s-validate.sh FILE.yaml...
#
# kubernetes-validate (PyPI, pinned) ships the schemas of every recent Kubernetes release, so no
# cluster is needed. Its venv is cached outside the clone, keyed by version, so a fresh clone does
# not reinstall it. KUBERNETES_VERSION picks the release to check against (default below: the
# oldest one still widely run that has everything the manifests use).
set -euo pipefail

VALIDATE_VERSION=1.37.0
K8S_VERSION="${KUBERNETES_VERSION:-1.31.0}"
cache="${RUNNER_CACHE:-$HOME/.cache/runner}"
venv="$cache/venv-k8s-$VALIDATE_VERSION"

if [[ $# -eq 0 ]]; then
    echo "usage: $0 FILE.yaml..." >&2
    exit 2
fi
if [[ ! -x $venv/bin/kubernetes-validate ]]; then
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        echo "python3 with venv and ensurepip is needed (Debian: python3-venv)" >&2
        exit 1
    fi
    echo "installing kubernetes-validate $VALIDATE_VERSION into $venv" >&2
    rm -rf "$venv.tmp"
    python3 -m venv "$venv.tmp" >&2
    "$venv.tmp/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VALIDATE_VERSION" >&2
    # Moved into place only when whole, so an interrupted install is not taken for a finished one.
    rm -rf "$venv" && mv "$venv.tmp" "$venv"
fi
# Moving the venv leaves its scripts' shebangs pointing at the .tmp path: run the module instead.
exec "$venv/bin/python" -m kubernetes_validate --strict --kubernetes-version "$K8S_VERSION" "$@"
