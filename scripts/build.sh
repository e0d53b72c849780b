#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configures and builds into BUILD_DIR (default: build). Extra args go to cmake.
#   scripts/build.sh                     release-with-debug-info build in ./build
#   BUILD_DIR=build-asan scripts/build.sh -DQUIK_SANITIZE=ON
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-2}"
