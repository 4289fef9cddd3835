#!/usr/bin/env bash
# run-redis.sh: misport feeding a private redis-server over loopback: RPUSH to a list, LPUSH to a list and
# XADD to a stream with MAXLEN; each must hold every alert, flow and stats record of the golden captures
# (as misport's own EVE file of the same run has them), in order. Args: misport srcdir shareddir. Exit 77
# when redis-server cannot be installed.
set -uo pipefail
misport=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
fail=0
rd_pid=
cleanup() {
  [[ -n "$rd_pid" ]] && kill -TERM "$rd_pid" 2>/dev/null && wait "$rd_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib.sh
source "$here/lib.sh"

siem_need redis-server:redis-server
port=$(free_port)
redis_start "$port" "$work/redis"
wait_tcp "$port" || { echo "FAIL redis-server did not start"; cat "$work/redis/redis.log"; exit 1; }

cat >"$work/outputs.conf" <<EOF
[eve]
target = $work/eve.json
events = all
[redis]
target = redis://127.0.0.1:$port/list/misport:rpush
events = all
[redis]
target = redis://127.0.0.1:$port/list/misport:lpush
mode = lpush
events = all
[redis]
target = redis://127.0.0.1:$port/stream/misport:stream
maxlen = 1000000
events = all
[redis]
target = redis://127.0.0.1:$port/list/misport:alerts
EOF
mapfile -t caps < <(golden_args)
"$misport" -q --seed 1 --flows "${caps[@]}" --output-config "$work/outputs.conf" 2>"$work/misport.err"
rc=$?
cat "$work/misport.err"
check "misport exits 0 (got $rc)" test "$rc" -eq 0
python3 "$here/siemcheck.py" redis-dump "$port" list misport:rpush "$work/rpush.json"
python3 "$here/siemcheck.py" redis-dump "$port" list misport:lpush "$work/lpush.rev"
tac "$work/lpush.rev" >"$work/lpush.json"
python3 "$here/siemcheck.py" redis-dump "$port" stream misport:stream "$work/stream.json"
python3 "$here/siemcheck.py" redis-dump "$port" list misport:alerts "$work/alerts.json"
check "RPUSH list: every record, in order" python3 "$here/siemcheck.py" redis "$work/eve.json" "$work/rpush.json" alert,flow,stats
check "LPUSH list: every record, in reverse order" python3 "$here/siemcheck.py" redis "$work/eve.json" "$work/lpush.json" alert,flow,stats
check "stream: every record, in order" python3 "$here/siemcheck.py" redis "$work/eve.json" "$work/stream.json" alert,flow,stats
check "default events (alerts and stats), in order" python3 "$here/siemcheck.py" redis "$work/eve.json" "$work/alerts.json" alert,stats

# MAXLEN trims the stream (approximately, as XADD MAXLEN ~ does).
cat >"$work/trim.conf" <<EOF
[redis]
target = redis://127.0.0.1:$port/stream/misport:trim
maxlen = 100
events = all
EOF
"$misport" -q --seed 1 --flows "${caps[@]}" --output-config "$work/trim.conf" 2>/dev/null
n=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import siemcheck; print(siemcheck.resp_command(int(sys.argv[2]), "XLEN", "misport:trim"))' "$here" "$port")
total=$(wc -l <"$work/eve.json")
check "MAXLEN ~ 100 trims the stream ($n of $total entries kept)" test "$n" -ge 100 -a "$n" -lt "$total"
exit $fail
