#!/usr/bin/env bash
# run-report.sh: `misport --report FILE.html` rendered in headless Chromium (Debian's chromium, installed with
# apt-get when absent), with no network: the page must show the verdict counts, the port-table rows, the chart
# legend, the scanners and the top talkers that the EVE output of the same input implies (check_report.py), load
# nothing, and screenshot to a PNG kept in the build directory (report-test/*.png) for people to look at.
# Args (from tests/CMakeLists.txt): <misport binary> <source dir> <shared dir>. Exit 0 pass, 1 fail, 77 skipped
# (misport has no --report yet, or chromium is absent and cannot be installed).
set -uo pipefail
misport=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$(dirname "$misport")" && pwd)/report-test
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

if ! "$misport" --help 2>&1 | grep -q -- '--report'; then
  echo "SKIP: this misport has no --report option (misport --help does not mention it)"
  exit 77
fi

find_chromium() { command -v chromium || command -v chromium-browser; }
if ! chrome=$(find_chromium); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "chromium is absent: installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends chromium >"$work/apt.log" 2>&1 ||
      { apt-get update -q >>"$work/apt.log" 2>&1 &&
        apt-get install -y -q --no-install-recommends chromium >>"$work/apt.log" 2>&1; }
  fi
  if ! chrome=$(find_chromium); then
    echo "SKIP: chromium is not installed and could not be installed (apt-get install chromium):"
    tail -n 5 "$work/apt.log" 2>/dev/null
    exit 77
  fi
fi

# Chromium runs in a network namespace of its own when one can be made: the page must need no network.
netns=()
if unshare --net true 2>/dev/null; then
  netns=(unshare --net)
fi
chromium_run() { # chromium_run ARGS...: headless, no sandbox (root in CI), no background traffic
  timeout 180 "${netns[@]}" "$chrome" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$(mktemp -d -p "$work")" "$@" 2>>"$work/chromium.log"
}

png_ok() { # png_ok FILE: a 1280x3200 PNG that is not blank (a blank page compresses to a few kB)
  python3 - "$1" <<'PY'
import struct, sys
try:
    d = open(sys.argv[1], "rb").read()
except OSError:
    sys.exit(1)
ok = d[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", d[16:24]) == (1280, 3200) and len(d) > 20000
sys.exit(0 if ok else 1)
PY
}

# Cases: every capture together (one flow table across files), then a few single captures where they exist.
mapfile -t all < <(ls "$src"/pcaps/*.pcap "$src"/pcaps/*.pcapng 2>/dev/null | sort)
if [[ ${#all[@]} -eq 0 ]]; then
  echo "FAIL: no capture in $src/pcaps"
  exit 1
fi
cases=(all)
for c in http-3098 scan-syn mixed; do
  [[ -f $src/pcaps/$c.pcap ]] && cases+=("$c")
done

rm -rf "$out"
mkdir -p "$out"
for c in "${cases[@]}"; do
  echo "== $c"
  args=()
  if [[ $c == all ]]; then
    for f in "${all[@]}"; do args+=(-r "$f"); done
  else
    args=(-r "$src/pcaps/$c.pcap")
  fi
  if ! "$misport" -q --seed 1 "${args[@]}" --report "$out/$c.html" >"$out/$c.stdout" 2>"$out/$c.stderr"; then
    echo "FAIL $c: misport --report exited non-zero: $(tail -n 3 "$out/$c.stderr")"
    fail=1
    continue
  fi
  if ! "$misport" -q --seed 1 "${args[@]}" --eve "$out/$c.json" --flows >/dev/null 2>"$out/$c.eve.stderr"; then
    echo "FAIL $c: misport --eve exited non-zero: $(tail -n 3 "$out/$c.eve.stderr")"
    fail=1
    continue
  fi
  if ! chromium_run --dump-dom "file://$out/$c.html" >"$out/$c.dom.html" || [[ ! -s $out/$c.dom.html ]]; then
    echo "FAIL $c: chromium could not render the page: $(grep -v dbus "$work/chromium.log" | tail -n 3)"
    fail=1
    continue
  fi
  chromium_run --hide-scrollbars --window-size=1280,3200 --screenshot="$out/$c.png" "file://$out/$c.html" \
    >/dev/null
  if png_ok "$out/$c.png"; then
    echo "ok   screenshot $out/$c.png"
  else
    echo "FAIL screenshot $out/$c.png is not a 1280x3200 PNG with content"
    fail=1
  fi
  python3 "$here/check_report.py" "$out/$c.dom.html" "$out/$c.html" "$out/$c.json" || fail=1
done

echo "artifacts (pages, DOM dumps, EVE, screenshots): $out"
if [[ $fail -ne 0 ]]; then
  echo "report test FAILED"
  exit 1
fi
echo "report test passed"
