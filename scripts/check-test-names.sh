#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that every Catch2 test case reaches ctest intact, so that no test
# "passes" without running (run by ctest from the build dir):
#   check-test-names.sh CTEST PREFIX BINARY [PREFIX BINARY ...]
# For each Catch2 BINARY whose ctest entries are named PREFIX + test name:
# - no test name holds a character that ctest discovery splits or Catch2's
#   test spec reads as syntax (; \ " * and leading or trailing blanks);
# - the ctest entries are exactly the test cases, one each, same names;
# - every entry runs Catch2 with --warn NoTests, and a name that matches no
#   test case then fails.
set -uo pipefail
ctest=$1
shift
entries_json=$("$ctest" --show-only=json-v1) || {
  echo "ctest --show-only=json-v1 failed" >&2
  exit 1
}
failed=0
fail() {
  echo "FAIL: $*" >&2
  failed=1
}
while [ $# -ge 2 ]; do
  prefix=$1 binary=$2
  shift 2
  # --list-test-names-only exits with the number of tests.
  names=$("$binary" --list-test-names-only | sed '/^$/d' | LC_ALL=C sort)
  [ -n "$names" ] || fail "$binary lists no tests"
  bad=$(grep -nE '[;\\"*]|^[[:space:]]|[[:space:]]$' <<<"$names")
  [ -z "$bad" ] || fail "test names of $binary that ctest cannot run as they are (rename them):
$bad"
  entries=$(jq -r --arg p "$prefix" \
    '.tests[] | select(.name | startswith($p)) | .name[($p | length):]' <<<"$entries_json" |
    LC_ALL=C sort)
  if ! difference=$(diff <(echo "$names") <(echo "$entries")); then
    fail "the ctest entries '$prefix*' differ from the test cases of $binary (< test case, > entry):
$difference"
  fi
  unguarded=$(jq -r --arg p "$prefix" '.tests[] | select(.name | startswith($p))
      | select(.command | index("NoTests") | not) | .name' <<<"$entries_json")
  [ -z "$unguarded" ] || fail "entries that would pass without running a test (no --warn NoTests):
$unguarded"
  if "$binary" "no test case has this name" --warn NoTests >/dev/null 2>&1; then
    fail "$binary exits 0 for a name that matches no test case, even with --warn NoTests"
  fi
  echo "$binary: $(wc -l <<<"$names") test cases, $(wc -l <<<"$entries") ctest entries"
done
exit "$failed"
