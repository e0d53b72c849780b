#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every source file names its license in an SPDX line near its top.
#   scripts/spdx.sh          check: lists files without one, exits 1 if any
#   scripts/spdx.sh --fix    adds the line where it is missing
set -euo pipefail
cd "$(dirname "$0")/.."
ID="SPDX-License-Identifier: MIT"
fix=0
[ "${1:-}" = "--fix" ] && fix=1
missing=0
while IFS= read -r f; do
  [ -f "$f" ] || continue
  head -n 5 "$f" | grep -q "SPDX-License-Identifier:" && continue
  if [ $fix = 0 ]; then
    echo "spdx: $f: no '$ID' line in its first 5 lines" >&2
    missing=$((missing + 1))
    continue
  fi
  case "$f" in
    *.cc | *.hpp | *.h | *.proto | *.ts | *.js) line="// $ID" ;;
    *) line="# $ID" ;;
  esac
  if head -n 1 "$f" | grep -q '^#!'; then
    { head -n 1 "$f"; echo "$line"; tail -n +2 "$f"; } >"$f.spdx"
  else
    { echo "$line"; cat "$f"; } >"$f.spdx"
  fi
  chmod --reference="$f" "$f.spdx"
  mv "$f.spdx" "$f"
done < <(git ls-files -- '*.cc' '*.hpp' '*.h' '*.proto' '*.sh' '*.cmake' 'CMakeLists.txt' \
           '*/CMakeLists.txt' '.ci/run' 'libquik/web/src/*.ts' 'libquik/web/src/*.js')
if [ $fix = 0 ] && [ $missing -gt 0 ]; then
  echo "spdx: $missing file(s) without a license line; run scripts/spdx.sh --fix" >&2
  exit 1
fi
exit 0
