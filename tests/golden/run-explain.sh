#!/usr/bin/env bash
# run-explain.sh: `misport explain` in text and JSON for 22, 443, 598, 3098, 3219, an unassigned port
# and a service name; checks what each page says against the rules data, not a stored transcript.
set -uo pipefail
misport=$1
fail=0
check() { if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

# jq-free JSON checks: python3 evaluates an expression over the parsed document.
jcheck() { # jcheck DESCRIPTION QUERY PYTHON-EXPRESSION-over-d
  local out
  out=$("$misport" explain --json "$2") || { echo "FAIL $1 (exit $?)"; fail=1; return; }
  if python3 -c "import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if ($3) else 1)" <<<"$out"; then
    echo "ok   $1"
  else
    echo "FAIL $1: $out" | cut -c1-400; fail=1
  fi
}

jcheck "22/tcp is ssh, a system port, SSH counts as match" 22/tcp \
  'd["ports"][0]["services"][0]["name"]=="ssh" and d["ports"][0]["range"]=="system" and "SSH" in d["ports"][0]["counts_as_match"] and "SSH" in d["ports"][0]["ndpi_expected"] and not d["ports"][0]["legacy"]'
jcheck "443 covers tcp and udp, https, TLS expected" 443 \
  'len(d["ports"])==2 and {p["transport"] for p in d["ports"]}=={"tcp","udp"} and d["ports"][0]["services"][0]["name"]=="https" and "TLS" in d["ports"][0]["counts_as_match"]'
jcheck "598 is legacy sco-websrvrmg3 with a reason" 598/tcp \
  'd["ports"][0]["legacy"] and d["ports"][0]["services"][0]["name"]=="sco-websrvrmg3" and len(d["ports"][0]["legacy_reason"])>10 and "legacy-port" in d["ports"][0]["likely_traffic"]'
jcheck "3098 is legacy umm-port" 3098/tcp 'd["ports"][0]["legacy"] and d["ports"][0]["services"][0]["name"]=="umm-port"'
jcheck "3219 is wms-messenger, a user port, not legacy, nmap frequency known" 3219/tcp \
  'd["ports"][0]["services"][0]["name"]=="wms-messenger" and d["ports"][0]["range"]=="user" and not d["ports"][0]["legacy"] and "nmap_open_frequency" in d["ports"][0]'
jcheck "4470/tcp is unassigned" 4470/tcp \
  'd["ports"][0]["services"]==[] and "assigned nothing" in d["ports"][0]["likely_traffic"]'
jcheck "60000 is in the dynamic range" 60000/udp 'd["ports"][0]["range"]=="dynamic"'
jcheck "explain by name finds umm-port's ports" umm-port \
  'sorted((p["port"],p["transport"]) for p in d["ports"])==[(3098,"tcp"),(3098,"udp")]'
jcheck "commands to see what listens" 3098/tcp \
  'any("ss -tlnp" in c for c in d["ports"][0]["commands"]) and any("findstr :3098" in c for c in d["ports"][0]["commands"])'
if [[ -f "$3/iana/service-names-port-numbers.csv" ]]; then
  out=$("$misport" explain --json --registry "$3/iana/service-names-port-numbers.csv" 3219/tcp)
  check "with IANA's CSV: assignee and modification date of 3219" \
    python3 -c "import json,sys; p=json.loads(sys.argv[1])['ports'][0]['services'][0]; sys.exit(0 if 'WM_Software' in p['assignee'] and p['modification_date']=='2022-07-18' else 1)" "$out"
fi

text=$("$misport" explain 598/tcp)
check "text page names the service" grep -q "sco-websrvrmg3 -- SCO Web Server Manager 3" <<<"$text"
check "text page says LEGACY" grep -q "LEGACY" <<<"$text"
check "text page has the listener commands" grep -q "netstat -ano | findstr :598" <<<"$text"
check "no colour when not on a terminal" test "$(grep -c $'\033' <<<"$text")" -eq 0
text=$("$misport" explain 22)
check "22 text page shows both transports" test "$(grep -c '^22/' <<<"$text")" -eq 2
out=$("$misport" explain no-such-service-name 2>&1); rc=$?
check "an unknown name is an error (exit $rc)" test "$rc" -eq 1
out=$("$misport" explain 70000 2>&1); rc=$?
check "an out-of-range port is an error (exit $rc)" test "$rc" -eq 1
exit $fail
