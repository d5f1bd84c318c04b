#!/usr/bin/env bash
# The static executables in an empty root: no libc, no dynamic loader, no /etc but a CA bundle, nothing but what
# docker/rootfs.sh puts there (the image's layout). Checks that no executable asks for a loader or
# a shared library, then, in a chroot with an empty environment: `tm-simulator serve` configured
# by environment variables alone, on 0.0.0.0 inside, answering from outside on 127.0.0.1; and
# `tm-conformance run` judging the reference connector on two scenarios.
# Needs root for chroot (CI runs as root); else it tries an unprivileged user namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$root"
}
trap cleanup EXIT
docker/rootfs.sh "$root"

chroot=$(command -v chroot)
unshare=$(command -v unshare)
# An empty environment (no PATH, no HOME): only the variables given.
in_root() {
  if [ "$(id -u)" = 0 ]; then
    env -i "$@" "$chroot" "$root" "${cmd[@]}"
  else
    env -i "$@" "$unshare" --map-root-user "$chroot" "$root" "${cmd[@]}"
  fi
}

echo "-- no loader, no shared library"
for b in tm-simulator tm-conformance tm-connector; do
  if readelf -lW "$root/$b" | grep -q 'INTERP'; then echo "$b asks for a dynamic loader"; exit 1; fi
  if readelf -dW "$root/$b" | grep -q '(NEEDED)'; then echo "$b needs shared libraries:"; readelf -dW "$root/$b" | grep NEEDED; exit 1; fi
  echo "$b: static ($(du -h "$root/$b" | cut -f1))"
done
extra=$(cd "$root" && find . -mindepth 1 -not -path './fixtures*' -not -name 'tm-*' | sort | tr '\n' ' ')
[ "$extra" = "./etc ./etc/ssl ./etc/ssl/certs ./etc/ssl/certs/ca-certificates.crt ./tmp " ] || { echo "the root holds more than the image: $extra"; exit 1; }

echo "-- tm-simulator serve in the empty root, configured by environment variables only"
out="$root.serve.log"
# Started directly in the background (not through the function, whose subshell would be the pid
# killed): env execs chroot, which execs the server, so $! is the server's own pid.
serve_env=(TM_SIMULATOR_LISTEN=0.0.0.0:0 TM_SIMULATOR_THREADS=2)
if [ "$(id -u)" = 0 ]; then
  env -i "${serve_env[@]}" "$chroot" "$root" /tm-simulator serve >"$out" 2>&1 &
else
  env -i "${serve_env[@]}" "$unshare" --map-root-user "$chroot" "$root" /tm-simulator serve >"$out" 2>&1 &
fi
server=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*TM_URL=http://[0-9.]*:\([0-9]*\)/tm/v1.*|\1|p' "$out" | head -1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "serve printed no address:"; cat "$out"; exit 1; }
grep -q 'TM_URL=http://0.0.0.0:' "$out" || { echo "serve does not listen on 0.0.0.0:"; cat "$out"; exit 1; }
base="http://127.0.0.1:$port"
curl -sSf -o /dev/null "$base/openapi.json"
token=$(curl -sSf -H 'Content-Type: application/json' -d '{"username":"archiver","password":"archiver-secret"}' "$base/tm/v1/session" |
  sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "no vendor session"; exit 1; }
items=$(curl -sSf -H "Authorization: Bearer $token" "$base/tm/v1/items?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z" | grep -o '"id"' | wc -l)
[ "$items" -gt 0 ] || { echo "the vendor listing is empty"; exit 1; }
echo "serve answers on $base (a listing of $items items)"
kill "$server"; wait "$server" 2>/dev/null || true; server=""
rm -f "$out"

echo "-- tm-conformance run in the empty root (the reference connector, in-process)"
cmd=(/tm-conformance run)
if ! in_root TM_CONFORMANCE_FIXTURES=/fixtures TM_CONFORMANCE_SCENARIO=window,route-drop >"$root.run.log" 2>&1; then
  cat "$root.run.log"; rm -f "$root.run.log"; exit 1
fi
grep -q "0 failed" "$root.run.log" || { cat "$root.run.log"; rm -f "$root.run.log"; exit 1; }
tail -1 "$root.run.log"
rm -f "$root.run.log"
echo "ok: the static executables run in an empty root"
