#!/usr/bin/env bash
# run-cli.sh: command-line contracts: --check-rules, rule errors with file:line, exit statuses for
# unreadable, truncated and unsupported inputs (the other files are still processed), bad options and
# filters.
set -uo pipefail
misport=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

out=$("$misport" --check-rules 2>&1); rc=$?
check "--check-rules prints OK and exits 0 ($out)" test "$rc" -eq 0 -a "${out:0:2}" = OK

printf '# bad policy\nallow server 10.0.0.0/33 port 80\n' >"$tmp/bad.conf"
out=$("$misport" --check-rules --policy "$tmp/bad.conf" 2>&1); rc=$?
check "a bad policy line is refused with file:line ($out)" test "$rc" -eq 1
check "  ... naming bad.conf:2" grep -q "bad.conf:2" <<<"$out"
out=$("$misport" -q -r "$src/pcaps/http-80.pcap" --policy "$tmp/bad.conf" 2>&1); rc=$?
check "misport refuses to start with a bad policy (exit $rc)" test "$rc" -eq 1

cp -r "$src/rules" "$tmp/rules"
printf 'http\tnotaport\ttcp\t-\tbroken\n' >>"$tmp/rules/registry.tsv"
out=$("$misport" --check-rules --rules "$tmp/rules" 2>&1); rc=$?
check "a bad registry line is refused with file:line ($out)" test "$rc" -eq 1
check "  ... naming registry.tsv:<line>" grep -q "registry.tsv:[0-9]" <<<"$out"

# An unreadable file: one line naming it, the other files processed, exit 2.
out=$("$misport" -q --eve "$tmp/a.json" -r "$tmp/nonexistent.pcap" -r "$src/pcaps/http-80.pcap" 2>&1); rc=$?
check "missing file: exit 2 ($rc)" test "$rc" -eq 2
check "  ... one error line naming the file" test "$(grep -c nonexistent.pcap <<<"$out")" -eq 1
check "  ... the other file was processed" grep -q '"pkts":36' "$tmp/a.json"

# A file that is not a capture.
printf 'hello\n' >"$tmp/text.pcap"
out=$("$misport" -q -r "$tmp/text.pcap" 2>&1); rc=$?
check "not a capture: exit 2, names the file ($out)" test "$rc" -eq 2 -a "$(grep -c text.pcap <<<"$out")" -eq 1

# No input could be read: the error line alone, no summary of nothing (without -q); with one input read,
# the summary is there.
out=$("$misport" -r "$tmp/nonexistent.pcap" -r "$tmp/text.pcap" 2>&1); rc=$?
check "no input read: exit 2, two error lines and no summary ($out)" \
  test "$rc" -eq 2 -a "$(wc -l <<<"$out")" -eq 2 -a "$(grep -c 'misport summary' <<<"$out")" -eq 0
out=$("$misport" -r "$tmp/nonexistent.pcap" -r "$src/pcaps/http-80.pcap" 2>&1); rc=$?
check "one input read: exit 2 and the summary" test "$rc" -eq 2 -a "$(grep -c 'misport summary' <<<"$out")" -eq 1

# An unsupported link type (IEEE 802.11 written by editcap from a real capture).
if command -v editcap >/dev/null; then
  editcap -T ieee-802-11 "$src/pcaps/http-80.pcap" "$tmp/wlan.pcap" 2>/dev/null
  out=$("$misport" -q -r "$tmp/wlan.pcap" -r "$src/pcaps/http-80.pcap" --eve "$tmp/b.json" 2>&1); rc=$?
  check "unsupported link type: exit 2 ($out)" test "$rc" -eq 2
  check "  ... names the file and the link type" grep -q "wlan.pcap: unsupported link type IEEE802_11 (105)" <<<"$out"
  check "  ... the other file was processed" grep -q '"pkts":36' "$tmp/b.json"
fi

# A truncated file: what can be read is processed, the message says where it stopped.
size=$(stat -c %s "$src/pcaps/mixed.pcap")
head -c $((size - 37)) "$src/pcaps/mixed.pcap" >"$tmp/cut.pcap"
out=$("$misport" -q -r "$tmp/cut.pcap" --eve "$tmp/c.json" 2>&1); rc=$?
check "truncated file: exit 2 ($out)" test "$rc" -eq 2
check "  ... says after which packet it stopped" grep -q "cut.pcap.*after packet [0-9]" <<<"$out"
check "  ... the packets before the cut were processed" grep -q '"pkts":110' "$tmp/c.json"

out=$("$misport" --no-such-option 2>&1); rc=$?
check "unknown option: exit 1" test "$rc" -eq 1
out=$("$misport" -r "$src/pcaps/http-80.pcap" -c zero 2>&1); rc=$?
check "bad number: exit 1 with a message ($out)" test "$rc" -eq 1
# Filters: a mistyped one is refused before any input is read; one given as the arguments after the
# options (tcpdump's form) reads as -f does.
out=$("$misport" -r "$src/pcaps/mixed.pcap" -f 'tcp port' 2>"$tmp/err"); rc=$?
check "bad filter: exit 1 ($rc)" test "$rc" -eq 1
check "  ... one error line quoting it ($(cat "$tmp/err"))" test "$(grep -c "bad filter 'tcp port'" "$tmp/err")" -eq 1
check "  ... and no summary" test -z "$out"
"$misport" -q --seed 1 --flows --eve "$tmp/f1.json" -r "$src/pcaps/mixed.pcap" -f 'tcp port 80'
"$misport" -q --seed 1 --flows --eve "$tmp/f2.json" -r "$src/pcaps/mixed.pcap" tcp port 80
"$misport" -q --seed 1 --flows --eve "$tmp/f0.json" -r "$src/pcaps/mixed.pcap"
flows() { grep -c '"event_type":"flow"' "$1"; }
check "a filter keeps some flows ($(flows "$tmp/f1.json") of $(flows "$tmp/f0.json"))" \
  test "$(flows "$tmp/f1.json")" -gt 0 -a "$(flows "$tmp/f1.json")" -lt "$(flows "$tmp/f0.json")"
check "  ... the same as arguments as with -f" \
  cmp -s <(grep -v '"event_type":"stats"' "$tmp/f1.json") <(grep -v '"event_type":"stats"' "$tmp/f2.json")
out=$("$misport" -q -r "$src/pcaps/mixed.pcap" -f tcp udp 2>&1); rc=$?
check "a filter with -f and as arguments: exit 1 ($out)" test "$rc" -eq 1
out=$("$misport" -i does-not-exist0 2>&1); rc=$?
check "no such interface: exit 3, names it ($out)" test "$rc" -eq 3 -a "$(grep -c does-not-exist0 <<<"$out")" -ge 1
# A bound that is hit shows in the stats record: 40 scanning sources (one unanswered SYN each, written
# below) through a scan table capped at 16 sources evict 24, counted as stats.host.memcap.
cp -r "$src/rules" "$tmp/rules16"
sed -i 's/^max-sources .*/max-sources 16/' "$tmp/rules16/scan.conf"
python3 - "$tmp/syns.pcap" <<'PY'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); return ~(s + (s >> 16)) & 0xffff
out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
for i in range(40):
    src, dst = bytes([10, 7, 0, i + 1]), bytes([10, 7, 1, 1])
    tcp = struct.pack("!HHIIBBHHH", 40000 + i, 1000 + i, i, 0, 5 << 4, 0x02, 1024, 0, 0)  # SYN, 20-byte header
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frame = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + tcp  # dst MAC, src MAC, IPv4
    out.append(struct.pack("<IIII", 1700000000 + i, 0, len(frame), len(frame)) + frame)
open(sys.argv[1], "wb").write(b"".join(out))
PY
"$misport" -q --rules "$tmp/rules16" --eve "$tmp/cap.json" -r "$tmp/syns.pcap" 2>/dev/null
memcap=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l][-1]["stats"]["host"]["memcap"])' "$tmp/cap.json")
check "scan table at its cap: 24 of 40 sources evicted, in stats.host.memcap ($memcap)" test "$memcap" = 24
# A capture with a header and no packet: exit 0 and one stats record stamped with the wall clock, not 1970.
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,1))' "$tmp/hdr.pcap"
"$misport" -q --eve "$tmp/hdr.json" -r "$tmp/hdr.pcap" 2>/dev/null; rc=$?
ts=$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(len(r), r[-1]["event_type"], r[-1]["timestamp"][:4])' "$tmp/hdr.json")
check "header-only capture: exit 0, one stats record with this year's timestamp ($rc; $ts)" \
  test "$rc" -eq 0 -a "$ts" = "1 stats $(date -u +%Y)"
# --cpus: a list the process cannot use is refused before any output is opened; a usable one changes
# nothing in the results.
out=$("$misport" -q --cpus 0-x -r "$src/pcaps/mixed.pcap" 2>&1); rc=$?
check "--cpus with a bad list: exit 1, names the option ($out)" test "$rc" -eq 1 -a "${out#*--cpus: }" != "$out"
out=$("$misport" -q --cpus 1023 --eve "$tmp/pin0.json" -r "$src/pcaps/mixed.pcap" 2>&1); rc=$?
check "--cpus 1023: exit 1 naming CPU 1023, no output file ($out)" \
  test "$rc" -eq 1 -a "${out#*CPU 1023}" != "$out" -a ! -e "$tmp/pin0.json"
pins=(-r "$src/pcaps/scan-quick.pcap" -r "$src/pcaps/http-3098.pcap" -r "$src/pcaps/ssh-598.pcap" -r "$src/pcaps/dns-80.pcap")
"$misport" -q --seed 3 --workers 2 --flows --eve "$tmp/pin1.json" "${pins[@]}" 2>/dev/null
first=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
"$misport" -q --seed 3 --workers 2 --cpus "$first" --flows --eve "$tmp/pin2.json" "${pins[@]}"; rc=$?
n1=$(grep -c '"event_type":"\(alert\|flow\)"' "$tmp/pin1.json"); n2=$(grep -c '"event_type":"\(alert\|flow\)"' "$tmp/pin2.json")
check "--workers 2 --cpus $first: exit 0, the same alert and flow records ($rc; $n2 and $n1)" \
  test "$rc" -eq 0 -a "$n1" -gt 10 -a \
  "$(grep '"event_type":"\(alert\|flow\)"' "$tmp/pin1.json" | sort | md5sum)" = \
  "$(grep '"event_type":"\(alert\|flow\)"' "$tmp/pin2.json" | sort | md5sum)"
check "--help fits a screen ($("$misport" --help | wc -l) lines)" test "$("$misport" --help | wc -l)" -le 60
exit $fail
