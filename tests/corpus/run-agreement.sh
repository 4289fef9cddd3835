#!/usr/bin/env bash
# run-agreement.sh: misport --flows against Debian's ndpiReader (nDPI 4.2) over ../shared/corpus/ndpi.
# Args (from tests/CMakeLists.txt): <misport binary> <source dir> <shared dir>. Exit 0 pass, 1 fail,
# 77 skipped (corpus or ndpiReader absent). Method and the remaining differences: docs/agreement.md.
set -euo pipefail
misport=$1 src=$2 shared=$3
corpus=$shared/corpus/ndpi
if [[ ! -d $corpus ]]; then
  echo "SKIP: $corpus absent"
  exit 77
fi
if ! command -v ndpiReader >/dev/null 2>&1; then
  echo "SKIP: ndpiReader not installed (Debian package libndpi-bin)"
  exit 77
fi
# Both tools per file, one file per core; a per-file timeout keeps a hang from eating ctest's budget.
exec python3 "$src/tools/agreement.py" --misport "$misport" --corpus "$corpus" \
  --ndpireader "$(command -v ndpiReader)" --jobs "$(nproc)" --timeout 120 --min-overlap 97 --key full --unit conv
