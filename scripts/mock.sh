# Sourced by the bench scripts: a work folder and a `runner mock` in the background, both gone
# when the script exits, however it exits.

work=$(mktemp -d)
mock_pid=
cleanup() {
    # `wait` reports the mock's SIGTERM as 143: under `set -e` that must not become the script's status.
    if [[ -n $mock_pid ]]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# start_mock PORT CMD...: runs CMD (`runner mock --addr 127.0.0.1:PORT …`, maybe behind taskset)
# in the background, logging to $work/mock.log, and waits until PORT accepts connections.
start_mock() {
    local port=$1
    shift
    "$@" >"$work/mock.log" 2>&1 &
    mock_pid=$!
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "runner mock did not start on port ${port}" >&2
    exit 1
}
