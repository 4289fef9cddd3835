#!/usr/bin/env bash
# run-evidence.sh: -w and --evidence-dir write the whole packets of every alerted flow; re-reading the
# evidence pcap with misport yields the same alerts, and each per-alert pcap holds that alert's flow.
set -uo pipefail
misport=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
mkdir "$tmp/ev"
caps=(-r "$src/pcaps/mixed.pcap" -r "$src/pcaps/http-3098.pcap" -r "$src/pcaps/tls-3219.pcap" -r "$src/pcaps/ssh-598.pcap"
      -r "$src/pcaps/unassigned-port.pcap" -r "$src/pcaps/http-8080.pcap")
"$misport" -q --seed 3 --suppress-interval 0 --eve "$tmp/a.json" -w "$tmp/evidence.pcap" --evidence-dir "$tmp/ev" "${caps[@]}"
check "misport -w exits 0" test $? -eq 0
"$misport" -q --seed 3 --suppress-interval 0 --eve "$tmp/b.json" -r "$tmp/evidence.pcap"
check "the evidence pcap is readable by misport" test $? -eq 0
python3 - "$tmp/a.json" "$tmp/b.json" "$tmp/ev" <<'PY'
import collections, json, os, subprocess, sys
def alerts(p):
    return [json.loads(l) for l in open(p) if '"event_type":"alert"' in l]
def key(a):
    return (a["alert"]["signature_id"], a["src_ip"], a["src_port"], a["dest_ip"], a["dest_port"], a["app_proto"],
            tuple(a["alert"]["metadata"]["verdict"]))
a, b = alerts(sys.argv[1]), alerts(sys.argv[2])
ka, kb = collections.Counter(map(key, a)), collections.Counter(map(key, b))
ok = True
print(f"alerts: original {len(a)}, from evidence {len(b)}")
if not a or ka != kb:
    print("  differ:", ka - kb, kb - ka); ok = False
flows_in_evidence = sum(1 for l in open(sys.argv[2]) if '"event_type":"stats"' in l)
for al in a:
    path = al["alert"]["metadata"].get("evidence_pcap", [None])[0]
    want = os.path.join(sys.argv[3], f"{al['flow_id']}.pcap")
    if path != want or not os.path.exists(path):
        print("  no per-alert pcap for", al["flow_id"], path); ok = False; continue
    # the per-alert pcap holds exactly one flow, the alert's, from its first packet (a SYN for TCP)
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "tcp.stream", "-e", "tcp.flags.syn", "-c", "1"],
                         capture_output=True, text=True).stdout.split()
    streams = set(subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "tcp.stream"], capture_output=True,
                                 text=True).stdout.split())
    if out[:2] != ["0", "1"] or streams != {"0"}:
        print("  per-alert pcap", path, "does not start with the flow's SYN or holds other flows:", out, streams); ok = False
print("per-alert pcaps checked:", len(a))
# stats.pcap_log.written counts the frames written to the evidence files; every capture here is Ethernet,
# so that is the evidence pcap's packet count, and nothing was truncated.
st = [json.loads(l) for l in open(sys.argv[1]) if '"event_type":"stats"' in l][-1]
n = len(subprocess.run(["tshark", "-r", os.path.join(os.path.dirname(sys.argv[3]), "evidence.pcap"), "-T", "fields",
                        "-e", "frame.number"], capture_output=True, text=True).stdout.split())
fi = st["metadata"]["flowints"]
print(f"stats.pcap_log.written {st['stats']['pcap_log']['written']}, evidence pcap frames {n}, "
      f"truncated {fi['evidence_truncated']}")
if st["stats"]["pcap_log"]["written"] != n or n == 0 or fi["evidence_truncated"] != 0 or fi["evidence_other_link"] != 0:
    ok = False
sys.exit(0 if ok else 1)
PY
check "same alerts from the evidence pcap; one whole-flow pcap per alert" test $? -eq 0
exit $fail
