#!/usr/bin/env bash
# run-outage.sh: the receiver goes away in the middle of a run and comes back. misport reads a paced
# synthetic capture from a pipe (a sensor on a live link: flows end all along), sending to rsyslog over
# TCP, TLS and UDP, and to Redis; 4 s in, the receiver is killed (SIGKILL), 3 s later restarted. misport
# must keep capturing (its EVE file has every flow, exit 0), reconnect, and account for every record:
# sent + dropped (counted, the queue is 300 records) = written; lost in flight = sent - received is 0 for
# Redis (acknowledged), at most the socket buffers for TCP and TLS; UDP figures are reported only.
# Args: misport srcdir shareddir. Exit 77 when rsyslog or redis-server cannot be installed.
set -uo pipefail
misport=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
fail=0
rs_pid= rd_pid= mp_pid=
cleanup() {
  [[ -n "$mp_pid" ]] && kill -KILL "$mp_pid" 2>/dev/null
  [[ -n "$rs_pid" ]] && kill -KILL "$rs_pid" 2>/dev/null
  [[ -n "$rd_pid" ]] && kill -KILL "$rd_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib.sh
source "$here/lib.sh"
: "$src"

siem_need rsyslogd:rsyslog redis-server:redis-server openssl:openssl
[[ -n "$(find /usr/lib -name lmnsd_ossl.so 2>/dev/null)" ]] || siem_need __rsyslog_ossl__:rsyslog-openssl

FLOWS=3000 RATE=250      # 12 s of paced capture, one flow record per flow
KILL_AT=4 DOWN_FOR=3     # seconds
QUEUE=300                # records per sink queue: a 3 s outage at 250 records/s overflows it
# Bytes the kernel may hold for a TCP connection on both ends (send + receive buffers, at their maxima).
bound=$(($(awk '{print $3}' /proc/sys/net/ipv4/tcp_wmem) + $(awk '{print $3}' /proc/sys/net/ipv4/tcp_rmem)))

(
  cd "$work" || exit 1
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=misport test CA" &&
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=localhost" &&
    printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf &&
    openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext.cnf
) >"$work/openssl.log" 2>&1 || { echo "FAIL cannot make test certificates"; exit 1; }

# rsyslog_conf TRANSPORT PORT: a receiver writing each message as one JSON line (header fields + msg).
rsyslog_conf() {
  local input
  case $1 in
    tcp) input="module(load=\"imptcp\")
input(type=\"imptcp\" address=\"127.0.0.1\" port=\"$2\" ruleset=\"r\")" ;;
    tls) input="module(load=\"imtcp\" streamDriver.name=\"ossl\" streamDriver.mode=\"1\" streamDriver.authMode=\"anon\")
input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$2\" ruleset=\"r\")" ;;
    udp) input="module(load=\"imudp\")
input(type=\"imudp\" address=\"127.0.0.1\" port=\"$2\" ruleset=\"r\" rcvbufSize=\"64m\")" ;;
  esac
  cat <<EOF
global(workDirectory="$work/rs" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="$work/ca.pem" defaultNetstreamDriverCertFile="$work/srv.pem"
       defaultNetstreamDriverKeyFile="$work/srv.key")
template(name="raw" type="list" option.jsonf="on") {
  property(outname="pri" name="pri" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
ruleset(name="r" queue.type="Direct") { action(type="omfile" file="$work/recv-$1.json" template="raw") }
$input
EOF
}

# run_outage TRANSPORT: one paced run with an outage of the receiver of TRANSPORT.
run_outage() {
  local t=$1 port target start_recv stop_recv
  port=$(free_port "$([[ $t == udp ]] && echo udp || echo tcp)")
  rm -f "$work/recv-$t.json"
  mkdir -p "$work/rs"
  if [[ $t == redis ]]; then
    target="[redis]
target = redis://127.0.0.1:$port/list/misport"
    start_recv() { redis_start "$port" "$work/redis"; wait_tcp "$port"; }
    stop_recv() { kill -KILL "$rd_pid"; wait "$rd_pid" 2>/dev/null; rd_pid=; }
  else
    rsyslog_conf "$t" "$port" >"$work/rsyslog-$t.conf"
    target="[syslog]
target = $t://127.0.0.1:$port"
    [[ $t == tls ]] && target+="
tls-ca = $work/ca.pem"
    start_recv() {
      rsyslog_start "$work/rsyslog-$t.conf"
      if [[ $t == udp ]]; then sleep 1; else wait_tcp "$port"; fi
    }
    stop_recv() { kill -KILL "$rs_pid"; wait "$rs_pid" 2>/dev/null; rs_pid=; rm -f "$work/rsyslogd.pid"; }
  fi
  cat >"$work/out-$t.conf" <<EOF
[eve]
target = $work/eve-$t.json
events = all
$target
queue = $QUEUE
events = all
EOF
  start_recv || { echo "FAIL $t: receiver did not start"; fail=1; return; }
  python3 "$here/pcapgen.py" "$FLOWS" "$RATE" |
    "$misport" -q --seed 1 --flows -r - --output-config "$work/out-$t.conf" 2>"$work/err-$t" &
  mp_pid=$!
  sleep "$KILL_AT"
  stop_recv
  echo "     $t: receiver killed at ${KILL_AT}s"
  sleep "$DOWN_FOR"
  start_recv
  echo "     $t: receiver restarted at $((KILL_AT + DOWN_FOR))s"
  local rc=0
  wait "$mp_pid" || rc=$?
  mp_pid=
  sleep 1 # the receiver writes what it got
  grep -v '^misport: output .*: [0-9]* sent' "$work/err-$t" | sed 's/^/     /'
  check "$t: misport kept capturing and exits 0 (got $rc)" test "$rc" -eq 0
  check "$t: misport's EVE file has every flow" \
    test "$(grep -c '"event_type":"flow"' "$work/eve-$t.json")" -eq $((FLOWS + 1))
  if [[ $t == redis ]]; then
    python3 "$here/siemcheck.py" redis-dump "$port" list misport "$work/recv-$t.json"
    check "$t: sent + dropped = written, nothing acknowledged is lost, order kept" \
      python3 "$here/siemcheck.py" outage "$work/eve-$t.json" "$work/recv-$t.json" alert,flow,stats redis "$work/err-$t"
    stop_recv
  else
    if [[ $t == udp ]]; then
      # UDP has no acknowledgement: what went out while the port was closed is gone; report the figures.
      python3 "$here/siemcheck.py" outage "$work/eve-$t.json" "$work/recv-$t.json" alert,flow,stats udp \
        "$work/err-$t" --raw || true
    else
      check "$t: sent + dropped = written, lost in flight within the socket buffers ($bound bytes), order kept" \
        python3 "$here/siemcheck.py" outage "$work/eve-$t.json" "$work/recv-$t.json" alert,flow,stats "$t" \
        "$work/err-$t" --raw --bound-bytes "$bound"
    fi
    stop_recv
  fi
}

for t in ${OUTAGE_TRANSPORTS:-tcp tls udp redis}; do
  echo "== outage: $t"
  run_outage "$t"
done
exit $fail
