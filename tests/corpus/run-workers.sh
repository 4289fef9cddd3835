#!/usr/bin/env bash
# run-workers.sh: --workers 2 and 3 give exactly the records of one worker over every capture of
# ../shared/corpus/ndpi (read in two inputs of at most MP_MAX_INPUT_FILES files each; issue 7): every alert and flow record field for field (as
# multisets; record order differs between runs), and the final stats counters other than nDPI's memory gauges. nDPI's caches are kept per virtual shard (src/dpi.c), which this test holds to. Exit 77 when
# the corpus is absent.
set -uo pipefail
misport=$1 src=$2 shared=$3
corpus=$shared/corpus/ndpi
if [[ ! -d $corpus ]]; then
  echo "SKIP: $corpus absent"
  exit 77
fi
# libndpi must call misport's cache functions (src/dpi.c), or the workers would not share one view.
bindings=$(LD_DEBUG=bindings "$misport" --version 2>&1)  # no grep -q in a pipe: pipefail + SIGPIPE
if [[ ! $bindings =~ libndpi[^$'\n']*\ to\ [^$'\n']*misport[^$'\n']*ndpi_lru_find_cache ]]; then
  echo "FAIL: libndpi's ndpi_lru_find_cache does not bind to misport's"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=()
for f in "$corpus"/*; do
  case $f in *.pcap|*.pcapng|*.cap) files+=("$f") ;; esac
done
half=$(( (${#files[@]} + 1) / 2 ))
for part in 1 2; do
  args=()
  if [[ $part == 1 ]]; then set -- "${files[@]:0:half}"; else set -- "${files[@]:half}"; fi
  for f in "$@"; do args+=(-r "$f"); done
  for n in 1 2 3; do
    # exit 2 is expected: the corpus holds a capture of a link type misport does not decode
    "$misport" -q --seed 11 --workers "$n" --eve "$tmp/w$n.json" --flows "${args[@]}" 2>"$tmp/w$n.err"
    rc=$?
    if [[ $rc != 0 && $rc != 2 ]]; then
      echo "FAIL: --workers $n exited $rc: $(head -c 300 "$tmp/w$n.err")"
      exit 1
    fi
  done
done
python3 - "$tmp/w1.json" "$tmp/w2.json" "$tmp/w3.json" <<'PY'
import collections, json, sys

def load(path):
    """Records as a multiset, and the stats records (one per run) in order."""
    recs, stats = collections.Counter(), []
    for line in open(path):
        r = json.loads(line)
        if r["event_type"] == "stats":
            stats.append(r)
            continue
        recs[json.dumps(r, sort_keys=True)] += 1
    return recs, stats

def counters(st):
    """The final stats without nDPI's memory gauges (two nDPI engines hold more than one). The scan
    detector's bytes (host.memuse) stay: its calls arrive in capture order (src/scanfeed.c)."""
    s = json.loads(json.dumps(st["stats"]))
    s["flow"].pop("memuse", None)
    s.pop("memcap", None)
    s.pop("uptime", None)
    return s, st["metadata"]["flowints"]

base, base_st = load(sys.argv[1])
ok = True
kinds = collections.Counter(json.loads(k)["event_type"] for k in base.elements())
print(f"one worker: {sum(base.values())} records ({dict(kinds)})")
for path, n in zip(sys.argv[2:], (2, 3)):
    recs, st = load(path)
    only1, onlyn = base - recs, recs - base
    same_stats = len(base_st) == len(st) == 2 and all(counters(a) == counters(b) for a, b in zip(base_st, st))
    print(f"--workers {n}: {sum(recs.values())} records, {sum(only1.values())} only with one worker, "
          f"{sum(onlyn.values())} only with {n}; final stats {'equal' if same_stats else 'DIFFER'}")
    for k in list(only1)[:3]:
        print("  one worker only:", k[:300])
    for k in list(onlyn)[:3]:
        print(f"  {n} workers only:", k[:300])
    if only1 or onlyn or not same_stats:
        ok = False
        if not same_stats:
            for a, b in zip(base_st, st):
                print("  stats 1:", counters(a))
                print(f"  stats {n}:", counters(b))
sys.exit(0 if ok and sum(base.values()) > 0 else 1)
PY
