#!/usr/bin/env bash
# record-pcaps.sh: records pcaps/*.pcap from real servers and clients in two private network namespaces.
#
# Contract:
#   * Needs root, Linux network namespaces and the Debian 12 packages listed in NEEDED_PKGS below
#     (it checks for them and stops with the apt-get line to run; it installs nothing itself).
#   * Topology: namespace mp-cli (veth mp-c0, 10.99.0.1/24, the client) <-> namespace mp-srv
#     (veth mp-s0, 10.99.0.2/24, every server). IPv6 is disabled in both namespaces, checksum and
#     segmentation offloads are off on both veth ends (so captures show wire-sized packets with correct
#     checksums) and the neighbour entries are static (so captures hold no ARP), except in `mixed`,
#     which deletes them so that one capture also holds ARP frames.
#   * Traffic goes only between 10.99.0.1 and 10.99.0.2 (and loopback inside the namespaces); no
#     program started here is given any other address, and the namespaces have no route elsewhere.
#   * Each scenario starts its servers in mp-srv, starts `tcpdump -i mp-s0 -U -w` in mp-srv, runs its
#     clients in mp-cli, stops tcpdump and the servers, and moves the capture to OUT/<name>.pcap
#     (OUT defaults to the repository's pcaps/). The scenario set and every command line are fixed;
#     the bytes are not (timestamps, ports, keys differ on every run).
#   * On exit, normal or not, every process left in the two namespaces is killed by pid, the namespaces
#     (and with them the veth pair) are deleted and the temporary directory is removed.
#
# Usage: tools/record-pcaps.sh [--only NAME]... [--out DIR] [--list] [--versions]
set -euo pipefail

NS_CLI=mp-cli
NS_SRV=mp-srv
VETH_CLI=mp-c0
VETH_SRV=mp-s0
IP_CLI=10.99.0.1
IP_SRV=10.99.0.2
MAC_CLI=02:00:0a:63:00:01
MAC_SRV=02:00:0a:63:00:02
SNI=test.misport.invalid
# A tcp port with no assigned service in IANA's registry (inside the "4461-4483 Unassigned" block).
UNASSIGNED_PORT=4470
# vxlan-3098: a VXLAN overlay (VNI 42, UDP 4789) between the two veth ends, with these addresses.
VX_DEV=mp-vx
VX_VNI=42
VX_CLI=10.97.0.1
VX_SRV=10.97.0.2
VX_MAC_CLI=02:00:0a:61:00:01
VX_MAC_SRV=02:00:0a:61:00:02
# A tcp port nothing listens on in `mixed` (the client gets a RST).
CLOSED_PORT=81
PY=/usr/bin/python3

SCENARIOS=(http-80 http-3098 http-598 http-8080 tls-443 tls-3219 tls-465 tls-993 tls-995
  ssh-22 ssh-598 unassigned-port dns-53 dns-80 dot-853 smb-445 imap-143 mixed vxlan-3098)

# Debian 12 packages this script runs programs from.
NEEDED_PKGS=(iproute2 util-linux ethtool tcpdump procps python3 curl openssl openssh-server openssh-client
  dnsmasq-base bind9-dnsutils unbound knot-dnsutils samba smbclient dovecot-imapd)

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/pcaps
ONLY=()

# shellcheck source=tools/lib-netns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-netns.sh"
recorder_start record-pcaps "$@"

TMP=$(mktemp -d /tmp/misport-rec.XXXXXX)
# Daemons that drop privileges (dovecot, dnsmasq) must traverse TMP; secrets in it are throwaway.
chmod 755 "$TMP"
SERVER_PIDS=()
MADE_RUN_SSHD=0

log() { printf 'record-pcaps: %s\n' "$*" >&2; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }
in_cli() { ip netns exec "$NS_CLI" "$@"; }

cleanup() {
  local rc=$? ns
  set +e
  for ns in "$NS_CLI" "$NS_SRV"; do netns_remove "$ns"; done
  ((MADE_RUN_SSHD)) && rmdir /run/sshd 2>/dev/null
  # KEEP_TMP=1 keeps the servers' logs and configs for debugging.
  if [[ -n ${KEEP_TMP:-} ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_net() {
  # Namespaces left by an earlier, killed run of this script are ours: netns_create removes them.
  netns_create "$NS_CLI"
  netns_create "$NS_SRV"
  veth_pair "$NS_CLI" "$VETH_CLI" "$MAC_CLI" "$NS_SRV" "$VETH_SRV" "$MAC_SRV"
  ip -n "$NS_CLI" addr add "$IP_CLI/24" dev "$VETH_CLI"
  ip -n "$NS_SRV" addr add "$IP_SRV/24" dev "$VETH_SRV"
  static_neigh
}

static_neigh() {
  ip -n "$NS_CLI" neigh replace "$IP_SRV" lladdr "$MAC_SRV" dev "$VETH_CLI" nud permanent
  ip -n "$NS_SRV" neigh replace "$IP_CLI" lladdr "$MAC_CLI" dev "$VETH_SRV" nud permanent
}

# flush_neigh: removes the static entries (flush leaves permanent ones), so the next packet needs ARP.
flush_neigh() {
  ip -n "$NS_CLI" neigh del "$IP_SRV" dev "$VETH_CLI"
  ip -n "$NS_SRV" neigh del "$IP_CLI" dev "$VETH_SRV"
}

# wait_listen PROTO PORT: waits (at most 10 s) until something in mp-srv listens on PROTO (tcp|udp) PORT.
wait_listen() {
  local flag=-ltnH i
  [[ $1 == udp ]] && flag=-lunH
  for ((i = 0; i < 100; i++)); do
    in_srv ss "$flag" "sport = :$2" | grep -q . && return 0
    sleep 0.1
  done
  log "nothing listens on $1/$2 in $NS_SRV"; return 1
}

# start_srv LOGNAME CMD...: starts CMD in mp-srv in the background, output to TMP/LOGNAME.log.
start_srv() {
  local name=$1; shift
  # Not through in_srv: $! must be the server itself (ip netns exec and setsid exec it), not a subshell.
  # setsid: a server that signals its own process group on exit (smbd does) must not hit this script.
  ip netns exec "$NS_SRV" setsid "$@" >"$TMP/$name.log" 2>&1 &
  SERVER_PIDS+=($!)
}

# stop_servers: ends every process started by start_srv, then any child they left in mp-srv.
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVER_PIDS=()
  sleep 0.2
  for pid in $(ip netns pids "$NS_SRV"); do kill "$pid" 2>/dev/null || true; done
  sleep 0.3
  for pid in $(ip netns pids "$NS_SRV"); do kill -9 "$pid" 2>/dev/null || true; done
}

# cap_start NAME / cap_stop NAME: tcpdump on mp-s0 into OUT/NAME.pcap (tools/lib-netns.sh).
cap_start() { capture_start "$NS_SRV" "$VETH_SRV" "$1"; }
cap_stop() { capture_stop "$1" "$OUT/$1.pcap"; }

# ---- material shared by scenarios (made once per run, in TMP) ----

make_material() {
  mkdir -p "$TMP/www" "$TMP/ssh"
  printf '<!doctype html>\n<title>misport</title>\n<p>misport test page</p>\n' >"$TMP/www/index.html"
  printf 'hello from misport\n' >"$TMP/www/hello.txt"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$SNI" \
    -addext "subjectAltName=DNS:$SNI" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
  chmod 600 "$TMP/key.pem"
  ssh-keygen -q -t ed25519 -N '' -C misport-host -f "$TMP/ssh/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C misport-client -f "$TMP/ssh/client_ed25519"
  cp "$TMP/ssh/client_ed25519.pub" "$TMP/ssh/authorized_keys"
  if [[ ! -d /run/sshd ]]; then mkdir -m 755 /run/sshd; MADE_RUN_SSHD=1; fi
}

# ---- servers ----

srv_http() { # PORT [ADDRESS]
  start_srv "http-$1" "$PY" -m http.server "$1" --bind "${2:-$IP_SRV}" --directory "$TMP/www"
  wait_listen tcp "$1"
}

# vxlan_up: a VXLAN device in each namespace over the veth pair (RFC 7348, VNI VX_VNI, UDP 4789), with
# fixed MAC addresses, offloads off and static neighbour entries, as the veth pair has.
vxlan_up() {
  local ns dev_mac local_ip remote_ip addr peer peer_mac
  for ns in "$NS_CLI" "$NS_SRV"; do
    if [[ $ns == "$NS_CLI" ]]; then
      dev_mac=$VX_MAC_CLI local_ip=$IP_CLI remote_ip=$IP_SRV addr=$VX_CLI peer=$VX_SRV peer_mac=$VX_MAC_SRV
      local under=$VETH_CLI
    else
      dev_mac=$VX_MAC_SRV local_ip=$IP_SRV remote_ip=$IP_CLI addr=$VX_SRV peer=$VX_CLI peer_mac=$VX_MAC_CLI
      local under=$VETH_SRV
    fi
    ip -n "$ns" link add "$VX_DEV" address "$dev_mac" type vxlan id "$VX_VNI" dstport 4789 \
      local "$local_ip" remote "$remote_ip" dev "$under"
    ip netns exec "$ns" ethtool -K "$VX_DEV" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "$ns" addr add "$addr/24" dev "$VX_DEV"
    ip -n "$ns" link set "$VX_DEV" up
    ip -n "$ns" neigh replace "$peer" lladdr "$peer_mac" dev "$VX_DEV" nud permanent
  done
}

vxlan_down() {
  ip -n "$NS_CLI" link del "$VX_DEV" 2>/dev/null || true
  ip -n "$NS_SRV" link del "$VX_DEV" 2>/dev/null || true
}

srv_tls() { # PORT: one-connection TLS server that sends back each received line reversed
  start_srv "tls-$1" openssl s_server -accept "$IP_SRV:$1" -cert "$TMP/cert.pem" -key "$TMP/key.pem" \
    -naccept 1 -rev
  wait_listen tcp "$1"
}

srv_ssh() { # PORT: sshd whose only session command prints a fixed line
  cat >"$TMP/ssh/sshd_config-$1" <<EOF
Port $1
ListenAddress $IP_SRV
HostKey $TMP/ssh/host_ed25519
PidFile $TMP/ssh/sshd-$1.pid
AuthorizedKeysFile $TMP/ssh/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
ForceCommand echo misport-ssh-ok
PrintMotd no
EOF
  start_srv "sshd-$1" /usr/sbin/sshd -D -e -f "$TMP/ssh/sshd_config-$1"
  wait_listen tcp "$1"
}

srv_dns() { # PORT: dnsmasq authoritative-like answers for test.misport.invalid, no upstream
  start_srv "dnsmasq-$1" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --listen-address="$IP_SRV" --bind-interfaces --port="$1" --pid-file= --log-queries \
    --log-facility=- --address="/$SNI/$IP_SRV" --mx-host="$SNI,mail.$SNI,10" \
    --txt-record="txt.$SNI,misport test record"
  wait_listen udp "$1"
  wait_listen tcp "$1"
}

srv_dot() { # unbound answering a static local zone over DNS-over-TLS on 853
  mkdir -p "$TMP/unbound"
  cat >"$TMP/unbound/unbound.conf" <<EOF
server:
  verbosity: 1
  interface: $IP_SRV@853
  tls-port: 853
  tls-service-key: "$TMP/key.pem"
  tls-service-pem: "$TMP/cert.pem"
  do-ip6: no
  chroot: ""
  username: ""
  directory: "$TMP/unbound"
  pidfile: "$TMP/unbound/unbound.pid"
  use-syslog: no
  logfile: ""
  access-control: 10.99.0.0/24 allow
  module-config: "iterator"
  do-not-query-localhost: yes
  local-zone: "$SNI." static
  local-data: "$SNI. 300 IN A $IP_SRV"
  local-data: "$SNI. 300 IN TXT \"misport test record\""
remote-control:
  control-enable: no
EOF
  start_srv unbound unbound -d -c "$TMP/unbound/unbound.conf"
  wait_listen tcp 853
}

srv_smb() { # smbd bound to IP_SRV:445 only, one read-only guest share
  local d=$TMP/samba
  mkdir -p "$d"/{lock,state,cache,private,run,ncalrpc,share}
  printf 'misport\n' >"$d/share/readme.txt"
  cat >"$d/smb.conf" <<EOF
[global]
  workgroup = MISPORT
  netbios name = MPSRV
  server role = standalone server
  interfaces = $IP_SRV/24
  bind interfaces only = yes
  smb ports = 445
  disable netbios = yes
  map to guest = Bad User
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  private dir = $d/private
  pid directory = $d/run
  ncalrpc dir = $d/ncalrpc
  passdb backend = tdbsam:$d/private/passdb.tdb
  log file = $d/log.%m
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[public]
  path = $d/share
  guest ok = yes
  read only = yes
EOF
  # --no-process-group: start_srv already made it a session leader (its own setsid() would fail).
  start_srv smbd smbd --foreground --no-process-group --debug-stdout --configfile="$d/smb.conf"
  wait_listen tcp 445
}

srv_imap() { # dovecot IMAP on 143 with STARTTLS, one passwd-file user misport/misport
  local d=$TMP/dovecot
  mkdir -p "$d/home"
  chown dovecot:dovecot "$d/home"
  printf 'misport:{PLAIN}misport::::::\n' >"$d/passwd"
  cat >"$d/dovecot.conf" <<EOF
instance_name = misport-dovecot
base_dir = $d/run
state_dir = $d/state
protocols = imap
listen = $IP_SRV
log_path = $d/dovecot.log
ssl = yes
ssl_cert = <$TMP/cert.pem
ssl_key = <$TMP/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = scheme=PLAIN $d/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$d/home/%u
}
mail_location = maildir:~/Maildir
# The mail user is the system user dovecot (uid < 1000).
first_valid_uid = 1
service imap-login {
  inet_listener imap {
    address = $IP_SRV
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
  start_srv dovecot dovecot -F -c "$d/dovecot.conf"
  wait_listen tcp 143
}

# ---- clients (each bounded in time) ----

cli_http() { # PORT [ADDRESS]: three requests, two on one curl invocation
  local a=${2:-$IP_SRV}
  in_cli timeout 20 curl -sS -o /dev/null -o /dev/null "http://$a:$1/" "http://$a:$1/hello.txt"
  in_cli timeout 20 curl -sS -o /dev/null -A misport-recorder "http://$a:$1/index.html"
}

cli_tls() { # PORT: TLS handshake with SNI, one line each way, then close
  (printf 'hello misport over tls\n'; sleep 1) |
    in_cli timeout 20 openssl s_client -connect "$IP_SRV:$1" -servername "$SNI" -CAfile "$TMP/cert.pem" \
      -verify_return_error -quiet -no_ign_eof >/dev/null 2>>"$TMP/s_client.log"
}

cli_ssh() { # PORT: key exchange, public-key login, the forced command's output
  local out
  out=$(in_cli timeout 20 ssh -F /dev/null -p "$1" -i "$TMP/ssh/client_ed25519" -o IdentitiesOnly=yes \
    -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR "root@$IP_SRV" true)
  [[ $out == misport-ssh-ok ]] || { log "ssh on $1 said: $out"; return 1; }
}

cli_dns() { # PORT: three UDP queries and one TCP query
  local p=$1
  in_cli timeout 20 dig +tries=1 +time=3 -p "$p" "@$IP_SRV" "$SNI" A >/dev/null
  in_cli timeout 20 dig +tries=1 +time=3 -p "$p" "@$IP_SRV" "$SNI" MX >/dev/null
  in_cli timeout 20 dig +tries=1 +time=3 -p "$p" "@$IP_SRV" "txt.$SNI" TXT >/dev/null
  in_cli timeout 20 dig +tcp +tries=1 +time=3 -p "$p" "@$IP_SRV" "www.$SNI" A >/dev/null
}

# ---- scenarios ----

run_scenario() {
  local name=$1
  log "== $name"
  case $name in
    http-80|http-3098|http-598|http-8080)
      local port=${name#http-}
      srv_http "$port"; cap_start "$name"; cli_http "$port" ;;
    tls-443|tls-3219|tls-465|tls-993|tls-995)
      local port=${name#tls-}
      srv_tls "$port"; cap_start "$name"; cli_tls "$port" ;;
    ssh-22|ssh-598)
      local port=${name#ssh-}
      srv_ssh "$port"; cap_start "$name"; cli_ssh "$port" ;;
    unassigned-port)
      srv_ssh "$UNASSIGNED_PORT"; cap_start "$name"; cli_ssh "$UNASSIGNED_PORT" ;;
    dns-53|dns-80)
      local port=${name#dns-}
      srv_dns "$port"; cap_start "$name"; cli_dns "$port" ;;
    dot-853)
      srv_dot; cap_start "$name"
      in_cli timeout 20 kdig "@$IP_SRV" -p 853 +tls-ca="$TMP/cert.pem" +tls-hostname="$SNI" \
        "$SNI" A "$SNI" TXT >/dev/null ;;
    smb-445)
      srv_smb; cap_start "$name"
      local c=$TMP/samba/client.conf
      printf '[global]\n  client min protocol = SMB2\n' >"$c"
      in_cli timeout 30 smbclient --configfile="$c" -L "//$IP_SRV" -p 445 -U % -N >"$TMP/smbclient.log" 2>&1 ||
        { cat "$TMP/smbclient.log" >&2; return 1; } ;;
    imap-143)
      srv_imap; cap_start "$name"
      in_cli timeout 20 curl -sS --ssl-reqd --cacert "$TMP/cert.pem" --resolve "$SNI:143:$IP_SRV" \
        -u misport:misport "imap://$SNI:143/" >/dev/null ;;
    mixed)
      # HTTP/80, TLS/443, SSH/22 and DNS/53 (two of them concurrently), then a RST from a closed port,
      # with the static neighbour entries deleted so the capture begins with ARP.
      srv_http 80; srv_tls 443; srv_ssh 22; srv_dns 53
      flush_neigh
      cap_start "$name"
      cli_http 80 & local bg=$!
      cli_tls 443
      wait "$bg"
      cli_ssh 22
      in_cli timeout 20 dig +tries=1 +time=3 "@$IP_SRV" "$SNI" A >/dev/null
      if in_cli timeout 10 curl -sS -o /dev/null "http://$IP_SRV:$CLOSED_PORT/" 2>/dev/null; then
        log "port $CLOSED_PORT unexpectedly answered"; return 1
      fi ;;
    vxlan-3098)
      # HTTP on 3098 and on 80 inside a VXLAN overlay, captured on the underlay (the veth): what a sensor
      # fed by VXLAN traffic mirroring sees.
      vxlan_up
      srv_http 3098 "$VX_SRV"; srv_http 80 "$VX_SRV"
      cap_start "$name"
      cli_http 3098 "$VX_SRV"
      cli_http 80 "$VX_SRV" ;;
  esac
  cap_stop "$name"
  stop_servers
  [[ $name != vxlan-3098 ]] || vxlan_down
  static_neigh
}

make_material
setup_net
for s in "${ONLY[@]}"; do run_scenario "$s"; done
log "done: ${ONLY[*]}"
