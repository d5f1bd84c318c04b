#!/usr/bin/env bash
# Builds tm-simulator, tm-conformance and tm-connector as static executables (glibc linked in
# with crt-static: no dynamic loader, no shared library, so they run on `scratch`) into
# target/static/x86_64-unknown-linux-gnu/release/. A separate target directory: the flags differ
# from the ordinary build's, which would otherwise be rebuilt each time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked \
  --target x86_64-unknown-linux-gnu --target-dir target/static \
  -p tm-simulator -p tm-conformance -p tm-connector
