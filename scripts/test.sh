#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite from a fresh clone: installs what is missing, builds,
# runs the tests. CI (.ci/run) runs exactly this. Stages, in this order:
#   normal  build/       every ctest test
#   asan    build-asan/  every ctest test, AddressSanitizer + UndefinedBehaviorSanitizer
#   tsan    build-tsan/  ThreadSanitizer: the unit tests and the realtime integration tests
#                        (the integration binary holds only their files in this build)
#   fuzz    build-fuzz/  every libFuzzer target (clang) for QUIK_FUZZ_SECONDS (20) from
#                        its seed corpus tests/fuzz/corpus/<target>/
# QUIK_STAGES picks some (comma-separated): QUIK_STAGES=normal,tsan scripts/test.sh. The
# default, what CI runs, is asan,fuzz: asan runs every test that normal runs, and CI's 2 cores
# have room for no more within its hour (README "Run it, test it" has the times); normal and
# tsan run locally. Each stage prints its time.
# JOBS (default 2) is the build and ctest parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

STAGES=${QUIK_STAGES:-asan,fuzz}
if [ "${QUIK_SANITIZE:-0}" = 1 ] && [ -z "${QUIK_STAGES:-}" ]; then STAGES=asan; fi  # the old switch
JOBS=${JOBS:-2}
# Sanitizer builds keep line tables only (stack traces keep file:line) and
# leave out the benchmarks. ASan + UBSan at -O0 compiles in half the time of
# -O1 (UBSan's checks are what -O1 spends it on) and runs the suite about a
# third slower; TSan keeps -O1, which it needs to run at a usable speed. The
# fuzz build keeps assertions (Beast's among them).
ASAN_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O0 -g1 -DNDEBUG"
  -DQUIK_BUILD_BENCHES=OFF)
SAN_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
  -DQUIK_BUILD_BENCHES=OFF)
FUZZ_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1")

ctest_in() {  # DIR [ctest args...]
  local dir=$1
  shift
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" --timeout 900 "$@")
}

stage_normal() {
  BUILD_DIR=build scripts/build.sh
  ctest_in build
}

stage_asan() {
  BUILD_DIR=build-asan scripts/build.sh -DQUIK_SANITIZE=ON "${ASAN_FLAGS[@]}"
  ctest_in build-asan
}

stage_tsan() {
  # Only what the TSan tests run: no benchmarks, no install test.
  cmake -S . -B build-tsan -G Ninja -DQUIK_TSAN=ON "${SAN_FLAGS[@]}" >/dev/null
  cmake --build build-tsan -j "$JOBS" --target quik_unit_tests quik_integration_tests
  # The integration tests tagged [realtime] (WebSocket and long-poll), by name.
  local names realtime
  # Catch2 exits with the number of names it lists: not a failure.
  names=$(build-tsan/tests/quik_integration_tests --list-test-names-only '[realtime]') || true
  if [ -z "$names" ]; then
    echo "test.sh: the tsan build lists no [realtime] integration tests" >&2
    exit 1
  fi
  realtime=$(printf '%s\n' "$names" |
    sed -e '/^$/d' -e 's/[][\.*^$+?(){}|]/\\&/g' -e 's/^/^integration: ?/' -e 's/$/$/' | paste -sd'|')
  # setarch -R: TSan needs its fixed memory layout, which some kernels' ASLR breaks.
  (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" setarch "$(uname -m)" -R \
    ctest --output-on-failure -j "$JOBS" --timeout 900 -R "^unit:|$realtime")
}

stage_fuzz() {
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DQUIK_FUZZ=ON -DQUIK_BUILD_TESTS=OFF \
    -DQUIK_WERROR=OFF "${FUZZ_FLAGS[@]}" -DQUIK_FUZZ_SECONDS="${QUIK_FUZZ_SECONDS:-20}" >/dev/null
  cmake --build build-fuzz -j "$JOBS" --target quik_fuzz
  ctest_in build-fuzz -R '^fuzz: '
}

summary=()
IFS=, read -ra selected <<<"$STAGES"
for stage in "${selected[@]}"; do
  case "$stage" in
    normal | asan | tsan | fuzz) ;;
    *)
      echo "test.sh: unknown stage '$stage' in QUIK_STAGES (known: normal,asan,tsan,fuzz)" >&2
      exit 2
      ;;
  esac
  echo "test.sh: stage $stage"
  start=$SECONDS
  "stage_$stage"
  echo "test.sh: stage $stage passed in $((SECONDS - start))s"
  summary+=("$stage $((SECONDS - start))s")
done
echo "test.sh: passed: ${summary[*]}"
