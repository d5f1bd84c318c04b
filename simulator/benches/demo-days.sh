#!/usr/bin/env bash
# The simulator's memory over the demo's three days, imported one after the other by the
# reference connector, as the README's hand run does: `tm-simulator serve` (the embedded demo
# scenario), then `tm-connector run` for 2026-11-21, -22 and -23 with one state directory.
#
#   simulator/benches/demo-days.sh                 # in memory
#   simulator/benches/demo-days.sh --data-dir      # with --data-dir (a temporary directory)
#
# Prints, after each day, the connector's exit code and time, the tenant's deliveries, and the
# simulator's resident memory (VmRSS) and peak (VmHWM); at the end, the sha256 of
# /sim/mailboxes (equal in both modes: the same runs give the same tenant). Release builds;
# SKIP_BUILD=1 uses target/release as it is; SIM_ARGS adds flags to `serve`. Loopback only; needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

DATA_DIR_MODE=0
[[ "${1:-}" == "--data-dir" ]] && DATA_DIR_MODE=1
for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release --locked -p tm-simulator -p tm-connector
fi
SIM=target/release/tm-simulator
CONNECTOR=target/release/tm-connector

WORK=$(mktemp -d /tmp/demo-days.XXXXXX)
SIM_PID=
cleanup() {
    [[ -n "$SIM_PID" ]] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

ARGS=(serve --listen 127.0.0.1:0)
[[ $DATA_DIR_MODE == 1 ]] && ARGS+=(--data-dir "$WORK/data")
# shellcheck disable=SC2206 # extra serve flags, split on spaces on purpose
ARGS+=(${SIM_ARGS:-})
"$SIM" "${ARGS[@]}" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SIM_PID=$!
for _ in $(seq 1 600); do
    grep -q 'TM_URL=' "$WORK/serve.out" 2>/dev/null && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
    sleep 0.1
done
BASE=$(grep -o 'TM_URL=http://[^ ]*' "$WORK/serve.out" | sed 's|TM_URL=||; s|/tm/v1$||')
echo "demo-days: simulator at $BASE (pid $SIM_PID)$([[ $DATA_DIR_MODE == 1 ]] && echo ", --data-dir $WORK/data")"

mem() { awk '/^VmRSS|^VmHWM/ {printf "%s %.1f MiB  ", $1, $2/1024}' "/proc/$SIM_PID/status"; }
echo "demo-days: after start: $(mem)"
for day in 21 22 23; do
    start=$(date +%s.%N)
    set +e
    TM_URL="$BASE/tm/v1" TM_USERNAME=archiver TM_PASSWORD=archiver-secret \
        GRAPH_URL="$BASE/graph/v1.0" GRAPH_TOKEN=tenant-secret STATE_DIR="$WORK/state" \
        RUST_LOG=warn "$CONNECTOR" run --run-at "2026-11-${day}T00:00:00Z" --report-path "$WORK/report-$day.json" \
        >"$WORK/connector-$day.out" 2>&1
    rc=$?
    set -e
    secs=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
    deliveries=$(curl -s "$BASE/sim/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deliveries"])')
    echo "demo-days: day 2026-11-$((day - 1)): connector exit $rc in ${secs} s, $deliveries deliveries in the tenant; $(mem)"
    [[ $rc == 0 ]] || { tail -20 "$WORK/connector-$day.out" >&2; exit 1; }
done
echo "demo-days: /sim/mailboxes sha256 $(curl -s "$BASE/sim/mailboxes" | sha256sum | cut -d' ' -f1)"
echo "demo-days: /sim/stats $(curl -s "$BASE/sim/stats")"
[[ $DATA_DIR_MODE == 1 ]] && echo "demo-days: data directory $(du -sm "$WORK/data" | cut -f1) MB on disk"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$SIM_PID/status")
echo "demo-days: simulator peak RSS (VmHWM) $((hwm / 1024)) MiB (target < 256 MB)"
