#!/usr/bin/env bash
# Outside checks of a running simulator, as CI runs them (after the release build):
#  1. the official Microsoft Graph SDK for Python (msgraph-sdk + azure-identity, pinned in
#     compat/graph-sdk/requirements.txt, installed in a virtualenv) over `serve --tls`;
#  2. compat/contract-check against `serve` over plain HTTP.
# Each simulator listens on a free loopback port, read back from what it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
sim=${TM_SIMULATOR:-target/release/tm-simulator}
venv=$(realpath -m "${GRAPH_VENV:-target/graph-venv}")
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

# Starts `tm-simulator serve ARGS…` on a free port; sets $base to its URL.
start() {
  local log="$work/serve-$#-$RANDOM.log"
  "$sim" serve --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    if grep -q "Ctrl-C stops." "$log"; then
      base=$(sed -n 's/.*GRAPH_URL=\(https\?:\/\/[^ ]*\)\/graph\/v1.0.*/\1/p' "$log" | head -1)
      return 0
    fi
    sleep 0.1
  done
  cat "$log"
  echo "the simulator did not start" >&2
  return 1
}

echo "-- msgraph-sdk (Python) over TLS"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r compat/graph-sdk/requirements.txt
start --tls --tls-ca-file "$work/ca.pem" --scenario compat/graph-sdk/scenario.toml
(cd compat/graph-sdk && "$venv/bin/python" check.py --sim "$base" --ca-file "$work/ca.pem")

echo "-- contract-check over HTTP"
start
python3 compat/contract-check/contract-check.py --base "$base" --username archiver --password archiver-secret \
  --tenant-token tenant-secret --max-items 500 | tail -3
