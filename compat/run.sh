#!/usr/bin/env bash
# Outside checks of a running simulator, as CI runs them (after the release build):
#  1. the official Microsoft Graph SDK for Python (msgraph-sdk + azure-identity, pinned in
#     compat/graph-sdk/requirements.txt, installed in a virtualenv) over `serve --tls`: check.py,
#     then imports.py (the import paths: MIME create, move, beta importMime) on the same simulator;
#     then access.py against it (the 4 MB cap) and a second one (compat/graph-sdk/access.toml);
#  2. compat/contract-check against `serve` over plain HTTP;
#  3. /openapi.json validated (openapi-spec-validator) and every operation it describes fuzzed by
#     schemathesis (both pinned in compat/schemathesis/requirements.txt, in a second virtualenv).
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
(cd compat/graph-sdk && "$venv/bin/python" imports.py --sim "$base" --ca-file "$work/ca.pem")

echo "-- msgraph-sdk (Python): users paged at 100, permissions, scope, the 4 MB cap"
(cd compat/graph-sdk && "$venv/bin/python" access.py --tenant default --sim "$base" --ca-file "$work/ca.pem")
start --tls --tls-ca-file "$work/ca-access.pem" --scenario compat/graph-sdk/access.toml
(cd compat/graph-sdk && "$venv/bin/python" access.py --tenant access --sim "$base" --ca-file "$work/ca-access.pem")

echo "-- contract-check over HTTP"
start
# 5,000 items cover the demo's whole first day (~4,000 items), which holds the day's 10 MiB
# boundary items wherever the traffic's draws put them (coverage.size_*); ~8 s.
python3 compat/contract-check/contract-check.py --base "$base" --username archiver --password archiver-secret \
  --tenant-token tenant-secret --max-items 5000 | tail -3

echo "-- /openapi.json: openapi-spec-validator, then schemathesis on every operation"
st_venv=$(realpath -m "${SCHEMATHESIS_VENV:-target/schemathesis-venv}")
if [ ! -x "$st_venv/bin/python" ]; then python3 -m venv "$st_venv"; fi
"$st_venv/bin/pip" install --quiet --disable-pip-version-check -r compat/schemathesis/requirements.txt
start --scenario compat/schemathesis/scenario.toml
curl -sSf -o "$work/openapi.json" "$base/openapi.json"
"$st_venv/bin/openapi-spec-validator" "$work/openapi.json"
# One message in the mailbox's inbox (archive item fuzz-01, imported as a connector would), so
# that the message operations have one to find; its id goes to the fuzzer's path parameters.
session=$(curl -sSf -H 'Content-Type: application/json' -d '{"username":"archiver","password":"archiver-secret"}' "$base/tm/v1/session")
vendor_token=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' <<<"$session")
curl -sSf -H "Authorization: Bearer $vendor_token" -o "$work/fuzz-01.eml" "$base/tm/v1/items/fuzz-01/raw"
imported=$(base64 -w0 "$work/fuzz-01.eml" | curl -sSf -H 'Authorization: Bearer tenant-secret' -H 'Content-Type: text/plain' \
  --data-binary @- "$base/graph/v1.0/users/fuzz.user@contoso.onmicrosoft.com/mailFolders/inbox/messages")
export MESSAGE_ID
MESSAGE_ID=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' <<<"$imported")
# Every check but positive_data_acceptance (compat/schemathesis/README.md says why); POST /sim/reset
# last, on its own, as it empties the tenant the others are fuzzed against. One worker: with two
# threads, hypothesis's ast.parse on CPython 3.11 now and then fails with "SystemError: AST
# constructor recursion depth mismatch" (the AST state is shared between threads,
# https://github.com/python/cpython/issues/106905); CI met it once.
st() {
  "$st_venv/bin/schemathesis" --config-file compat/schemathesis/schemathesis.toml run "$base/openapi.json" --url "$base" \
    --checks all --exclude-checks positive_data_acceptance --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
    --phases examples,coverage,fuzzing --no-color --workers 1 "$@"
}
st --exclude-path /sim/reset
st --include-path /sim/reset
