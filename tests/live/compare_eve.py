#!/usr/bin/env python3
"""compare_eve.py: compares the alerts and flows of two EVE files (offline vs live) as multisets.

Usage: compare_eve.py OFFLINE.json LIVE.json
Alerts are compared on (signature_id, src_ip, src_port, dest_ip, dest_port, proto, verdict, app_proto),
flows on (src_ip, src_port, dest_ip, dest_port, proto, app_proto, packets each way). Prints the
differences and exits 1 when there are any.
"""
import collections, json, sys


def load(path):
    alerts, flows, stats = collections.Counter(), collections.Counter(), []
    with open(path) as fh:
        for line in fh:
            r = json.loads(line)
            t = r.get("event_type")
            if t == "alert":
                a = r["alert"]
                alerts[(a["signature_id"], r.get("src_ip"), r.get("src_port"), r.get("dest_ip"),
                        r.get("dest_port"), r.get("proto"), tuple(a.get("metadata", {}).get("verdict", [])),
                        r.get("app_proto"))] += 1
            elif t == "flow":
                f = r["flow"]
                flows[(r.get("src_ip"), r.get("src_port"), r.get("dest_ip"), r.get("dest_port"), r.get("proto"),
                       r.get("app_proto"), f["pkts_toserver"], f["pkts_toclient"])] += 1
            elif t == "stats":
                stats.append(r["stats"])
    return alerts, flows, stats


def main():
    off_a, off_f, _ = load(sys.argv[1])
    live_a, live_f, _ = load(sys.argv[2])
    bad = 0
    for name, off, live in (("alert", off_a, live_a), ("flow", off_f, live_f)):
        missing, extra = off - live, live - off
        print(f"{name}s: offline {sum(off.values())}, live {sum(live.values())}, "
              f"missing live {sum(missing.values())}, extra live {sum(extra.values())}")
        for k, n in list(missing.items())[:10]:
            print(f"  only offline ({n}): {k}")
        for k, n in list(extra.items())[:10]:
            print(f"  only live ({n}): {k}")
        bad += sum(missing.values()) + sum(extra.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
