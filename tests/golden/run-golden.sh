#!/usr/bin/env bash
# run-golden.sh: ctest entry for the golden captures (tests/golden/TESTLIST); args: misport src shared.
set -euo pipefail
exec python3 "$2/tests/golden/golden.py" "$1" "$2" "$3"
