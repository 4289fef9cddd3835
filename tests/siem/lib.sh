# lib.sh: shared helpers of the SIEM integration tests (sourced): installing the receivers' Debian
# packages or skipping, free loopback ports, waiting for listeners, starting and stopping private rsyslogd
# and redis-server instances in the test's own directory. Never touches a system instance.

# siem_need BIN:PACKAGE...: makes each BIN available, installing its Debian PACKAGE with apt-get when it
# is missing; exits 77 (skip) with a message when that is not possible here.
siem_need() {
  local missing=() spec bin pkg
  for spec in "$@"; do
    bin=${spec%%:*} pkg=${spec#*:}
    command -v "$bin" >/dev/null 2>&1 || [[ -x /usr/sbin/$bin ]] || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "SKIP: ${missing[*]} not installed and cannot be installed here (not root or no apt-get)"; exit 77
  fi
  echo "installing ${missing[*]}"
  # No init system runs in CI containers: invoke-rc.d then blocks the packages' services from starting.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
      >"$work/apt.log" 2>&1; then
    apt-get update -q >>"$work/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
      >>"$work/apt.log" 2>&1 || { echo "SKIP: cannot install ${missing[*]}: $(tail -1 "$work/apt.log")"; exit 77; }
  fi
}

# free_ports PROTO...: prints, space-separated, one loopback port per PROTO ("tcp" or "udp") that is free
# now, all of them different numbers. The sockets stay bound until every port is chosen, so that two
# calls of the kernel's allocator cannot hand out the same port twice (separate free_port calls can:
# two receivers then share one port and one of them never gets its traffic).
free_ports() {
  python3 - "$@" <<'PY'
import socket, sys
held, ports = [], []
for proto in sys.argv[1:]:
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        held.append(s)
        port = s.getsockname()[1]
        if port not in ports:
            break
    ports.append(port)
print(" ".join(str(p) for p in ports))
PY
}

# free_port [udp]: prints a loopback port that is free now (for TCP, or UDP with "udp"). A test that needs
# several ports at once takes them from one free_ports call.
free_port() {
  free_ports "${1:-tcp}"
}

# wait_tcp PORT [SECONDS]: waits until something accepts TCP connections on 127.0.0.1:PORT.
wait_tcp() {
  python3 - "$1" "${2:-10}" <<'PY'
import socket, sys, time
end = time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# wait_lines FILE COUNT [SECONDS]: waits until FILE has at least COUNT lines; returns 1 on timeout.
wait_lines() {
  local end=$((SECONDS + ${3:-15}))
  while ((SECONDS < end)); do
    [[ -f "$1" ]] && (($(wc -l <"$1") >= $2)) && return 0
    sleep 0.2
  done
  return 1
}

# rsyslog_start CONF: starts a private rsyslogd (no fork, own pid file) with CONF; sets rs_pid.
rsyslog_start() {
  rsyslogd -n -f "$1" -i "$work/rsyslogd.pid" >>"$work/rsyslogd.log" 2>&1 &
  rs_pid=$!
}

# redis_start PORT DIR: starts a private redis-server on 127.0.0.1:PORT with an fsync-always AOF in DIR
# (acknowledged writes survive a SIGKILL); sets rd_pid.
redis_start() {
  mkdir -p "$2"
  redis-server --bind 127.0.0.1 --port "$1" --dir "$2" --appendonly yes --appendfsync always \
    --save '' --daemonize no --protected-mode yes --logfile "$2/redis.log" &
  rd_pid=$!
}

# check DESCRIPTION COMMAND...: runs COMMAND, prints ok/FAIL, records failure in $fail.
check() {
  if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}

# golden_args: the -r arguments of the golden captures shipped in pcaps/ (all of them, in name order).
golden_args() {
  local f
  for f in "$src"/pcaps/*.pcap; do printf -- '-r\n%s\n' "$f"; done
}
