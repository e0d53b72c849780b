#!/usr/bin/env bash
# Installs the built project into a temp prefix, builds embed-examples/offline
# against it with find_package(quik), and runs it. Registered as a ctest test.
#   scripts/test-install.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: test-install.sh BUILD_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/share/man/man1/quikctl.1"
test -x "$tmp/prefix/bin/quikctl"
cmake -S "$root/embed-examples/offline" -B "$tmp/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release ${CMAKE_CXX_FLAGS:+-DCMAKE_CXX_FLAGS="$CMAKE_CXX_FLAGS"} \
  -DCMAKE_EXE_LINKER_FLAGS="${QUIK_EXTRA_LDFLAGS:-}" >/dev/null
cmake --build "$tmp/build" >/dev/null
out=$("$tmp/build/embed_offline" "$tmp/data")
echo "$out" | grep -q '"text":"hello"'
# The installed quikctl reads what the embedder wrote.
"$tmp/prefix/bin/quikctl" --data-dir "$tmp/data" -o json workspace list | jq -e '.[0].slug == "embedded"' >/dev/null
echo "install + find_package(quik) + embed: ok"
