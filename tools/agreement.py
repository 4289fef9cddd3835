#!/usr/bin/env python3
"""Agreement of misport's flow classification with Debian's ndpiReader (nDPI 4.2) over a corpus.

For every file in the corpus directory this runs

    misport -r FILE -q --seed 1 --eve TMP --flows --decap ipip   (one EVE "flow" record per finished flow)
    ndpiReader -i FILE -q -v 2                        (one line per flow, "[proto: 91.126/TLS.Google]")

misport runs with --decap ipip by default (--decap KINDS changes it): ndpiReader 4.2 unwraps IP in IP only
(and with -t GTP-U as well), so both then see the same flows.

and compares the per-protocol flow counts summed over the whole corpus:

    overlap = sum over protocols p of min(misport[p], reader[p]) / max(total misport, total reader)

Two keys are computed. "full" is the name as ndpiReader prints it per flow, master and app
("TLS.Google", "DNS.Google", "HTTP", "Unknown"), the stricter one; "app" is the key of ndpiReader's
"Detected protocols" table (the app protocol, or the master when there is none: "Google", "HTTP").
Two units are counted on misport's side: its flow records, and conversations (records grouped by
5-tuple and VLAN, ndpiReader's own flow unit; see conversations()). The gate (--min-overlap) applies
to the unit and key chosen with --unit and --key (default: conversations, full names).
docs/agreement.md explains the choice and lists the differences that remain.

Per file, misport must exit 0, or 2 with exactly one line on stderr that names the file (and, for
an unsupported link type, the link type). Anything else (a crash, a sanitizer report, a timeout,
extra output) fails the run.

Exit status: 0 agreement reached and every file handled cleanly, 1 otherwise, 77 when the corpus
or ndpiReader is missing (skipped). Standard library only.
"""
import argparse
import collections
import concurrent.futures
import datetime
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PCAP_MAGICS = {b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1",
               b"\x0a\x0d\x0d\x0a"}

# "\t12\tTCP 1.2.3.4:80 <-> [::1]:443 [VLAN: 5][proto: GTP:91.126/TLS.Google][...]"
READER_FLOW = re.compile(r"^\t(\d+)\t(\S+) (\S+) (?:<->|->) (\S+) .*?\[proto: (?:[A-Za-z]+:)?[0-9.]+/([^\]]+)\]")
# Every idle timeout of misport is a whole number of seconds, at least 1: records of one conversation
# closer than this were not split by idle expiry.
MIN_SPLIT_GAP = 1.0

IPPROTO = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMPV6": 58, "IPV6-ICMP": 58, "VRRP": 112, "IGMP": 2}


def proto_num(name):
    """Transport number from either tool's spelling ("TCP", "ICMPV6", "IPv6-ICMP", "047")."""
    name = str(name).upper()
    if name in IPPROTO:
        return IPPROTO[name]
    return int(name) if name.isdigit() else 0


def is_capture(path):
    try:
        with open(path, "rb") as fp:
            return fp.read(4) in PCAP_MAGICS
    except OSError:
        return False


def app_key(name):
    """ndpiReader's "Detected protocols" key: the app part of "master.app", else the name."""
    return name.split(".", 1)[1] if "." in name else name


def norm_ep(text):
    """'1.2.3.4:80' or '[2001:db8::1]:80' -> (address, port); best effort, for flow matching."""
    if text.startswith("["):
        addr, _, port = text[1:].rpartition("]:")
    else:
        addr, _, port = text.rpartition(":")
    try:
        addr = str(ipaddress.ip_address(addr))
    except ValueError:
        pass
    try:
        return addr, int(port)
    except ValueError:
        return addr, 0


def flow_tuple(proto, a, b):
    """Direction-free flow identity used to pair flows of the two tools in --detail mode."""
    if proto not in (6, 17):
        a, b = (a[0], 0), (b[0], 0)
    return (proto,) + tuple(sorted([a, b]))


def eve_time(text):
    """EVE timestamp ("2020-02-07T21:03:54.123456+0000") -> seconds since the epoch, 0.0 if unreadable."""
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return 0.0


def run(cmd, timeout):
    """Runs cmd (killed after timeout seconds); returns (status or None on timeout, stdout, stderr)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode("utf-8", "replace") if e.stderr else ""
        return None, "", err


# misport's --decap for every run (main sets it from the command line).
DECAP = "ipip"


def run_misport(misport, path, tmpdir, timeout):
    """Returns (status, stderr, flows, unreadable): flows as (name, tuple, (vlan, (start, end)));
    unreadable counts EVE lines that are not JSON flow records misport should have written."""
    eve = os.path.join(tmpdir, "%s.json" % os.path.basename(path))
    rc, out, err = run([misport, "-r", path, "-q", "--seed", "1", "--eve", eve, "--flows", "--decap", DECAP],
                       timeout)
    if out.strip():
        err += "(stdout) " + out.strip().splitlines()[0] + "\n"
    flows, unreadable = [], 0
    try:
        with open(eve, encoding="utf-8", errors="replace") as fp:
            for line in fp:
                try:
                    rec = json.loads(line)
                    if rec.get("event_type") != "flow":
                        continue
                    pnum = proto_num(rec.get("proto", ""))
                    a = (str(ipaddress.ip_address(rec["src_ip"])), int(rec.get("src_port", 0)))
                    b = (str(ipaddress.ip_address(rec["dest_ip"])), int(rec.get("dest_port", 0)))
                    fl = rec["flow"]
                    span = (eve_time(fl["start"]), eve_time(fl["end"]))
                    name = rec["app_proto"]
                except (ValueError, KeyError, TypeError, AttributeError):
                    unreadable += 1
                    continue
                flows.append((name, flow_tuple(pnum, a, b), (str(rec.get("vlan")), span)))
    except OSError:
        pass
    finally:
        try:
            os.unlink(eve)
        except OSError:
            pass
    return rc, err, flows, unreadable


def run_reader(reader, path, timeout):
    rc, out, err = run([reader, "-i", path, "-q", "-v", "2"], timeout)
    flows = []
    for line in out.splitlines():
        m = READER_FLOW.match(line)
        if not m:
            continue
        pnum = proto_num(m.group(2))
        flows.append((m.group(5), flow_tuple(pnum, norm_ep(m.group(3)), norm_ep(m.group(4))), None))
    note = ""
    if "Unsupported datalink" in out:
        note = out[out.index("Unsupported datalink"):].splitlines()[0]
    elif rc is None:
        note = "timeout"
    return rc, note, flows


def check_misport_exit(path, rc, err):
    """Returns None when misport's exit is acceptable, else a reason."""
    lines = [l for l in err.splitlines() if l.strip()]
    if rc is None:
        return "timed out"
    if rc == 0:
        if lines:
            return "exit 0 but wrote to stderr: %s" % lines[0]
        return None
    if rc == 2:
        if len(lines) != 1:
            return "exit 2 with %d stderr lines (want exactly 1): %s" % (len(lines), " | ".join(lines[:3]))
        if path not in lines[0]:
            return "exit 2 error line does not name the file: %s" % lines[0]
        if "link type" in lines[0] and not re.search(r"link type \S+ \(\d+\)", lines[0]):
            return "exit 2 link-type error does not name the link type: %s" % lines[0]
        return None
    return "exit status %s: %s" % (rc, " | ".join(lines[:3]))


def conversations(flows):
    """misport's records grouped into ndpiReader's flow unit: ndpiReader keys a flow by its 5-tuple
    and VLAN and, reading a file, never expires it (its idle scan runs for live captures only), so
    one conversation there may be several misport records when misport's idle timeouts split it.
    Each group keeps the verdict of its earliest record, the one detected from the packets that
    ndpiReader also dissects (the first ones of the conversation).

    Returns (conversations, overlaps): overlaps lists groups whose records are not separated by at
    least MIN_SPLIT_GAP seconds of silence, which idle expiry cannot produce (a flow-table bug)."""
    groups = collections.defaultdict(list)
    for name, t, (vlan, span) in flows:
        groups[(t, vlan)].append((span, name, t))
    conv, overlaps = [], []
    for key, recs in groups.items():
        recs.sort()
        (first_span, name, t) = recs[0]
        conv.append((name, t, (key[1], first_span)))
        for (prev, _, _), (cur, _, _) in zip(recs, recs[1:]):
            if cur[0] - prev[1] < MIN_SPLIT_GAP:
                overlaps.append((t, prev, cur))
    return conv, overlaps


def overlap(a, b):
    ta, tb = sum(a.values()), sum(b.values())
    common = sum(min(a[k], b[k]) for k in set(a) | set(b))
    return (100.0 * common / max(ta, tb)) if max(ta, tb) else 100.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--misport", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--ndpireader", default=shutil.which("ndpiReader") or "/usr/bin/ndpiReader")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per tool per file")
    ap.add_argument("--min-overlap", type=float, default=97.0)
    ap.add_argument("--key", choices=("full", "app"), default="full")
    ap.add_argument("--unit", choices=("conv", "records"), default="conv",
                    help="count misport conversations (default) or its flow records")
    ap.add_argument("--top", type=int, default=20, help="protocol rows in the difference table")
    ap.add_argument("--files", type=int, default=10, help="files with the largest differences listed")
    ap.add_argument("--detail", action="store_true", help="print per-flow disagreements for every file")
    ap.add_argument("--only", action="append", default=[], help="restrict to files with this name (repeatable)")
    ap.add_argument("--decap", default="ipip", help="misport's --decap (default ipip: what ndpiReader unwraps without -t)")
    args = ap.parse_args()
    global DECAP
    DECAP = args.decap

    if not os.path.isdir(args.corpus):
        print("SKIP: corpus %s absent" % args.corpus)
        return 77
    if not (os.path.isfile(args.ndpireader) and os.access(args.ndpireader, os.X_OK)):
        print("SKIP: ndpiReader not installed (Debian package libndpi-bin)")
        return 77

    files = sorted(os.path.join(args.corpus, f) for f in os.listdir(args.corpus)
                   if os.path.isfile(os.path.join(args.corpus, f)) and (not args.only or f in args.only))
    tmpdir = tempfile.mkdtemp(prefix="misport-agree-")

    def one(path):
        mp = run_misport(args.misport, path, tmpdir, args.timeout)
        rd = run_reader(args.ndpireader, path, args.timeout) if is_capture(path) else (0, "not a capture", [])
        return path, mp, rd

    results = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            results = list(ex.map(one, files))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    # counters[unit][key][side]: unit "records" counts misport's EVE flow records as written;
    # unit "conv" counts conversations, ndpiReader's flow unit (see conversations()).
    counters = {u: {k: {"misport": collections.Counter(), "reader": collections.Counter()}
                    for k in ("full", "app")} for u in ("records", "conv")}
    bad, errored, per_file, splits, reader_trouble = [], [], [], 0, []
    paired = same = 0
    for path, (mrc, merr, mflows, unreadable), (rrc, rnote, rflows) in results:
        reason = check_misport_exit(path, mrc, merr)
        if reason:
            bad.append((path, reason))
        if unreadable:
            bad.append((path, "%d EVE line(s) are not readable flow records" % unreadable))
        if rrc is None or rrc < 0:
            reader_trouble.append((path, "timed out" if rrc is None else "killed by signal %d" % -rrc))
        elif mrc == 2:
            errored.append((path, merr.strip(), rnote))
        conv, olap = conversations(mflows)
        splits += len(mflows) - len(conv)
        if olap:
            bad.append((path, "%d conversation(s) split into records less than %.0f s apart, e.g. %s"
                        % (len(olap), MIN_SPLIT_GAP, olap[0][0])))
        for unit, mine in (("records", mflows), ("conv", conv)):
            for key, fn in (("full", lambda n: n), ("app", app_key)):
                counters[unit][key]["misport"].update(fn(f[0]) for f in mine)
                counters[unit][key]["reader"].update(fn(f[0]) for f in rflows)
        # Pairing by 5-tuple (VLAN aside): how many conversations both tools saw, and how many of
        # those got the same name. Tuples one tool saw more than once are left out.
        mt = collections.Counter(f[1] for f in conv)
        rt = collections.Counter(f[1] for f in rflows)
        rname = {f[1]: f[0] for f in rflows}
        for name, t, _ in conv:
            if mt[t] == 1 and rt[t] == 1:
                paired += 1
                same += rname[t] == name
        fm = collections.Counter(f[0] for f in (conv if args.unit == "conv" else mflows))
        fr = collections.Counter(f[0] for f in rflows)
        diff = sum(abs(fm[k] - fr[k]) for k in set(fm) | set(fr))
        per_file.append((diff, os.path.basename(path), sum(fm.values()), sum(fr.values())))
        if args.detail and diff:
            print("== %s: misport %d flows (%d conversations), ndpiReader %d"
                  % (os.path.basename(path), len(mflows), len(conv), len(rflows)))
            mt = collections.defaultdict(list)
            for name, t, _ in (conv if args.unit == "conv" else mflows):
                mt[t].append(name)
            rt = collections.defaultdict(list)
            for name, t, _ in rflows:
                rt[t].append(name)
            for t in sorted(set(mt) | set(rt), key=str):
                a, b = sorted(mt.get(t, [])), sorted(rt.get(t, []))
                if a != b:
                    print("   %-60s misport=%s reader=%s" % (t, ",".join(a) or "-", ",".join(b) or "-"))

    figures = {(u, k): overlap(c["misport"], c["reader"]) for u, ck in counters.items() for k, c in ck.items()}
    rec = counters["records"]["full"]
    cnv = counters["conv"]["full"]
    print("files: %d (%d rejected cleanly with exit 2, %d bad exits)" % (len(results), len(errored), len(bad)))
    print("flows: ndpiReader %d; misport %d records = %d conversations + %d idle-expiry splits"
          % (sum(rec["reader"].values()), sum(rec["misport"].values()), sum(cnv["misport"].values()), splits))
    print("paired by 5-tuple: %d conversations, %d (%.2f%%) with the same full name"
          % (paired, same, 100.0 * same / paired if paired else 100.0))
    for u, label in (("conv", "conversations (ndpiReader's flow unit)"), ("records", "misport flow records")):
        print("overlap, %-40s full master.app %.2f%%, app key %.2f%%"
              % (label + ":", figures[(u, "full")], figures[(u, "app")]))

    for unit in (args.unit, "records" if args.unit == "conv" else "conv"):
        key = counters[unit][args.key]
        rows = []
        for k in set(key["misport"]) | set(key["reader"]):
            m, r = key["misport"][k], key["reader"][k]
            if m != r:
                rows.append((abs(m - r), k, m, r))
        rows.sort(key=lambda x: (-x[0], x[1]))
        print("\nlargest per-protocol differences (unit: %s, key: %s%s)"
              % (unit, args.key, "" if unit == args.unit else "; for information"))
        print("  %-34s %9s %9s %7s" % ("protocol", "misport", "ndpiRdr", "diff"))
        for d, k, m, r in rows[:args.top]:
            print("  %-34s %9d %9d %+7d" % (k, m, r, m - r))
        if len(rows) > args.top:
            print("  ... %d more protocols differ" % (len(rows) - args.top))

    per_file.sort(key=lambda x: (-x[0], x[1]))
    print("\nfiles with the largest differences (sum of |count differences| per protocol)")
    for d, name, m, r in per_file[:args.files]:
        if d:
            print("  %-48s diff %5d  misport %5d  ndpiReader %5d" % (name, d, m, r))

    if errored:
        print("\nfiles misport rejected (exit 2, one error line):")
        for path, line, note in errored:
            print("  %s%s" % (line, ("   [ndpiReader: %s]" % note) if note else ""))
    if reader_trouble:
        print("\nndpiReader failed on %d file(s) (its flows there are missing from the comparison):"
              % len(reader_trouble))
        for path, why in reader_trouble:
            print("  %s: %s" % (path, why))
    status = 0
    if bad:
        status = 1
        print("\nFAIL: misport did not exit cleanly on %d file(s):" % len(bad))
        for path, reason in bad:
            print("  %s: %s" % (path, reason))
    gate = figures[(args.unit, args.key)]
    if gate < args.min_overlap:
        status = 1
        print("\nFAIL: overlap %.2f%% below %.2f%% (unit: %s, key: %s)" % (gate, args.min_overlap, args.unit, args.key))
    else:
        print("\nOK: overlap %.2f%% >= %.2f%% (unit: %s, key: %s)" % (gate, args.min_overlap, args.unit, args.key))
    return status


if __name__ == "__main__":
    sys.exit(main())
