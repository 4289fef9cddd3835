#!/usr/bin/python3
"""siemcheck.py: checks what SIEM receivers got from misport against misport's own EVE file of the same
run. Holds a CEF parser written from the ArcSight CEF specification (rev. 25), independent of misport's
producer.

  siemcheck.py eve EVE RAW PARSED KINDS [--ordered] [--facility N]
      rsyslog output of an EVE-over-syslog input: RAW holds one JSON object per message with the syslog
      header fields and msg (rsyslog jsonf template), PARSED the JSON that rsyslog's mmjsonparse made of
      msg. Every EVE record of KINDS (e.g. alert,flow,stats) arrived exactly once, parsed equal, with
      APP-NAME misport, MSGID = event_type, PRI = facility*8 + mapped severity; in order if --ordered.
  siemcheck.py cef EVE CEFLINES KINDS [--raw] [--dvchost TEXT]
      CEF records (one per line; with --raw, rsyslog jsonf lines whose msg is the CEF record) parse and
      match the EVE alerts and flows one to one, in order.
  siemcheck.py redis EVE DUMP KINDS
      DUMP holds the list or stream entries, one JSON document per line: exactly the EVE records of
      KINDS, in order.
  siemcheck.py redis-dump PORT list|stream KEY OUT
      writes a Redis list's entries, or the 'eve' fields of a stream's, one per line to OUT.
  siemcheck.py outage EVE RECEIVED KINDS TRANSPORT STDERR [--bound-bytes N] [--parsed]
      after a receiver outage: sent + dropped (from misport's exit report in STDERR) equals the records
      of KINDS; what was received is an in-order subsequence of the EVE records; lost in flight
      = sent - received is 0 for redis, at most the socket buffers (N bytes / shortest record) for TCP
      and TLS; prints the figures.
"""
import json
import re
import sys

SEV_MAP = {1: 3, 2: 4, 3: 5}  # alert severity -> syslog severity (misport's default)


def load_eve(path, kinds):
    out = []
    for line in open(path):
        line = line.strip()
        if line:
            rec = json.loads(line)
            if rec["event_type"] in kinds:
                out.append(rec)
    return out


def load_jsonl(path):
    out = []
    try:
        f = open(path, encoding="utf-8", errors="strict")
    except FileNotFoundError:
        return out
    for line in f:
        if line.strip():
            out.append(json.loads(line))
    return out


# ---- CEF parser (from the specification) ------------------------------------------------------------

class CefError(Exception):
    pass


def cef_parse(line):
    """Returns (header fields [7], extension dict). Header: '|'-separated, '\\|' and '\\\\' escapes.
    Extension: key=value pairs separated by blanks; '=' inside values is always escaped, so every
    unescaped '=' ends a key; value escapes '\\=' '\\\\' '\\n' '\\r'."""
    fields, cur, i = [], [], 0
    while len(fields) < 7:
        if i >= len(line):
            raise CefError("header ends early")
        c = line[i]
        if c == "\\":
            if i + 1 >= len(line) or line[i + 1] not in "\\|":
                raise CefError("bad header escape at %d" % i)
            cur.append(line[i + 1])
            i += 2
        elif c == "|":
            fields.append("".join(cur))
            cur = []
            i += 1
        elif c in "\r\n":
            raise CefError("line break in header")
        else:
            cur.append(c)
            i += 1
    if not fields[0].startswith("CEF:"):
        raise CefError("no CEF: prefix")
    ext = line[i:]
    if "\n" in ext or "\r" in ext:
        raise CefError("raw line break in extension")
    eqs, k = [], 0
    while k < len(ext):
        if ext[k] == "\\":
            k += 2
            continue
        if ext[k] == "=":
            eqs.append(k)
        k += 1
    pairs = {}
    for n, e in enumerate(eqs):
        ks = ext.rfind(" ", 0, e) + 1
        key = ext[ks:e]
        if not re.fullmatch(r"[A-Za-z0-9]+", key):
            raise CefError("bad key %r" % key)
        if n + 1 < len(eqs):
            ve = ext.rfind(" ", 0, eqs[n + 1])
            if ve < e:
                raise CefError("no separator before the key after %r" % key)
        else:
            ve = len(ext)
        raw, val, j = ext[e + 1:ve], [], 0
        while j < len(raw):
            if raw[j] == "\\":
                if j + 1 >= len(raw):
                    raise CefError("dangling backslash in %r" % key)
                val.append({"n": "\n", "r": "\r", "\\": "\\", "=": "="}.get(raw[j + 1]) or "")
                if raw[j + 1] not in "nr\\=":
                    raise CefError("bad extension escape \\%s" % raw[j + 1])
                j += 2
            else:
                val.append(raw[j])
                j += 1
        if key in pairs:
            raise CefError("key %s twice" % key)
        pairs[key] = "".join(val)
    return fields, pairs


def cef_matches(rec, fields, ext, dvchost):
    """Compares one CEF record with the EVE record it stands for; returns a list of differences."""
    bad = []

    def want(key, value):
        if value is None:
            return
        if ext.get(key) != str(value):
            bad.append("%s=%r, EVE says %r" % (key, ext.get(key), value))

    if fields[1:3] != ["misport", "misport"]:
        bad.append("vendor/product %r" % fields[1:3])
    want("src", rec.get("src_ip"))
    want("dst", rec.get("dest_ip"))
    want("spt", rec.get("src_port"))
    want("dpt", rec.get("dest_port"))
    want("proto", rec.get("proto"))
    if dvchost is not None:
        want("dvchost", dvchost)
    if rec["event_type"] == "alert":
        a = rec["alert"]
        if fields[4] != str(a["signature_id"]) or fields[5] != a["signature"]:
            bad.append("header %r" % fields[4:6])
        if fields[6] != str({1: 8, 2: 5, 3: 3}.get(a["severity"], 0)):
            bad.append("severity %s for %s" % (fields[6], a["severity"]))
        want("cat", a.get("category"))
        want("app", rec.get("app_proto"))
        md = a.get("metadata", {})
        for n, label, keys in ((1, "registeredService", ("registered_service", "registered", "service")),
                               (2, "verdict", ("verdict",)), (3, "explanation", ("explanation", "reason"))):
            v = next((md[k][0] for k in keys if k in md and md[k][0]), None)
            if v is not None:
                want("cs%dLabel" % n, label)
                want("cs%d" % n, v)
        if rec.get("flow_id"):
            want("cs5Label", "flowId")
            want("cs5", rec["flow_id"])
    else:
        if fields[4] != "flow":
            bad.append("signature id %r for a flow" % fields[4])
        want("app", rec.get("app_proto"))
        want("out", rec["flow"]["bytes_toserver"])
        want("in", rec["flow"]["bytes_toclient"])
        want("cs5", rec.get("flow_id"))
    return bad


# ---- commands -----------------------------------------------------------------------------------------

def fail(msg):
    print("siemcheck: " + msg)
    sys.exit(1)


def cmd_eve(args):
    eve_path, raw_path, parsed_path, kinds = args[:4]
    ordered = "--ordered" in args
    facility = 21
    if "--facility" in args:
        facility = int(args[args.index("--facility") + 1])
    want = load_eve(eve_path, kinds.split(","))
    raw, parsed = load_jsonl(raw_path), load_jsonl(parsed_path)
    if len(raw) != len(want) or len(parsed) != len(want):
        fail("%d EVE records of %s, rsyslog got %d messages and parsed %d" % (len(want), kinds, len(raw), len(parsed)))
    key = lambda r: json.dumps(r, sort_keys=True)
    if ordered:
        for n, (w, p) in enumerate(zip(want, parsed)):
            if w != p:
                fail("message %d differs from EVE record %d:\n  %s\n  %s" % (n, n, key(p), key(w)))
    elif sorted(map(key, want)) != sorted(map(key, parsed)):
        fail("the parsed messages are not the EVE records")
    by_json = {}
    for w in want:
        by_json.setdefault(key(w), w)
    for n, r in enumerate(raw):
        msg = r["msg"].lstrip(" ")
        rec = json.loads(msg)
        w = by_json.get(key(rec))
        if w is None:
            fail("message %d is no EVE record: %s" % (n, msg[:200]))
        sev = SEV_MAP.get(rec["alert"]["severity"], 5) if rec["event_type"] == "alert" else 6
        if int(r["pri"]) != facility * 8 + sev:
            fail("message %d: PRI %s, expected %d" % (n, r["pri"], facility * 8 + sev))
        if r["app"] != "misport" or r["msgid"] != rec["event_type"]:
            fail("message %d: APP-NAME %r MSGID %r" % (n, r["app"], r["msgid"]))
        if not r["procid"].isdigit():
            fail("message %d: PROCID %r" % (n, r["procid"]))
    print("siemcheck: %d records of %s arrived, parsed and match the EVE file" % (len(want), kinds))


def cmd_cef(args):
    eve_path, cef_path, kinds = args[:3]
    dvchost = args[args.index("--dvchost") + 1] if "--dvchost" in args else None
    want = load_eve(eve_path, kinds.split(","))
    if "--raw" in args:
        lines = [r["msg"].lstrip(" ") for r in load_jsonl(cef_path)]
    else:
        lines = [l.rstrip("\n") for l in open(cef_path, encoding="utf-8")]
    if len(lines) != len(want):
        fail("%d EVE records of %s, %d CEF records" % (len(want), kinds, len(lines)))
    for n, (w, line) in enumerate(zip(want, lines)):
        try:
            fields, ext = cef_parse(line)
        except CefError as e:
            fail("CEF record %d does not parse (%s): %s" % (n, e, line))
        bad = cef_matches(w, fields, ext, dvchost)
        if bad:
            fail("CEF record %d: %s\n  %s" % (n, "; ".join(bad), line))
    print("siemcheck: %d CEF records parse and match the EVE file" % len(lines))


def cmd_redis(args):
    eve_path, dump_path, kinds = args[:3]
    want = load_eve(eve_path, kinds.split(","))
    got = load_jsonl(dump_path)
    if len(got) != len(want):
        fail("%d EVE records of %s, Redis holds %d" % (len(want), kinds, len(got)))
    for n, (w, g) in enumerate(zip(want, got)):
        if w != g:
            fail("entry %d differs from EVE record %d" % (n, n))
    print("siemcheck: Redis holds the %d EVE records of %s, in order" % (len(want), kinds))


def exit_report(stderr_path, module):
    pat = re.compile(r"output %s \S+: (\d+) sent, (\d+) dropped \(queue full (\d+), at exit (\d+), other (\d+)\), "
                     r"(\d+) reconnects" % re.escape(module))
    for line in open(stderr_path):
        m = pat.search(line)
        if m:
            return [int(x) for x in m.groups()]
    fail("no exit report of the %s output in %s" % (module, stderr_path))


def cmd_outage(args):
    eve_path, recv_path, kinds, transport, stderr_path = args[:5]
    bound = int(args[args.index("--bound-bytes") + 1]) if "--bound-bytes" in args else 0
    want = load_eve(eve_path, kinds.split(","))
    got = load_jsonl(recv_path)
    if "--raw" in args:
        got = [json.loads(r["msg"].lstrip(" ")) for r in got]
    sent, dropped, full, at_exit, other, reconnects = exit_report(stderr_path, "redis" if transport == "redis" else
                                                                  "syslog")
    key = lambda r: json.dumps(r, sort_keys=True)
    index = {}
    for i, w in enumerate(want):
        index.setdefault(key(w), i)
    # Redis may hold an entry twice when its acknowledgement was lost with the connection (at-least-once).
    seen, uniq, dups, last = set(), [], 0, -1
    for g in got:
        k = key(g)
        if k not in index:
            fail("received a record that misport did not write to its EVE file: %s" % k[:200])
        if k in seen:
            dups += 1
            continue
        seen.add(k)
        if index[k] < last:
            fail("records arrived out of order")
        last = index[k]
        uniq.append(g)
    lost = sent - len(uniq)
    shortest = min((len(json.dumps(w)) for w in want), default=1)
    print("outage %s: %d records of %s; sent %d, dropped %d (queue full %d, at exit %d, other %d), "
          "received %d (+%d duplicates), lost in flight %d, reconnects %d"
          % (transport, len(want), kinds, sent, dropped, full, at_exit, other, len(uniq), dups, lost, reconnects))
    if sent + dropped != len(want):
        fail("sent + dropped = %d, but misport wrote %d records" % (sent + dropped, len(want)))
    if lost < 0:
        fail("received more than was sent")
    if reconnects < 1:
        fail("no reconnect happened: was the receiver really restarted?")
    if transport == "redis" and lost != 0:
        fail("Redis acknowledged writes, yet %d are missing" % lost)
    if transport in ("tcp", "tls") and lost * shortest > bound:
        fail("lost in flight %d records, more than the socket buffers (%d bytes) can hold" % (lost, bound))


def resp_command(port, *args):
    """Sends one command to Redis on 127.0.0.1:port and returns the decoded reply (a minimal RESP2 client)."""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    req = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
    s.sendall(req)
    f = s.makefile("rb")

    def read():
        line = f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = f.read(n + 2)[:-2]
            return data.decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [read() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)
    r = read()
    s.close()
    return r


def cmd_redis_dump(args):
    """redis-dump PORT list|stream KEY OUT: writes the entries (stream: the 'eve' field) one per line."""
    port, kind, key, out = int(args[0]), args[1], args[2], args[3]
    with open(out, "w") as f:
        if kind == "list":
            for v in resp_command(port, "LRANGE", key, "0", "-1") or []:
                f.write(v + "\n")
        else:
            for _id, fields in resp_command(port, "XRANGE", key, "-", "+") or []:
                d = dict(zip(fields[::2], fields[1::2]))
                f.write(d["eve"] + "\n")


def main():
    cmds = {"eve": cmd_eve, "cef": cmd_cef, "redis": cmd_redis, "outage": cmd_outage, "redis-dump": cmd_redis_dump}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
