#!/usr/bin/env bash
# run-cli.sh: command-line contracts: --check-rules, rule errors with file:line, exit statuses for
# unreadable, truncated and unsupported inputs (the other files are still processed), bad options.
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
out=$("$misport" -i does-not-exist0 2>&1); rc=$?
check "no such interface: exit 3, names it ($out)" test "$rc" -eq 3 -a "$(grep -c does-not-exist0 <<<"$out")" -ge 1
check "--help fits a screen ($("$misport" --help | wc -l) lines)" test "$("$misport" --help | wc -l)" -le 60
exit $fail
