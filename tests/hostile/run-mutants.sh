#!/usr/bin/env bash
# run-mutants.sh: misport over hostile variants of every capture in ../shared/corpus/ndpi (byte errors, snapped
# packets, files cut short, caplen > snaplen, caplen > len, absurd caplen, bogus and wrong link types; made by
# mutate.py with fixed seeds). Fails on a sanitizer report, a crash (signal), a hang (20 s per file), an exit
# status other than 0 or 2, exit 2 without a message naming a file, or EVE output that is not JSON lines ending
# with a stats record. Args (from tests/CMakeLists.txt): <misport> <source dir> <shared dir>. Exit 0 pass,
# 1 fail, 77 skipped (corpus absent). Env: MUTANT_EVERY=K keeps every K-th mutant; MUTANT_KEEP=DIR keeps the
# failing mutants (default: a directory named in the output). See docs/hostile-input.md.
set -uo pipefail
misport=$1 src=$2 shared=$3
corpus=$shared/corpus/ndpi
if [[ ! -d $corpus ]]; then
  echo "SKIP: $corpus absent"
  exit 77
fi
every=${MUTANT_EVERY:-1}
batch_size=16
file_timeout=20
tmp=$(mktemp -d)
keep=${MUTANT_KEEP:-$(mktemp -d /tmp/misport-mutant-failures.XXXXXX)}
trap 'rm -rf "$tmp"' EXIT
# Sanitizer builds: every finding is fatal; nDPI gets packets right in front of a guard page in every
# build (strict: no zero slack), so that any read past a packet faults.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export MISPORT_DPI_GUARD=strict

# The binary must handle a clean capture first (a stale build against newer rules fails here, once).
if ! out=$("$misport" -q --eve /dev/null -r "$src/pcaps/http-80.pcap" 2>&1); then
  echo "FAIL: misport does not run on pcaps/http-80.pcap: $out"
  exit 1
fi

captures=()
for f in "$corpus"/*; do
  case $f in *.pcap|*.pcapng|*.cap) captures+=("$f") ;; esac
done
start=$(date +%s)
python3 "$src/tests/hostile/mutate.py" "$tmp/m" "${captures[@]}" --every "$every" >"$tmp/manifest" || {
  echo "FAIL: mutate.py"; exit 1; }
mapfile -t mutants < <(cut -f1 "$tmp/manifest")
echo "mutants: ${#mutants[@]} from ${#captures[@]} captures ($(( $(date +%s) - start )) s to make)"
cut -f2 "$tmp/manifest" | sed 's/^snap[0-9]*$/snapN/' | sort | uniq -c | tr '\n' ';' | tr -s ' '; echo

# Options per batch, cycling: workers + BPF filter, evidence writer, plain.
batch_opts() {
  case $(($1 % 3)) in
    0) echo "--workers 2 -f 'ip or ip6'" ;;
    1) echo "-w $tmp/out/ev-$1.pcap" ;;
    2) echo "" ;;
  esac
}

# Runs misport on the given files with batch b's options; prints a reason and returns 1 when the run is bad.
# $1 batch number, $2 per-run timeout, $3 output tag, rest: files.
check_run() {
  local b=$1 limit=$2 tag=$3; shift 3
  local args=() f opts rc eve=$tmp/out/$tag.json err=$tmp/out/$tag.err
  for f in "$@"; do args+=(-r "$f"); done
  case $((b % 3)) in
    0) opts=(--workers 2 -f "ip or ip6") ;;
    1) opts=(-w "$tmp/out/ev-$b.pcap") ;;
    *) opts=() ;;
  esac
  rm -f "$eve"
  timeout -k 5 "$limit" "$misport" -q --eve "$eve" --flows "${opts[@]}" "${args[@]}" >/dev/null 2>"$err"
  rc=$?
  if [[ $rc == 124 || $rc == 137 ]]; then echo "hang (no end within $limit s)"; return 1; fi
  if grep -qE 'Sanitizer|runtime error:|SUMMARY: ' "$err"; then
    echo "sanitizer report: $(grep -m1 -E 'ERROR|runtime error' "$err")"; return 1
  fi
  if ((rc >= 128)); then echo "killed by signal $((rc - 128))"; return 1; fi
  if [[ $rc != 0 && $rc != 2 ]]; then echo "exit status $rc: $(head -c 300 "$err")"; return 1; fi
  if [[ $rc == 2 ]] && ! grep -qF "misport: $tmp/m/" "$err"; then
    echo "exit 2 without a message naming the file: $(head -c 300 "$err")"; return 1
  fi
  if ! python3 - "$eve" <<'EOF'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
recs = [json.loads(l) for l in lines]
assert recs and recs[-1].get("event_type") == "stats", "no final stats record"
EOF
  then echo "EVE output is not JSON lines ending with stats"; return 1; fi
  return 0
}

# One batch: all files in one run; when that run is bad, each file alone to name the culprit.
run_batch() {
  local b=$1; shift
  local why f k=0 bad=0
  if why=$(check_run "$b" $((file_timeout * 3)) "b$b" "$@"); then
    echo ok >"$tmp/res/$b"
    return
  fi
  for f in "$@"; do
    k=$((k + 1))
    if ! why=$(check_run "$b" "$file_timeout" "b$b-$k" "$f"); then
      bad=1
      cp "$f" "$keep/"
      { echo "FAIL $(grep -F "$f" "$tmp/manifest" | cut -f2,3 | tr '\t' ' ') -> $keep/$(basename "$f"):"
        echo "     $why"
        echo "     misport options: $(batch_opts "$b")"
        grep -m 8 -E '#[0-9]+ 0x|ERROR|runtime error' "$tmp/out/b$b-$k.err" | sed 's/^/     /'; } >>"$tmp/res/$b.fail"
    fi
  done
  if ((bad == 0)); then
    echo "FAIL batch $b: $why (no single file reproduces it)" >>"$tmp/res/$b.fail"
  fi
}

mkdir -p "$tmp/out" "$tmp/res"
jobs=$(nproc)
running=0
nb=0
for ((i = 0; i < ${#mutants[@]}; i += batch_size)); do
  run_batch "$nb" "${mutants[@]:i:batch_size}" &
  nb=$((nb + 1))
  running=$((running + 1))
  if ((running >= jobs)); then wait -n; running=$((running - 1)); fi
done
wait

fails=$(cat "$tmp"/res/*.fail 2>/dev/null)
nfail=$(grep -c '^FAIL' <<<"$fails")
echo "ran ${#mutants[@]} mutants in $nb runs of misport ($(( $(date +%s) - start )) s); failures: $nfail"
if [[ -n $fails ]]; then
  echo "$fails"
  echo "failing mutants kept in $keep"
  exit 1
fi
rmdir "$keep" 2>/dev/null
exit 0
