#!/usr/bin/env bash
# run-rsyslog.sh: misport feeding a private rsyslogd over loopback: RFC 5424 with EVE JSON as MSG over
# UDP, TCP (octet counting) and TLS (rsyslog's OpenSSL driver, certificate checked against a CA this
# test makes), and CEF over TCP and to a file. Every alert, flow and stats record of the golden captures
# (as misport's own EVE file of the same run has them) must arrive once, parse with rsyslog's
# mmjsonparse, validate against the EVE schema, and CEF must parse with an independent parser, including
# values with '=', '\', '|' and newlines. Args: misport srcdir shareddir. Exit 77 when rsyslog cannot be
# installed.
set -uo pipefail
misport=$1 src=$2 shared=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
fail=0
rs_pid=
cleanup() {
  [[ -n "$rs_pid" ]] && kill -TERM "$rs_pid" 2>/dev/null && wait "$rs_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib.sh
source "$here/lib.sh"

siem_need rsyslogd:rsyslog openssl:openssl
[[ -f /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so || -n "$(find /usr/lib -name lmnsd_ossl.so 2>/dev/null)" ]] ||
  siem_need __rsyslog_ossl__:rsyslog-openssl
python3 -c 'import jsonschema' 2>/dev/null || siem_need __py_jsonschema__:python3-jsonschema

# --- a CA and a server certificate for 127.0.0.1 --------------------------------------------------------
(
  cd "$work" || exit 1
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=misport test CA" &&
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=localhost" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext.cnf &&
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext.cnf
) >"$work/openssl.log" 2>&1 || { echo "FAIL cannot make test certificates: $(tail -3 "$work/openssl.log")"; exit 1; }

read -r p_udp p_tcp p_tls p_cef < <(free_ports udp tcp tcp tcp)
[[ -n "$p_cef" ]] || { echo "FAIL cannot choose four free loopback ports"; exit 1; }
mkdir -p "$work/rs"
cat >"$work/rsyslog.conf" <<EOF
global(workDirectory="$work/rs" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="$work/ca.pem" defaultNetstreamDriverCertFile="$work/srv.pem"
       defaultNetstreamDriverKeyFile="$work/srv.key")
module(load="imudp")
module(load="imptcp")
module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
module(load="mmjsonparse")
template(name="raw" type="list" option.jsonf="on") {
  property(outname="pri" name="pri" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
template(name="parsed" type="string" string="%\$!all-json%\n")
EOF
for t in udp tcp tls; do
  cat >>"$work/rsyslog.conf" <<EOF
ruleset(name="eve_$t" queue.type="Direct") {
  action(type="omfile" file="$work/$t.raw" template="raw")
  action(type="mmjsonparse" cookie="")
  if \$parsesuccess == "OK" then action(type="omfile" file="$work/$t.parsed" template="parsed")
  else action(type="omfile" file="$work/$t.unparsed" template="raw")
}
EOF
done
cat >>"$work/rsyslog.conf" <<EOF
ruleset(name="cef" queue.type="Direct") { action(type="omfile" file="$work/cef.raw" template="raw") }
input(type="imudp" address="127.0.0.1" port="$p_udp" ruleset="eve_udp" rcvbufSize="64m")
input(type="imptcp" address="127.0.0.1" port="$p_tcp" ruleset="eve_tcp")
input(type="imtcp" address="127.0.0.1" port="$p_tls" ruleset="eve_tls")
input(type="imptcp" address="127.0.0.1" port="$p_cef" ruleset="cef")
EOF
rsyslogd -N1 -f "$work/rsyslog.conf" >"$work/rsyslog-check.log" 2>&1 ||
  { echo "FAIL rsyslog rejects the test configuration:"; cat "$work/rsyslog-check.log"; exit 1; }
rsyslog_start "$work/rsyslog.conf"
wait_tcp "$p_tcp" && wait_tcp "$p_tls" && wait_tcp "$p_cef" ||
  { echo "FAIL rsyslogd did not start:"; cat "$work/rsyslogd.log"; exit 1; }

# --- misport: every sink in one run, its own EVE file as the reference ---------------------------------
# dvchost carries the characters CEF must escape ('=', '\', '|', a newline) through both CEF paths.
cat >"$work/outputs.conf" <<EOF
# misport output configuration of run-rsyslog.sh
[eve]
target = $work/eve.json
events = all

[syslog]
target = udp://127.0.0.1:$p_udp
events = all

[syslog]
target = tcp://127.0.0.1:$p_tcp
events = alert flow stats

[syslog]
target = tls://127.0.0.1:$p_tls
tls-ca = $work/ca.pem
events = all

[syslog]
target = tcp://127.0.0.1:$p_cef
format = cef
hostname = "sensor=1\\\\a|b"
events = alert flow

[cef]
target = $work/out.cef
dvchost = "line1\\nk=v \\\\ p|q"
events = alert, flow
EOF
check "--check-config accepts the configuration" "$misport" --check-config "$work/outputs.conf"
mapfile -t caps < <(golden_args)
"$misport" -q --seed 1 --flows "${caps[@]}" --output-config "$work/outputs.conf" 2>"$work/misport.err"
rc=$?
check "misport exits 0 (got $rc)" test "$rc" -eq 0
cat "$work/misport.err"
kinds=alert,flow,stats
total=$(python3 -c 'import sys; print(sum(1 for l in open(sys.argv[1]) if l.strip()))' "$work/eve.json")
ncef=$(grep -c '"event_type":"\(alert\|flow\)"' "$work/eve.json")
nalerts=$(grep -c '"event_type":"alert"' "$work/eve.json")
echo "reference: $total EVE records ($nalerts alerts, $ncef alerts and flows)"
for t in udp tcp tls; do wait_lines "$work/$t.raw" "$total" 15; done
wait_lines "$work/cef.raw" "$ncef" 15
check "no message failed mmjsonparse" test ! -s "$work/udp.unparsed" -a ! -s "$work/tcp.unparsed" -a ! -s "$work/tls.unparsed"
check "TCP: every record arrived once, in order, parsed equal" \
  python3 "$here/siemcheck.py" eve "$work/eve.json" "$work/tcp.raw" "$work/tcp.parsed" "$kinds" --ordered
check "TLS: every record arrived once, in order, parsed equal" \
  python3 "$here/siemcheck.py" eve "$work/eve.json" "$work/tls.raw" "$work/tls.parsed" "$kinds" --ordered
check "UDP: every record arrived once, parsed equal" \
  python3 "$here/siemcheck.py" eve "$work/eve.json" "$work/udp.raw" "$work/udp.parsed" "$kinds"
validator="$shared/tools/validate-eve"
if [[ -x "$validator" || -f "$validator" ]]; then
  for t in tcp tls; do
    check "$t: what mmjsonparse parsed validates against the EVE schema" \
      /usr/bin/python3 "$validator" "$work/$t.parsed"
  done
else
  echo "note: $validator absent; schema validation skipped"
fi
check "CEF over TCP: every alert and flow, parsed independently, dvchost with = \\ |" \
  python3 "$here/siemcheck.py" cef "$work/eve.json" "$work/cef.raw" alert,flow --raw --dvchost 'sensor=1\a|b'
check "CEF file: every alert and flow, parsed independently, dvchost with newline = \\ |" \
  python3 "$here/siemcheck.py" cef "$work/eve.json" "$work/out.cef" alert,flow --dvchost $'line1\nk=v \\ p|q'
check "exit report: nothing dropped" bash -c "! grep -E 'output syslog .*, [1-9][0-9]* dropped' '$work/misport.err'"
exit $fail
