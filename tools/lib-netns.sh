# lib-netns.sh: the command line, network-namespace, veth and tcpdump helpers shared by the recorders
# tools/record-pcaps.sh, tools/record-scan-pcaps.sh and tools/record-tunnel-pcaps.sh (sourced, not run).
# The caller defines log() and TMP before it calls the namespace and capture helpers, and runs as root.

# recorder_start NAME ARGS...: the recorders' command line (--only SCENARIO... --out DIR --list --versions
# -h), then the checks before recording: root, and every package of NEEDED_PKGS installed (the apt-get
# line to run otherwise; nothing is installed here). Reads the caller's SCENARIOS and NEEDED_PKGS, sets
# its ONLY (every scenario when no --only) and OUT; NAME prefixes the messages. Exits on a usage error.
recorder_start() {
  local me=$1 n p
  local missing=()
  shift
  while (($#)); do
    case $1 in
      --only) ONLY+=("${2:?--only needs a scenario name}"); shift 2 ;;
      --out) OUT=${2:?--out needs a directory}; shift 2 ;;
      --list) printf '%s\n' "${SCENARIOS[@]}"; exit 0 ;;
      --versions) dpkg-query -W "${NEEDED_PKGS[@]}"; exit 0 ;;
      -h|--help) recorder_usage; exit 0 ;;
      *) echo "$me: unknown argument: $1" >&2; recorder_usage >&2; exit 2 ;;
    esac
  done
  for n in "${ONLY[@]}"; do
    [[ " ${SCENARIOS[*]} " == *" $n "* ]] || { echo "$me: no scenario named $n (see --list)" >&2; exit 2; }
  done
  ((${#ONLY[@]})) || ONLY=("${SCENARIOS[@]}")
  [[ $(id -u) == 0 ]] || { echo "$me: must run as root" >&2; exit 1; }
  for p in "${NEEDED_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "$me: missing packages; run: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
}

# recorder_usage: the running recorder's header comment, its usage.
recorder_usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d'; }

# netns_exists NS: true when namespace NS exists.
netns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

# netns_kill NS: kills every process in namespace NS, politely first.
netns_kill() {
  local pid
  for pid in $(ip netns pids "$1" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  sleep 0.3
  for pid in $(ip netns pids "$1" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
}

# netns_remove NS: kills NS's processes and deletes it, if it exists.
netns_remove() {
  if netns_exists "$1"; then
    netns_kill "$1"
    ip netns del "$1"
  fi
}

# netns_create NS: a fresh namespace NS (a stale one of an earlier, killed run is removed first) with
# IPv6 off and loopback up.
netns_create() {
  if netns_exists "$1"; then
    log "removing stale namespace $1"
    netns_remove "$1"
  fi
  ip netns add "$1"
  ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$1" link set lo up
}

# veth_pair NS_A IF_A MAC_A NS_B IF_B MAC_B: a veth pair between the two namespaces with fixed MAC
# addresses, checksum and segmentation offloads off (captures then hold wire-sized packets with correct
# checksums), both ends up. Addresses are the caller's.
veth_pair() {
  ip link add "$2" netns "$1" address "$3" type veth peer name "$5" netns "$4" address "$6"
  ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$4" ethtool -K "$5" tx off tso off gso off gro off >/dev/null 2>&1 || true
  ip -n "$1" link set "$2" up
  ip -n "$4" link set "$5" up
}

CAP_PID=
# capture_start NS IFACE NAME [FILTER]: starts tcpdump on IFACE in NS writing TMP/NAME.pcap (only the
# packets FILTER, a pcap-filter(7) expression, selects, if given); returns once it is capturing. tcpdump is
# started directly (not through a function), so CAP_PID is tcpdump itself.
capture_start() {
  local i
  ip netns exec "$1" tcpdump -i "$2" -n -U -Z root -w "$TMP/$3.pcap" ${4:+"$4"} 2>"$TMP/tcpdump-$3.log" &
  CAP_PID=$!
  for ((i = 0; i < 100; i++)); do
    grep -q 'listening on' "$TMP/tcpdump-$3.log" 2>/dev/null && return 0
    sleep 0.1
  done
  log "tcpdump did not start"; cat "$TMP/tcpdump-$3.log" >&2; return 1
}

# capture_stop NAME FILE: lets the last packets pass, stops tcpdump and moves TMP/NAME.pcap to FILE.
capture_stop() {
  sleep 1
  kill -TERM "$CAP_PID"
  wait "$CAP_PID" || true
  CAP_PID=
  grep -E 'packets (captured|dropped)' "$TMP/tcpdump-$1.log" | tr '\n' ' ' >&2; echo >&2
  mkdir -p "$(dirname "$2")"
  chmod 644 "$TMP/$1.pcap"
  mv "$TMP/$1.pcap" "$2"
  log "wrote $2 ($(stat -c %s "$2") bytes)"
}
