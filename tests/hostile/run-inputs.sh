#!/usr/bin/env bash
# run-inputs.sh: hostile inputs one by one, each with its documented outcome (docs/hostile-input.md): empty,
# directory, header-only, absurd caplen, cut pcapng, unknown and wrong link types, caplen > len, caplen > snaplen,
# garbage on stdin; bounds that must be enforced and counted (flow cap, nDPI memcap, rule file size, line length
# and rule count, -r count); the nDPI guard page changes no result. tests/golden/run-cli.sh covers the basic exit
# statuses (missing file, not a capture, truncated, 802.11, bad rule lines, bad options); this extends it.
# Args: <misport> <source dir> <shared dir>.
set -uo pipefail
misport=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fail=0
check() { if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
# Value of a dotted key in the last stats record of an EVE file ("" when absent).
evestat() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1]) if '"stats"' in l][-1]["stats"]
for k in sys.argv[2].split("."):
    rec = rec.get(k, {}) if isinstance(rec, dict) else {}
print(rec if isinstance(rec, int) else "")
EOF
}
run() { out=$(timeout 60 "$misport" -q "$@" 2>&1); rc=$?; }
http=$src/pcaps/http-80.pcap mixed=$src/pcaps/mixed.pcap

# --- files that cannot be read, or only in part: exit 2, one message naming the file, the rest processed ---
: >"$tmp/empty.pcap"
run -r "$tmp/empty.pcap" -r "$http" --eve "$tmp/e.json"
check "empty file: exit 2 ($out)" test "$rc" -eq 2
check "  ... one message naming it" test "$(grep -c empty.pcap <<<"$out")" -eq 1
check "  ... the other file was processed" test "$(evestat "$tmp/e.json" decoder.pkts)" = 36

run -r "$tmp" --eve "$tmp/d.json"
check "a directory as capture: exit 2, named ($out)" test "$rc" -eq 2 -a "$(grep -c "$tmp" <<<"$out")" -ge 1

head -c 24 "$http" >"$tmp/hdr.pcap"
run -r "$tmp/hdr.pcap" --eve "$tmp/h.json"
check "header-only capture: exit 0, 0 packets ($out)" test "$rc" -eq 0 -a "$(evestat "$tmp/h.json" decoder.pkts)" = 0

# Patches a classic pcap: caplen of record N, original lengths, snaplen or link type.
python3 - "$http" "$tmp" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
out = sys.argv[2]
recs, off = [], 24
while off + 16 <= len(d):
    recs.append(off)
    off += 16 + struct.unpack("<I", d[off + 8:off + 12])[0]
def save(name, b):
    open(out + "/" + name, "wb").write(bytes(b))
b = bytearray(d); struct.pack_into("<I", b, recs[5] + 8, 0x00FFFFF0); save("hugecap.pcap", b)
b = bytearray(d); struct.pack_into("<I", b, 20, 65000); save("link65000.pcap", b)
b = bytearray(d); struct.pack_into("<I", b, 20, 101); save("ether-as-raw.pcap", b)
b = bytearray(d); struct.pack_into("<I", b, 20, 276); save("ether-as-sll2.pcap", b)
b = bytearray(d); struct.pack_into("<I", b, 16, 64); save("snap64.pcap", b)
b = bytearray(d)
for r in recs:
    struct.pack_into("<I", b, r + 12, struct.unpack("<I", d[r + 8:r + 12])[0] // 2)
save("cap-gt-len.pcap", b)
EOF
run -r "$tmp/hugecap.pcap" --eve "$tmp/u.json"
check "caplen 16 MiB in record 6: exit 2 ($out)" test "$rc" -eq 2
check "  ... says it stopped after packet 5" grep -q "hugecap.pcap.*after packet 5" <<<"$out"
check "  ... the 5 packets before were processed" test "$(evestat "$tmp/u.json" decoder.pkts)" = 5

if command -v editcap >/dev/null; then
  editcap -F pcapng "$mixed" "$tmp/mixed.pcapng" 2>/dev/null
  size=$(stat -c %s "$tmp/mixed.pcapng")
  head -c $((size / 2)) "$tmp/mixed.pcapng" >"$tmp/cut.pcapng"
  run -r "$tmp/cut.pcapng" --eve "$tmp/c.json"
  check "pcapng cut inside a block: exit 2 ($out)" test "$rc" -eq 2
  check "  ... names the file and the packet it stopped after" grep -q "cut.pcapng.*after packet [0-9]" <<<"$out"
  check "  ... the packets before the cut were processed" test "$(evestat "$tmp/c.json" decoder.pkts)" -gt 0
fi

run -r "$tmp/link65000.pcap" -r "$http" --eve "$tmp/l.json"
check "unknown link type 65000: exit 2 ($out)" test "$rc" -eq 2
check "  ... the message names the file and the link type" grep -q "link65000.pcap: unsupported link type.*65000" <<<"$out"
check "  ... the other file was processed" test "$(evestat "$tmp/l.json" decoder.pkts)" = 36

for f in ether-as-raw ether-as-sll2; do
  run -r "$tmp/$f.pcap" --eve "$tmp/$f.json" --flows
  check "$f (frames read as the wrong link type): exit 0 ($out)" test "$rc" -eq 0
  check "  ... every packet counted" test "$(evestat "$tmp/$f.json" decoder.pkts)" = 36
done

run -r "$tmp/cap-gt-len.pcap" --eve "$tmp/g.json"
check "caplen > original length: exit 0, every packet read ($out)" test "$rc" -eq 0 -a "$(evestat "$tmp/g.json" decoder.pkts)" = 36
run -r "$tmp/snap64.pcap" --eve "$tmp/s.json"
check "caplen > snaplen 64 of the header: exit 0, every packet read ($out)" test "$rc" -eq 0 -a "$(evestat "$tmp/s.json" decoder.pkts)" = 36

head -c 65536 /dev/urandom >"$tmp/random.bin"
out=$(timeout 60 "$misport" -q -r - <"$tmp/random.bin" 2>&1); rc=$?
check "random bytes on stdin: exit 2, a message ($out)" test "$rc" -eq 2 -a -n "$out"

# --- bounds: enforced and counted ---
run -r "$mixed" --max-flows 2 --eve "$tmp/f.json"
check "--max-flows 2: flows evicted and counted in stats.flow.mgr.flows_evicted" test "$(evestat "$tmp/f.json" flow.mgr.flows_evicted)" -gt 0

out=$(MISPORT_DPI_MEMCAP=1 timeout 60 "$misport" -q -r "$http" --eve "$tmp/m.json" --flows 2>&1); rc=$?
check "nDPI memcap of 1 byte: exit 0 ($out)" test "$rc" -eq 0
flows_proto() {
  python3 -c "import json, sys; print(' '.join(sorted({json.loads(l)['ndpi']['protocol'] for l in open(sys.argv[1]) if '\"event_type\":\"flow\"' in l})))" "$1"
}
check "  ... no flow got nDPI state: every flow Unknown ($(flows_proto "$tmp/m.json"))" test "$(flows_proto "$tmp/m.json")" = Unknown
run -r "$http" --eve "$tmp/m0.json" --flows
check "  ... (without the cap: HTTP)" test "$(flows_proto "$tmp/m0.json")" = HTTP
memcap=$(evestat "$tmp/m.json" flow.memcap)
if [[ -n $memcap ]]; then
  check "  ... refusals counted in stats.flow.memcap ($memcap)" test "$memcap" -gt 0
fi

# The guard page changes where nDPI reads, never what it concludes (off, on, strict).
MISPORT_DPI_GUARD=0 timeout 60 "$misport" -q --seed 1 -r "$mixed" --eve "$tmp/g0.json" --flows 2>/dev/null
MISPORT_DPI_GUARD=1 timeout 60 "$misport" -q --seed 1 -r "$mixed" --eve "$tmp/g1.json" --flows 2>/dev/null
MISPORT_DPI_GUARD=strict timeout 60 "$misport" -q --seed 1 -r "$mixed" --eve "$tmp/g2.json" --flows 2>/dev/null
check "nDPI guard page on and off: the same flow records" cmp -s <(grep '"flow"' "$tmp/g0.json") <(grep '"flow"' "$tmp/g1.json")
check "nDPI guard page strict and off: the same flow records" cmp -s <(grep '"flow"' "$tmp/g0.json") <(grep '"flow"' "$tmp/g2.json")

python3 - "$tmp" <<'EOF'
import sys
t = sys.argv[1]
open(t + "/long.conf", "w").write("# a line over 4096 bytes\nallow port 80 # " + "x" * 5000 + "\n")
with open(t + "/many.conf", "w") as f:
    for i in range(5000):
        f.write("allow port %d\n" % (i + 1))
with open(t + "/big.conf", "w") as f:
    line = "# padding " + "x" * 100 + "\n"
    f.write(line * (17 * 1024 * 1024 // len(line) + 1))
EOF
run --check-rules --policy "$tmp/long.conf"
check "policy line over MP_RULES_MAX_LINE: exit 1, file:line ($out)" test "$rc" -eq 1 -a "$(grep -c 'long.conf:2' <<<"$out")" -eq 1
run --check-rules --policy "$tmp/many.conf"
check "more than MP_POLICY_MAX_RULES rules: exit 1, file:line ($out)" test "$rc" -eq 1 -a "$(grep -c 'many.conf:4097' <<<"$out")" -eq 1
run --check-rules --policy "$tmp/big.conf"
check "policy file over MP_RULES_MAX_FILE_SIZE: exit 1, named ($out)" test "$rc" -eq 1 -a "$(grep -c 'big.conf' <<<"$out")" -eq 1
args=()
for i in $(seq 257); do args+=(-r "$http"); done
run "${args[@]}"
check "more than MP_MAX_INPUT_FILES -r: exit 1 ($out)" test "$rc" -eq 1
exit $fail
