#!/usr/bin/env bash
# record-tunnel-pcaps.sh: records pcaps/{erspan2,erspan3,gre,geneve}-3098.pcap: HTTP on 3098/tcp mirrored by
# Open vSwitch (userspace datapath) into an ERSPAN type II, ERSPAN type III, GRE or Geneve tunnel.
#
# Contract:
#   * Needs root, Linux network namespaces, /dev/net/tun and the Debian 12 packages in NEEDED_PKGS
#     (checked; nothing is installed here: the script prints the apt-get line to run). The kernel's own
#     tunnel drivers are not needed: Open vSwitch's userspace datapath builds every tunnel header itself.
#   * Topology: namespace mp-cli (veth mp-c0, 10.99.0.1/24, the HTTP client) and namespace mp-srv (veth
#     mp-s0, 10.99.0.2/24, the HTTP server) are plugged into bridge br-mon of an Open vSwitch that runs in
#     namespace mp-ovs; br-mon switches between them (action NORMAL) and mirrors every packet (select-all)
#     into one tunnel port. The tunnel leaves through bridge br-phy (10.200.0.1/24, MAC 02:00:0a:c8:00:01)
#     and veth mp-k1 to namespace mp-col (veth mp-k0, 10.200.0.2/24, MAC 02:00:0a:c8:00:02), the
#     collector, where tcpdump records it. IPv6 is off and offloads are off in every namespace.
#   * Each scenario configures its tunnel port and mirror, starts the HTTP server in mp-srv and tcpdump in
#     mp-col (capture filter: `ip proto 47 or udp port 6081`, so the collector's ICMP answers to tunnel
#     packets it has no socket for are not recorded), runs the client in mp-cli (three GETs, as
#     tools/record-pcaps.sh's HTTP scenarios), stops tcpdump and moves the capture to OUT/<name>.pcap (OUT
#     defaults to the repository's pcaps/). Every command line is fixed; the bytes are not.
#   * Traffic goes only between 10.99.0.1 and 10.99.0.2, and from 10.200.0.1 to 10.200.0.2; the
#     namespaces have no other route.
#   * On exit, normal or not, Open vSwitch and every process left in the namespaces are killed, the
#     namespaces (and the veth pairs) are deleted and the temporary directory is removed.
#
# Usage: tools/record-tunnel-pcaps.sh [--only NAME]... [--out DIR] [--list] [--versions]
set -euo pipefail

NS_CLI=mp-cli
NS_SRV=mp-srv
NS_COL=mp-col
NS_OVS=mp-ovs
IP_CLI=10.99.0.1
IP_SRV=10.99.0.2
IP_PHY=10.200.0.1
IP_COL=10.200.0.2
MAC_PHY=02:00:0a:c8:00:01
MAC_COL=02:00:0a:c8:00:02
PY=/usr/bin/python3

SCENARIOS=(erspan2-3098 erspan3-3098 gre-3098 geneve-3098)

# The tunnel port of each scenario (ovs-vsctl "set interface" arguments). Keys and ERSPAN session ids are
# arbitrary, distinct per scenario.
declare -A TUNNEL=(
  [erspan2-3098]="type=erspan options:key=11 options:erspan_ver=1 options:erspan_idx=7"
  [erspan3-3098]="type=erspan options:key=12 options:erspan_ver=2 options:erspan_dir=0 options:erspan_hwid=4"
  [gre-3098]="type=gre options:key=13"
  [geneve-3098]="type=geneve options:key=14"
)

# Debian 12 packages this script runs programs from.
NEEDED_PKGS=(iproute2 ethtool tcpdump procps python3 curl openvswitch-switch)

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/pcaps
ONLY=()

# shellcheck source=tools/lib-netns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-netns.sh"
recorder_start record-tunnel-pcaps "$@"

TMP=$(mktemp -d /tmp/misport-tun.XXXXXX)
OVS=$TMP/ovs
SERVER_PID=

log() { printf 'record-tunnel-pcaps: %s\n' "$*" >&2; }
vsctl() { ovs-vsctl --db="unix:$OVS/db.sock" "$@"; }
appctl() { ovs-appctl -t "$OVS/vswitchd.ctl" "$@"; }

cleanup() {
  local rc=$? ns
  set +e
  for ns in "$NS_CLI" "$NS_SRV" "$NS_COL" "$NS_OVS"; do netns_remove "$ns"; done
  if [[ -n ${KEEP_TMP:-} ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup() {
  local ns
  for ns in "$NS_CLI" "$NS_SRV" "$NS_COL" "$NS_OVS"; do netns_create "$ns"; done
  veth_pair "$NS_CLI" mp-c0 02:00:0a:63:00:01 "$NS_OVS" mp-c1 02:00:0a:63:01:01
  veth_pair "$NS_SRV" mp-s0 02:00:0a:63:00:02 "$NS_OVS" mp-s1 02:00:0a:63:01:02
  veth_pair "$NS_COL" mp-k0 "$MAC_COL" "$NS_OVS" mp-k1 02:00:0a:c8:01:01
  ip -n "$NS_CLI" addr add "$IP_CLI/24" dev mp-c0
  ip -n "$NS_SRV" addr add "$IP_SRV/24" dev mp-s0
  ip -n "$NS_COL" addr add "$IP_COL/24" dev mp-k0
  # Open vSwitch with its database, sockets and logs in TMP, its datapath in user space (netdev).
  mkdir -p "$OVS"
  ovsdb-tool create "$OVS/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ip netns exec "$NS_OVS" env OVS_RUNDIR="$OVS" OVS_LOGDIR="$OVS" ovsdb-server "$OVS/conf.db" \
    --remote="punix:$OVS/db.sock" --pidfile="$OVS/ovsdb.pid" --detach --log-file="$OVS/ovsdb.log" \
    --unixctl="$OVS/ovsdb.ctl"
  vsctl --no-wait init
  ip netns exec "$NS_OVS" env OVS_RUNDIR="$OVS" OVS_LOGDIR="$OVS" ovs-vswitchd "unix:$OVS/db.sock" \
    --pidfile="$OVS/vswitchd.pid" --detach --log-file="$OVS/vswitchd.log" --unixctl="$OVS/vswitchd.ctl"
  vsctl add-br br-mon -- set bridge br-mon datapath_type=netdev -- add-port br-mon mp-c1 -- add-port br-mon mp-s1
  vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev "other_config:hwaddr=$MAC_PHY" \
    -- add-port br-phy mp-k1
  ip -n "$NS_OVS" addr add "$IP_PHY/24" dev br-phy
  ip -n "$NS_OVS" link set br-phy up
  ip -n "$NS_OVS" link set br-mon up
  # Userspace tunnels are routed and resolved by Open vSwitch itself.
  appctl ovs/route/add "${IP_COL%.*}.0/24" br-phy >/dev/null
  appctl tnl/arp/set br-phy "$IP_COL" "$MAC_COL" >/dev/null
}

# tunnel_up NAME: the scenario's tunnel port tun0 and a mirror of everything on br-mon into it.
tunnel_up() {
  # shellcheck disable=SC2086 # the options are separate words
  vsctl add-port br-mon tun0 -- set interface tun0 ${TUNNEL[$1]} "options:remote_ip=$IP_COL" \
    -- --id=@p get port tun0 -- --id=@m create mirror name=m0 select-all=true output-port=@p \
    -- set bridge br-mon mirrors=@m >/dev/null
  sleep 1
}

tunnel_down() {
  vsctl clear bridge br-mon mirrors -- del-port br-mon tun0
}

run_scenario() {
  local name=$1 i
  log "== $name (${TUNNEL[$name]})"
  tunnel_up "$name"
  mkdir -p "$TMP/www"
  printf '<!doctype html>\n<title>misport</title>\n<p>misport test page</p>\n' >"$TMP/www/index.html"
  printf 'hello from misport\n' >"$TMP/www/hello.txt"
  ip netns exec "$NS_SRV" setsid "$PY" -m http.server 3098 --bind "$IP_SRV" --directory "$TMP/www" \
    >"$TMP/http.log" 2>&1 &
  SERVER_PID=$!
  for ((i = 0; i < 100; i++)); do
    ip netns exec "$NS_SRV" ss -ltnH "sport = :3098" | grep -q . && break
    sleep 0.1
  done
  capture_start "$NS_COL" mp-k0 "$name" "ip proto 47 or udp port 6081"
  ip netns exec "$NS_CLI" timeout 20 curl -sS -o /dev/null -o /dev/null "http://$IP_SRV:3098/" \
    "http://$IP_SRV:3098/hello.txt"
  ip netns exec "$NS_CLI" timeout 20 curl -sS -o /dev/null -A misport-recorder "http://$IP_SRV:3098/index.html"
  capture_stop "$name" "$OUT/$name.pcap"
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  tunnel_down
}

setup
for s in "${ONLY[@]}"; do run_scenario "$s"; done
log "done: ${ONLY[*]}"
