#!/usr/bin/env bash
# run-workers.sh: --workers 2 must produce the same alerts and flows as one worker over all pcaps/.
set -euo pipefail
misport=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=()
for f in "$src"/pcaps/*.pcap; do args+=(-r "$f"); done
"$misport" -q --seed 7 --workers 1 --eve "$tmp/w1.json" --flows "${args[@]}"
"$misport" -q --seed 7 --workers 2 --eve "$tmp/w2.json" --flows "${args[@]}"
python3 "$src/tests/live/compare_eve.py" "$tmp/w1.json" "$tmp/w2.json"
