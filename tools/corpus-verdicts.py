#!/usr/bin/env python3
"""corpus-verdicts.py: misport's port-mismatch verdicts against nDPI 4.2's own
"Known Protocol on Non Standard Port" risk over a directory of captures.

Usage: corpus-verdicts.py MISPORT CORPUS_DIR [--examples N]
Runs `misport --flows --suppress-interval 0` on every capture, then counts, per flow (joined by flow_id):
misport port-mismatch alerts, flows nDPI flags, both, and each side alone, with examples of the
disagreements. Needs nothing but python3.
"""
import collections, json, os, subprocess, sys, tempfile


def main():
    misport, corpus = sys.argv[1], sys.argv[2]
    nex = int(sys.argv[sys.argv.index("--examples") + 1]) if "--examples" in sys.argv else 8
    verdicts = collections.Counter()
    ours, theirs, both = [], [], 0
    flows_total = 0
    for name in sorted(os.listdir(corpus)):
        path = os.path.join(corpus, name)
        if not name.endswith((".pcap", ".pcapng", ".cap")):
            continue
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            subprocess.run([misport, "-q", "--seed", "1", "--suppress-interval", "0", "--flows", "--eve", tmp.name,
                            "-r", path], capture_output=True, timeout=300)
            alerts, flows = {}, {}
            for line in open(tmp.name):
                r = json.loads(line)
                if r["event_type"] == "alert":
                    v = r["alert"]["metadata"].get("verdict", ["?"])[0]
                    verdicts[v] += 1
                    if v == "port-mismatch":
                        alerts[r["flow_id"]] = r
                elif r["event_type"] == "flow":
                    flows[r["flow_id"]] = r
        flows_total += len(flows)
        for fid, f in flows.items():
            flagged = f.get("ndpi", {}).get("known_protocol_on_non_standard_port", False)
            desc = f"{name}: {f['app_proto']} {f['proto']} {f.get('dest_port', '-')}"
            if fid in alerts and flagged:
                both += 1
            elif fid in alerts:
                ours.append(desc + " -- " + alerts[fid]["alert"]["signature"])
            elif flagged:
                theirs.append(desc + " (misport: no port-mismatch alert)")
    print(f"flows: {flows_total}")
    print("misport alerts by verdict:", dict(verdicts))
    print(f"port-mismatch alerts: {verdicts['port-mismatch']}; nDPI 'known protocol on non-standard port' flows: "
          f"{both + len(theirs)}; both: {both}; misport only: {len(ours)}; nDPI only: {len(theirs)}")
    print("\nmisport only (examples):")
    for d in ours[:nex]:
        print("  " + d)
    print("\nnDPI only (examples):")
    for d in collections.Counter(t.split(": ", 1)[1] for t in theirs).most_common(nex):
        print(f"  {d[1]}x {d[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
