#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what is missing, builds quikctl and runs the server in the
# foreground on the data dir $QUIK_DATA_DIR (default ./quik-data), which it
# initialises on the first start. Extra arguments go to `quikctl serve`:
#   scripts/serve.sh                         http://127.0.0.1:8470
#   scripts/serve.sh --listen 0.0.0.0:8470   every interface
set -euo pipefail
cd "$(dirname "$0")/.."
# Install and build output goes to stderr: stdout carries only the server's
# listening line, as with quikctl serve itself.
scripts/install-deps.sh >&2
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" --target quikctl >&2
exec "$BUILD_DIR/cli/quikctl" --data-dir "${QUIK_DATA_DIR:-./quik-data}" serve "$@"
