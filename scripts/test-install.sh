#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the built project into a temp prefix, builds every embed-examples/*
# host against it with find_package(quik) (warnings are errors), and runs each:
# offline (no server), minimal (--smoke: the server on its own threads) and
# host-io-context (--smoke: on the host's io_context, one real HTTP request).
# Registered as a ctest test.
#   scripts/test-install.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: test-install.sh BUILD_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/share/man/man1/quikctl.1"
test -f "$tmp/prefix/share/man/man5/quik.toml.5"
test -f "$tmp/prefix/share/man/man7/quik-api.7"
test -x "$tmp/prefix/bin/quikctl"
grep -q '^#   quikctl backup$' "$tmp/prefix/share/bash-completion/completions/quikctl"
grep -q '^#compdef quikctl$' "$tmp/prefix/share/zsh/site-functions/_quikctl"
quikctl() { "$tmp/prefix/bin/quikctl" "$@"; }
# The installed quikctl runs and knows its version.
quikctl -o json version | jq -e '.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")' >/dev/null
# Runs a command quietly, showing its output only if it fails.
quiet() { "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; return 1; }; }

# Warnings are errors, as in the project's own build, which likewise drops
# GCC 12's false maybe-uninitialized warnings (here from Beast) under sanitizers.
warnings="-Wall -Wextra -Wpedantic -Werror"
if [[ "${CMAKE_CXX_FLAGS:-}" == *-fsanitize* ]]; then warnings+=" -Wno-maybe-uninitialized"; fi

for example in offline minimal host-io-context; do
  quiet cmake -S "$root/embed-examples/$example" -B "$tmp/build-$example" -G Ninja \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="$warnings ${CMAKE_CXX_FLAGS:-}" \
    -DCMAKE_EXE_LINKER_FLAGS="${QUIK_EXTRA_LDFLAGS:-}"
  quiet cmake --build "$tmp/build-$example"
done

# offline: provisions and posts through the service layer, no server.
out=$(timeout 60 "$tmp/build-offline/embed_offline" "$tmp/data")
echo "$out" | grep -q '"text":"hello"'
# The installed quikctl reads what the embedder wrote.
quikctl --data-dir "$tmp/data" -o json workspace list | jq -e '.[0].slug == "embedded"' >/dev/null

# minimal: starts the server on its own threads, makes one in-process call
# (creates workspace "Smoke"), shuts down and exits 0.
out=$(timeout 60 "$tmp/build-minimal/embed_minimal" "$tmp/data-minimal" --smoke)
echo "$out" | grep -Eq '^serving http://127\.0\.0\.1:[0-9]+$'
quikctl --data-dir "$tmp/data-minimal" -o json workspace list | jq -e '.[0].slug == "smoke"' >/dev/null

# host-io-context: the server on the host's io_context; GETs its own /healthz.
out=$(timeout 60 "$tmp/build-host-io-context/embed_host_io" "$tmp/data-host-io" --smoke)
echo "$out" | grep -q '^GET /healthz: 200 '

echo "install + find_package(quik) + embed (offline, minimal, host-io-context): ok"
