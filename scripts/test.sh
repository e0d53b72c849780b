#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing, builds,
# runs every test through ctest.
#   scripts/test.sh                  normal build in ./build
#   QUIK_SANITIZE=1 scripts/test.sh  ASan + UBSan build in ./build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ "${QUIK_SANITIZE:-0}" = 1 ]; then
  export BUILD_DIR=${BUILD_DIR:-build-asan}
  scripts/build.sh -DQUIK_SANITIZE=ON
else
  export BUILD_DIR=${BUILD_DIR:-build}
  scripts/build.sh
fi
cd "$BUILD_DIR"
ctest --output-on-failure -j "${JOBS:-2}" --timeout 900
