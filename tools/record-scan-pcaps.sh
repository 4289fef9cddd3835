#!/usr/bin/env bash
# record-scan-pcaps.sh: records the scan test captures pcaps/scan-*.pcap: nmap, curl and dig between two netns.
#
# Contract:
#   * Needs root, Linux network namespaces and the Debian 12 packages in NEEDED_PKGS (checked; nothing is
#     installed here: the script prints the apt-get line to run).
#   * Topology: namespace mpscan-a (veth mpsc-a0, 10.98.0.66/24: the scanner or client) <-> namespace
#     mpscan-t (veth mpsc-t0 holding 10.98.0.10 to 10.98.0.17: the targets). 10.98.0.18 to 10.98.0.21
#     have static neighbour entries pointing at mpsc-t0 but are not assigned, so probes to them go
#     unanswered (dead hosts). IPv6 is off, offloads are off, neighbour entries are static (no ARP in
#     the captures) and ICMP error rate limiting is off in mpscan-t so every closed UDP port answers.
#   * Servers in mpscan-t: sshd on 10.98.0.10:22, python3 http.server on 10.98.0.10:80, dnsmasq on
#     10.98.0.10:53 (udp and tcp), http.server on 10.98.0.11:22 (a web server on the SSH port, so that a
#     version scan sends HTTP to 22/tcp) and on 10.98.0.11:3098, and http.server on 10.98.0.12:80 and
#     :8080.
#   * Each scenario starts tcpdump on mpsc-t0 (in mpscan-t), runs its clients in mpscan-a, stops tcpdump
#     and moves the capture to OUT/scan-<name>.pcap (OUT defaults to the repository's pcaps/). Every
#     command line is fixed; the bytes are not (timestamps, ports, sequence numbers differ per run).
#   * Traffic goes only to the 10.98.0.0/24 addresses above; the namespaces have no other route.
#   * On exit, normal or not, every process left in the two namespaces is killed by pid, the namespaces
#     (and the veth pair) are deleted and the temporary directory is removed.
#
# Usage: tools/record-scan-pcaps.sh [--only NAME]... [--out DIR] [--list] [--versions]
set -euo pipefail

NS_A=mpscan-a
NS_T=mpscan-t
VETH_A=mpsc-a0
VETH_T=mpsc-t0
MAC_A=02:00:0a:62:00:42
MAC_T=02:00:0a:62:00:0a
IP_A=10.98.0.66
TARGETS=(10.98.0.10 10.98.0.11 10.98.0.12 10.98.0.13 10.98.0.14 10.98.0.15 10.98.0.16 10.98.0.17)
DEAD=(10.98.0.18 10.98.0.19 10.98.0.20 10.98.0.21)
T1=10.98.0.10
T2=10.98.0.11
T3=10.98.0.12
NAME=scan.misport.invalid
PY=/usr/bin/python3
# Common nmap options: numeric, no host discovery (the scans name live hosts), one retry, fast timing.
NMAP=(nmap -n -Pn --max-retries 1 -T4 --reason)

SCENARIOS=(syn connect udp version null fin xmas ack maimon pingsweep benign quick)

NEEDED_PKGS=(iproute2 ethtool tcpdump procps python3 curl nmap openssh-server bind9-dnsutils dnsmasq-base)

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/pcaps
ONLY=()

# shellcheck source=tools/lib-netns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-netns.sh"
recorder_start record-scan-pcaps "$@"

TMP=$(mktemp -d /tmp/misport-scanrec.XXXXXX)
chmod 755 "$TMP"
MADE_RUN_SSHD=0

log() { printf 'record-scan-pcaps: %s\n' "$*" >&2; }
in_a() { ip netns exec "$NS_A" "$@"; }
in_t() { ip netns exec "$NS_T" "$@"; }


cleanup() {
  local rc=$? ns
  set +e
  for ns in "$NS_A" "$NS_T"; do netns_remove "$ns"; done
  ((MADE_RUN_SSHD)) && rmdir /run/sshd 2>/dev/null
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_net() {
  local a
  netns_create "$NS_A"
  netns_create "$NS_T"
  # Every closed UDP port answers with an ICMP port unreachable (no per-destination rate limit).
  in_t sysctl -q -w net.ipv4.icmp_ratelimit=0
  in_t sysctl -q -w net.ipv4.icmp_msgs_per_sec=100000 2>/dev/null || true
  veth_pair "$NS_A" "$VETH_A" "$MAC_A" "$NS_T" "$VETH_T" "$MAC_T"
  ip -n "$NS_A" addr add "$IP_A/24" dev "$VETH_A"
  for a in "${TARGETS[@]}"; do ip -n "$NS_T" addr add "$a/24" dev "$VETH_T"; done
  for a in "${TARGETS[@]}" "${DEAD[@]}"; do
    ip -n "$NS_A" neigh replace "$a" lladdr "$MAC_T" dev "$VETH_A" nud permanent
  done
  ip -n "$NS_T" neigh replace "$IP_A" lladdr "$MAC_A" dev "$VETH_T" nud permanent
}

wait_listen() { # PROTO ADDR PORT: waits (at most 10 s) until something in mpscan-t listens there
  local flag=-ltnH i
  [[ $1 == udp ]] && flag=-lunH
  for ((i = 0; i < 100; i++)); do
    in_t ss "$flag" "src $2 and sport = :$3" | grep -q . && return 0
    sleep 0.1
  done
  log "nothing listens on $1 $2:$3"; return 1
}

start_servers() {
  mkdir -p "$TMP/www" "$TMP/ssh"
  printf '<!doctype html>\n<title>misport scan target</title>\n<p>target</p>\n' >"$TMP/www/index.html"
  ssh-keygen -q -t ed25519 -N '' -C misport-scan-target -f "$TMP/ssh/host_ed25519"
  if [[ ! -d /run/sshd ]]; then mkdir -m 755 /run/sshd; MADE_RUN_SSHD=1; fi
  cat >"$TMP/ssh/sshd_config" <<EOF
Port 22
ListenAddress $T1
HostKey $TMP/ssh/host_ed25519
PidFile $TMP/ssh/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
EOF
  in_t /usr/sbin/sshd -D -e -f "$TMP/ssh/sshd_config" >"$TMP/sshd.log" 2>&1 &
  in_t "$PY" -m http.server 80 --bind "$T1" --directory "$TMP/www" >"$TMP/http-t1-80.log" 2>&1 &
  in_t "$PY" -m http.server 22 --bind "$T2" --directory "$TMP/www" >"$TMP/http-t2-22.log" 2>&1 &
  in_t "$PY" -m http.server 3098 --bind "$T2" --directory "$TMP/www" >"$TMP/http-t2-3098.log" 2>&1 &
  in_t "$PY" -m http.server 80 --bind "$T3" --directory "$TMP/www" >"$TMP/http-t3-80.log" 2>&1 &
  in_t "$PY" -m http.server 8080 --bind "$T3" --directory "$TMP/www" >"$TMP/http-t3-8080.log" 2>&1 &
  in_t dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --listen-address="$T1" \
    --bind-interfaces --port=53 --pid-file= --address="/$NAME/$T1" >"$TMP/dnsmasq.log" 2>&1 &
  wait_listen tcp "$T1" 22
  wait_listen tcp "$T1" 80
  wait_listen tcp "$T2" 22
  wait_listen tcp "$T2" 3098
  wait_listen tcp "$T3" 80
  wait_listen tcp "$T3" 8080
  wait_listen udp "$T1" 53
}

cap_start() { capture_start "$NS_T" "$VETH_T" "$1"; } # NAME: tcpdump on the targets' side (tools/lib-netns.sh)
cap_stop() { capture_stop "$1" "$OUT/scan-$1.pcap"; } # NAME: after the last answers, into OUT/scan-NAME.pcap

scan() { # NMAP ARGS...: runs nmap in the scanner namespace, its report kept in TMP/nmap.log
  in_a timeout 300 "${NMAP[@]}" "$@" >>"$TMP/nmap.log" 2>&1 || { cat "$TMP/nmap.log" >&2; return 1; }
}

run_scenario() {
  local name=$1
  log "== $name"
  # sshd checks its privilege separation directory on every connection; recreate it if it went away.
  if [[ ! -d /run/sshd ]]; then mkdir -m 755 /run/sshd; MADE_RUN_SSHD=1; fi
  : >"$TMP/nmap.log"
  cap_start "$name"
  case $name in
    syn) scan -sS -p 1-1000 "$T1" ;;
    connect) scan -sT -p 1-1000 "$T1" ;;
    udp) scan -sU --top-ports 100 "$T1" ;;
    version) scan -sS -sV --version-light -p 1-100 "$T1" "$T2" ;;
    null) scan -sN -p 1-300 "$T1" ;;
    fin) scan -sF -p 1-300 "$T1" ;;
    xmas) scan -sX -p 1-300 "$T1" ;;
    ack) scan -sA -p 1-300 "$T1" ;;
    maimon) scan -sM -p 1-300 "$T1" ;;
    pingsweep)
      # Host discovery only, over 8 live and 4 dead addresses; the default probes of a privileged
      # nmap -sn (ICMP echo, TCP SYN to 443, TCP ACK to 80, ICMP timestamp), without ARP ping.
      in_a timeout 120 nmap -n -sn --disable-arp-ping --max-retries 1 -T4 10.98.0.10-21 >>"$TMP/nmap.log" 2>&1 ;;
    benign)
      # A client at work: web pages from two servers, DNS lookups, and three attempts that fail
      # (connection refused) on two hosts.
      in_a timeout 20 curl -sS -o /dev/null -o /dev/null "http://$T1/" "http://$T1/index.html"
      in_a timeout 20 curl -sS -o /dev/null "http://$T3/"
      in_a timeout 20 curl -sS -o /dev/null "http://$T3:8080/"
      in_a timeout 20 dig +tries=1 +time=3 "@$T1" "$NAME" A >/dev/null
      in_a timeout 20 dig +tries=1 +time=3 "@$T1" "www.$NAME" A >/dev/null
      in_a timeout 10 curl -sS -o /dev/null "http://$T1:81/" 2>/dev/null && { log "$T1:81 answered"; return 1; }
      in_a timeout 10 curl -sS -o /dev/null "http://$T3:8081/" 2>/dev/null && { log "$T3:8081 answered"; return 1; }
      in_a timeout 10 curl -sS -o /dev/null "http://$T2:8000/" 2>/dev/null && { log "$T2:8000 answered"; return 1; }
      in_a timeout 20 curl -sS -o /dev/null "http://$T1/" ;;
    quick)
      # A short SYN scan (30 ports, above the 15-port threshold, fewer flows than a pipeline queues for
      # the scan detector), then at once a real HTTP request to the web server on 10.98.0.11:3098 (a
      # dormant registration): its verdict must see the scan that came first (scan-noise, no alert of
      # its own).
      scan -sS -p 1-30 "$T2"
      in_a timeout 20 curl -sS -o /dev/null "http://$T2:3098/" ;;
  esac
  cap_stop "$name"
  sed -n '/^Nmap scan report\|^PORT\|^Not shown\|open\|Nmap done/p' "$TMP/nmap.log" | head -20 >&2 || true
}

setup_net
start_servers
for s in "${ONLY[@]}"; do run_scenario "$s"; done
log "done: ${ONLY[*]}"
