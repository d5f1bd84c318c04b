#!/usr/bin/env bash
# How soon `tm-simulator serve` answers after it starts on a large day, and its memory:
#
#   simulator/benches/first-answer.sh [SCENARIO]   # default fixtures/scenarios/bench/million-day.toml
#
# Starts the release binary on 127.0.0.1:0, polls until the vendor login answers 200, prints the
# time from start to that answer, then lists the first 1,000 items (sizes and digests computed on
# that first listing) and prints its time and the process's VmRSS and VmHWM. SKIP_BUILD=1 uses
# target/release as it is. Loopback only; needs curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
SCENARIO=${1:-fixtures/scenarios/bench/million-day.toml}
command -v curl >/dev/null || { echo "missing: curl" >&2; exit 2; }
[[ "${SKIP_BUILD:-0}" == 1 ]] || cargo build --release --locked -p tm-simulator
OUT=$(mktemp)
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -f "$OUT"' EXIT
start=$(date +%s.%N)
target/release/tm-simulator serve --scenario "$SCENARIO" --listen 127.0.0.1:0 >"$OUT" 2>/dev/null &
PID=$!
until grep -q 'TM_URL=' "$OUT" 2>/dev/null; do
    kill -0 "$PID" 2>/dev/null || { echo "the simulator exited" >&2; exit 1; }
    sleep 0.02
done
URL=$(grep -o 'TM_URL=http://[^ ]*' "$OUT" | sed 's|TM_URL=||')
login() { curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' \
    -d '{"username":"archiver","password":"archiver-secret"}' "$URL/session"; }
until [[ "$(login)" == 200 ]]; do sleep 0.02; done
ready=$(date +%s.%N)
echo "first-answer: $(head -1 "$OUT")"
echo "first-answer: first answer $(awk "BEGIN {printf \"%.2f\", $ready - $start}") s after start"
TOKEN=$(curl -s -X POST -H 'content-type: application/json' -d '{"username":"archiver","password":"archiver-secret"}' "$URL/session" \
    | sed 's/.*"token":"\([^"]*\)".*/\1/')
t0=$(date +%s.%N)
n=$(curl -s -H "Authorization: Bearer $TOKEN" "$URL/items?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=1000" | grep -o '"id"' | wc -l)
t1=$(date +%s.%N)
echo "first-answer: first listing page ($n items, sizes and digests computed) in $(awk "BEGIN {printf \"%.2f\", $t1 - $t0}") s"
awk '/^VmRSS|^VmHWM/ {printf "first-answer: %s %.0f MiB\n", $1, $2/1024}' "/proc/$PID/status"
