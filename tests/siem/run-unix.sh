#!/usr/bin/env bash
# run-unix.sh: EVE to a Unix socket (--eve unix:PATH), stream and datagram receivers started by the test:
# each gets every record of misport's own EVE file of the same run, in order, one JSON line each; a
# receiver that is not there at start is connected to once it appears. Args: misport srcdir shareddir.
set -uo pipefail
misport=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
fail=0
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib.sh
source "$here/lib.sh"

# listen KIND PATH OUT: a receiver writing what it gets to OUT until misport goes away (stream) or it is
# killed (datagram).
listen() {
  python3 - "$@" <<'PY' &
import os, socket, sys
kind, path, out = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM if kind == "stream" else socket.SOCK_DGRAM)
s.bind(path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
with open(out, "wb", buffering=0) as f:
    if kind == "stream":
        s.listen(1)
        c, _ = s.accept()
        while True:
            d = c.recv(65536)
            if not d:
                break
            f.write(d)
    else:
        while True:
            f.write(s.recv(70000))
PY
  pids+=($!)
}

mapfile -t caps < <(golden_args)
printf '[eve]\ntarget = %s\nevents = all\n' "$work/eve.json" >"$work/ref.conf"
for kind in stream dgram; do
  rm -f "$work/eve.json"
  listen "$kind" "$work/$kind.sock" "$work/$kind.out"
  sleep 0.5
  "$misport" -q --seed 1 --flows "${caps[@]}" --eve "unix:$work/$kind.sock" --output-config "$work/ref.conf" \
    2>"$work/err-$kind"
  rc=$?
  sleep 0.5
  cat "$work/err-$kind"
  check "$kind: misport exits 0 (got $rc)" test "$rc" -eq 0
  check "$kind: every record, in order" cmp -s "$work/eve.json" "$work/$kind.out"
done

# A receiver that appears late: misport queues and connects once it is there.
rm -f "$work/eve.json"
python3 "$here/pcapgen.py" 400 200 |
  "$misport" -q --seed 1 --flows -r - --eve "unix:$work/late.sock" --output-config "$work/ref.conf" 2>"$work/err-late" &
mp=$!
sleep 1
listen stream "$work/late.sock" "$work/late.out"
wait "$mp"
rc=$?
sleep 0.5
cat "$work/err-late"
check "late receiver: misport exits 0 (got $rc)" test "$rc" -eq 0
check "late receiver: every record, in order" cmp -s "$work/eve.json" "$work/late.out"
exit $fail
