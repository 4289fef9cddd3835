#!/usr/bin/env python3
"""check_report.py: checks what a misport HTML report shows against the EVE output of the same capture.

usage: check_report.py DOM.html RAW.html EVE.json

DOM.html is the page as headless Chromium rendered it (--dump-dom), RAW.html the file misport wrote, EVE.json
the output of `misport --eve FILE --flows` over the same input. Prints one line per check ("ok ..." or
"FAIL ...") and a closing "N passed, N failed" line; exits 1 when a check failed.
"""
import collections
import json
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements that would load or run something; the report must have none.
FORBIDDEN = {"script", "link", "img", "iframe", "frame", "object", "embed", "audio", "video", "source", "base",
             "form", "image", "use", "foreignobject"}
SEV_LABEL = {1: "high", 2: "medium", 3: "low"}
SEV_RANK = {"high": 1, "medium": 2, "low": 3, "info": 4, "none": 5}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        if self.tag == "br":
            return "\n"
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag=None, **attrs):
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def has_class(self, c):
        return c in (self.attrs.get("class") or "").split()


class Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(path):
    b = Builder()
    with open(path, encoding="utf-8") as f:
        b.feed(f.read())
    b.close()
    return b.root


results = []


def check(desc, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + desc + ("" if cond or not detail else ": " + str(detail)))


def meta(a, key):
    v = a.get("alert", {}).get("metadata", {}).get(key)
    return v[0] if v else None


def rows(table):
    """The body rows of a table as lists of cell texts (whitespace collapsed)."""
    if table is None:
        return []
    body = table.find("tbody") or table
    return [[" ".join(td.text().split()) for td in tr.children if isinstance(td, Node) and td.tag in ("td", "th")]
            for tr in body.find_all("tr")]


def first_int(s):
    m = re.match(r"\s*(\d+)", s)
    return int(m.group(1)) if m else None


def self_contained(root, what):
    bad = []
    for n in root.iter():
        if n.tag in FORBIDDEN:
            bad.append("<%s>" % n.tag)
        for k, v in n.attrs.items():
            v = v or ""
            if k in ("src", "srcset", "action", "formaction", "data", "poster", "xlink:href", "background"):
                bad.append("%s=%r" % (k, v))
            if k == "href" and not v.startswith("#"):
                bad.append("href=%r" % v)
            if k.startswith("on"):
                bad.append(k)
            if k == "style" and ("url(" in v or "@import" in v):
                bad.append("style=%r" % v)
        if n.tag == "style" and ("url(" in n.text() or "@import" in n.text()):
            bad.append("<style> with url()/@import")
    check("%s loads nothing (no script, no external reference)" % what, not bad, bad[:5])


def ts_ms(s):
    """EVE timestamp '2026-11-22T04:00:26.928946+0000' -> '2026-11-22 04:00:26.928'."""
    return s[:10] + " " + s[11:23]


def main():
    dom, raw = parse(sys.argv[1]), parse(sys.argv[2])
    with open(sys.argv[3], encoding="utf-8") as f:
        eve = [json.loads(line) for line in f if line.strip()]
    alerts = [e for e in eve if e.get("event_type") == "alert"]
    closing = [a for a in alerts if meta(a, "record") == "suppression-summary"]
    real = [a for a in alerts if meta(a, "record") != "suppression-summary"]
    verdict_of = lambda a: meta(a, "verdict") or "unlabelled"

    self_contained(raw, "the written page")
    self_contained(dom, "the rendered page")

    # Header: the capture span is the first and last time in the EVE output (to the millisecond).
    times = []
    for e in eve:
        if e.get("event_type") == "flow":
            times += [e["flow"]["start"], e["flow"]["end"]]
        elif e.get("event_type") in ("alert", "stats"):
            times.append(e["timestamp"])
    span = dom.find(id="span")
    if times:
        want = "Capture time %s to %s UTC" % (ts_ms(min(times)), ts_ms(max(times)))
        check("header shows the capture span", span is not None and want in span.text(),
              "%r, expected %r" % (span.text() if span else None, want))

    # Verdict counts.
    exp_alerts = collections.Counter(verdict_of(a) for a in real)
    exp_supp = collections.Counter()
    for a in closing:
        exp_supp[verdict_of(a)] += int(meta(a, "suppressed_count") or 0)
    vrows = {r[0]: r for r in rows(dom.find("table", id="verdict-table"))}
    check("verdict table is shown", vrows, "no table#verdict-table")
    for v in sorted(set(exp_alerts) | set(exp_supp)):
        r = vrows.get(v)
        got = (first_int(r[1]), first_int(r[2])) if r else None
        check("verdict %s: %d alerts, %d suppressed repeats" % (v, exp_alerts[v], exp_supp[v]),
              got == (exp_alerts[v], exp_supp[v]), "page shows %s" % (got,))
    for v, r in vrows.items():
        if v not in exp_alerts and v not in exp_supp:
            check("verdict %s: no alerts" % v, first_int(r[1]) == 0 and first_int(r[2]) == 0, r)
    tot = dom.find(id="total-alerts")
    check("summary shows %d alerts" % len(real), tot is not None and first_int(tot.text()) == len(real),
          tot.text() if tot else None)

    # Port table: one row per server port of every (non-scan) alert, with what the alert says.
    prow = {}
    ptable = dom.find("table", id="port-table")
    for r in rows(ptable):
        prow[r[0]] = r
    per_port = collections.defaultdict(list)
    for a in real:
        if verdict_of(a) == "scan":
            continue
        port = meta(a, "server_port") or str(a.get("dest_port", 0))
        tr = (meta(a, "transport") or a.get("proto", "")).lower()
        per_port["%s/%s" % (port, tr)].append(a)
    for key in sorted(per_port, key=lambda k: (int(k.split("/")[0]), k)):
        al = per_port[key]
        r = prow.get(key)
        if r is None:
            check("port table has a row for %s" % key, False, "rows: %s" % sorted(prow)[:20])
            continue
        service, observed, verdicts, sev, n = r[1], r[2], r[3], r[4], first_int(r[5])
        want_sev = SEV_LABEL.get(min(a["alert"]["severity"] for a in al), "info")
        problems = []
        for a in al:
            rs = meta(a, "registered_service")
            obs = meta(a, "observed_protocol") or a.get("app_proto") or "Unknown"
            if verdict_of(a) not in verdicts:
                problems.append("verdict %s not in %r" % (verdict_of(a), verdicts))
            if obs not in observed:
                problems.append("protocol %s not in %r" % (obs, observed))
            if rs not in (None, "", "-") and rs not in service:
                problems.append("service %s not in %r" % (rs, service))
        if sev != want_sev:
            problems.append("severity %r, expected %r" % (sev, want_sev))
        if n != len(al):
            problems.append("%s alerts, expected %d" % (n, len(al)))
        check("port row %s: %s, %s, %d alerts, severity %s" % (
            key, "/".join(sorted({verdict_of(a) for a in al})),
            "/".join(sorted({meta(a, "observed_protocol") or a.get("app_proto") or "?" for a in al})), len(al),
            want_sev), not problems, "; ".join(problems))
    with_alerts = [k for k, r in prow.items() if (first_int(r[5]) or 0) > 0]
    check("no port row claims alerts the EVE output lacks", set(with_alerts) <= set(per_port),
          sorted(set(with_alerts) - set(per_port)))
    ranks = [SEV_RANK.get(r[4], 9) for r in rows(ptable)]
    check("port rows are ordered most serious first", ranks == sorted(ranks), ranks[:20])
    if ptable is not None:
        classes = [tr.attrs.get("class", "") for tr in (ptable.find("tbody") or ptable).find_all("tr")]
        check("port rows carry a severity colour class", all(c.startswith("sev-") for c in classes), classes[:5])

    # Chart of alerts over time.
    chart = dom.find("svg", id="alert-chart")
    if real:
        check("alert chart is drawn", chart is not None and chart.find_all("rect"), "no svg#alert-chart bars")
        legend = dom.find("ul", id="chart-legend")
        items = {}
        for li in legend.find_all("li") if legend else []:
            m = re.match(r"\s*(.+): (\d+) alerts?\s*$", li.text())
            if m:
                items[m.group(1)] = int(m.group(2))
        check("chart legend counts the alerts per verdict", items == dict(exp_alerts),
              "%s vs %s" % (items, dict(exp_alerts)))
    else:
        check("no chart without alerts", chart is None)

    # Scanners: every scanning source has its own block with a picture.
    scanners = {a["src_ip"] for a in real if verdict_of(a) == "scan"}
    blocks = [d for d in dom.find_all("div") if d.has_class("scanner")]
    heads = [" ".join(d.find("h3").text().split()) for d in blocks if d.find("h3")]
    for ip in sorted(scanners):
        check("scanner %s is listed" % ip, any(h.split(" ")[0] == ip for h in heads), heads[:5])
    check("%d scanners listed" % len(scanners), len(blocks) == len(scanners), len(blocks))

    # Top talkers: servers of flows on mismatched ports, which the alerts name.
    targets = {"%s:%s/%s" % ("[%s]" % a["dest_ip"] if ":" in a["dest_ip"] else a["dest_ip"],
                             a.get("dest_port", 0), a.get("proto", "").lower())
               for a in alerts if verdict_of(a) in ("port-mismatch", "unregistered-port", "legacy-port")}
    trows = rows(dom.find("table", id="talker-table"))
    if targets:
        check("top talkers are listed", trows, "no rows in table#talker-table")
    stray = [r[2] for r in trows if r[2] not in targets]
    check("every top talker's server is one the alerts name", not stray, stray[:5])

    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
