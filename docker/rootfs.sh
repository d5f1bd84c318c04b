#!/usr/bin/env bash
# Assembles the image's root filesystem in DIR: what the Dockerfile copies onto `scratch`, and
# what docker/test-empty-root.sh runs in a chroot, so that the test proves the image.
#   /tm-simulator /tm-conformance /tm-connector   the static executables (docker/build-static.sh)
#   /fixtures/                                     the suite's scenarios, snapshots and mappings
#   /tmp/                                          the runners' work directories (empty, 1777)
#   /etc/ssl/certs/ca-certificates.crt             the build machine's CA bundle (Debian's
#                                                  ca-certificates): the HTTP clients verify
#                                                  servers with the platform's roots, and fail to
#                                                  start without any (real Graph needs them)
set -euo pipefail
dest=${1:?usage: docker/rootfs.sh DIR}
cd "$(dirname "$0")/.."
bin=target/static/x86_64-unknown-linux-gnu/release
mkdir -p "$dest/tmp" "$dest/fixtures" "$dest/etc/ssl/certs"
install -m 0644 /etc/ssl/certs/ca-certificates.crt "$dest/etc/ssl/certs/ca-certificates.crt"
chmod 1777 "$dest/tmp"
for b in tm-simulator tm-conformance tm-connector; do
  # Stripped: the release profile keeps line tables for backtraces, ~4x the size.
  install -m 0755 -s "$bin/$b" "$dest/$b"
done
# The folders the suite reads (a scenario names its mapping relative to itself; samples and
# corpora are for tests, not for the suite).
cp -R fixtures/scenarios fixtures/expected fixtures/mappings "$dest/fixtures/"
