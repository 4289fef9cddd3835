#!/usr/bin/env bash
# run-workers.sh: --workers 2 and 3 must produce the same alerts and flows as one worker: over all of
# pcaps/ in one run, and over scan-pingsweep.pcap then scan-quick.pcap in one run, where one scanner's
# flows fall into different workers and the scan detector's result depends on the order it receives
# them (capture order with one worker: a TRW alert; in arrival order, two workers gave a ping-sweep
# alert instead until the detector's calls were merged in capture order, src/scanfeed.c).
set -euo pipefail
misport=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run_case() { # name, then misport's input arguments
  local name=$1
  shift
  "$misport" -q --seed 7 --workers 1 --eve "$tmp/$name-w1.json" --flows "$@"
  for n in 2 3; do
    "$misport" -q --seed 7 --workers "$n" --eve "$tmp/$name-w$n.json" --flows "$@"
    echo "case $name, --workers $n:"
    python3 "$src/tests/live/compare_eve.py" "$tmp/$name-w1.json" "$tmp/$name-w$n.json"
  done
}
args=()
for f in "$src"/pcaps/*.pcap; do args+=(-r "$f"); done
run_case all "${args[@]}"
run_case scan-pair -r "$src/pcaps/scan-pingsweep.pcap" -r "$src/pcaps/scan-quick.pcap"
