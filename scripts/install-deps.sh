#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every build and test dependency from Debian packages. Idempotent:
# installs only what is missing. Runs as root, or through sudo.
set -euo pipefail

PACKAGES=(
  cmake ninja-build ccache g++ pkg-config
  libboost-dev libboost-system-dev
  libsqlite3-dev liblmdb-dev
  libprotobuf-dev protobuf-compiler
  libssl-dev libyaml-cpp-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
  libhowardhinnant-date-dev tzdata
  libmagic-dev libvips-dev
  libzip-dev
  catch2
  sqlite3 curl jq
  zsh  # the completion test checks the zsh script with zsh -n
  clang libclang-rt-14-dev llvm  # test.sh fuzz stage: libFuzzer, llvm-symbolizer for stack traces
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
