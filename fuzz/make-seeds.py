#!/usr/bin/env python3
"""make-seeds.py: builds the libFuzzer seed corpora (one directory per target) from pcaps/, rules/, docs/ and
../shared/corpus/ndpi (when present). Deterministic; only the Python standard library.

usage: fuzz/make-seeds.py OUTDIR [--src DIR] [--shared DIR]
"""
import argparse
import hashlib
import os
import struct
import sys

# Link types in the order of the dlts[] tables of fuzz_decode.c and fuzz_pipeline.c (libpcap DLT values;
# LINKTYPE_RAW 101 is DLT_RAW 12 once libpcap has read it).
DECODE_DLTS = [1, 113, 276, 12, 14, 101, 228, 229, 0, 108, 9, 50, 104, 105, 127]
PIPELINE_DLTS = [1, 113, 276, 12, 228, 229, 0, 108, 9, 50, 104]
LINKTYPE_TO_DLT = {101: 12}

MAX_FRAMES_PER_FILE = 24      # fuzz_decode seeds per capture
MAX_SEQ_FRAMES = 48           # frames per fuzz_pipeline seed
MAX_SEQ_BYTES = 48 * 1024
MAX_PCAP_SEED = 96 * 1024     # larger captures are cut to their first packets
MAX_PCAP_PACKETS = 48


def read_pcap(data):
    """Returns (linktype, [(ts_us, frame)]) of a classic pcap, or None. Stops quietly at a truncated record."""
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if incl > 262144 or off + incl > len(data):
            break
        frames.append((sec * 1000000 + (frac // 1000 if nano else frac), data[off:off + incl]))
        off += incl
    return linktype, frames


def read_pcapng(data):
    """Returns (linktype of interface 0, [(ts_us, frame)]) of a pcapng file (EPB, SPB, OPB), or None."""
    if len(data) < 28 or data[:4] != b"\x0a\x0d\x0d\x0a":
        return None
    bom = data[8:12]
    e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">" if bom == b"\x1a\x2b\x3c\x4d" else None
    if e is None:
        return None
    off, links, frames = 0, [], []
    while off + 12 <= len(data):
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 0x0A0D0D0A:
            links = []
        elif btype == 1 and len(body) >= 8:
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, hi, lo, cap, _orig = struct.unpack(e + "IIIII", body[:20])
            if iface == 0 and cap <= len(body) - 20:
                frames.append(((hi << 32 | lo), body[20:20 + cap]))
        elif btype == 3 and len(body) >= 4:
            orig = struct.unpack(e + "I", body[:4])[0]
            frames.append((0, body[4:4 + min(orig, len(body) - 4)]))
        elif btype == 2 and len(body) >= 20:
            iface, _drops, hi, lo, cap, _orig = struct.unpack(e + "HHIIII", body[:20])
            if iface == 0 and cap <= len(body) - 20:
                frames.append(((hi << 32 | lo), body[20:20 + cap]))
        off += blen
    if not links:
        return None
    return links[0], frames


def read_capture(path):
    with open(path, "rb") as f:
        data = f.read()
    return data, read_pcap(data) or read_pcapng(data)


def write_pcap(linktype, frames):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)]
    for ts, fr in frames:
        out.append(struct.pack("<IIII", (ts // 1000000) & 0xFFFFFFFF, ts % 1000000, len(fr), len(fr)))
        out.append(fr)
    return b"".join(out)


class Corpus:
    def __init__(self, root, name, limit):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.limit, self.count, self.seen = limit, 0, set()

    def add(self, data):
        h = hashlib.sha1(data).hexdigest()
        if h in self.seen or self.count >= self.limit or not data:
            return
        self.seen.add(h)
        self.count += 1
        with open(os.path.join(self.dir, h), "wb") as f:
            f.write(data)


def sample(frames, n):
    if len(frames) <= n:
        return frames
    head = frames[: n // 2]
    rest = frames[n // 2:]
    step = len(rest) / (n - len(head))
    return head + [rest[int(i * step)] for i in range(n - len(head))]


def packet_seeds(paths, out):
    dec = Corpus(out, "fuzz_decode", 6000)
    pipe = Corpus(out, "fuzz_pipeline", 1200)
    pcapf = Corpus(out, "fuzz_pcapfile", 600)
    for path in paths:
        try:
            raw, parsed = read_capture(path)
        except OSError:
            continue
        if len(raw) <= MAX_PCAP_SEED:
            pcapf.add(raw)
        if parsed is None:
            continue
        linktype, frames = parsed
        if len(raw) > MAX_PCAP_SEED and frames:
            pcapf.add(write_pcap(linktype, frames[:MAX_PCAP_PACKETS]))
        dlt = LINKTYPE_TO_DLT.get(linktype, linktype)
        if dlt in DECODE_DLTS:
            idx = DECODE_DLTS.index(dlt)
            for _ts, fr in sample(frames, MAX_FRAMES_PER_FILE):
                dec.add(bytes([idx]) + fr)
        if dlt in PIPELINE_DLTS and frames:
            idx = PIPELINE_DLTS.index(dlt)
            for start in (0, len(frames) // 2) if len(frames) > 2 * MAX_SEQ_FRAMES else (0,):
                seq, size, prev = [bytes([idx])], 1, None
                for ts, fr in frames[start:start + MAX_SEQ_FRAMES]:
                    if size + 3 + len(fr) > MAX_SEQ_BYTES or len(fr) > 0xFFFF:
                        break
                    step = 0 if prev is None else min(254, max(0, ts - prev) // 16000)
                    prev = ts
                    seq.append(struct.pack(">HB", len(fr), step) + fr)
                    size += 3 + len(fr)
                pipe.add(b"".join(seq))
    return dec, pipe, pcapf


def head_lines(path, n, max_bytes=32768):
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    except OSError:
        return b""
    return b"\n".join(lines[:n])[:max_bytes]


def text_seeds(src, shared, out):
    rules = Corpus(out, "fuzz_rules", 400)
    r = os.path.join(src, "rules")
    # Selector bytes as in fuzz_rules.c: 0 TSV, 1 CSV, 2 either, 3 protomap, 4 legacy, 5/6 policy, 7 scan, 8 outputs.
    tsv = head_lines(os.path.join(r, "registry.tsv"), 300)
    rules.add(b"\x00" + tsv)
    rules.add(b"\x02" + tsv)
    rules.add(b"\x00" + head_lines(os.path.join(src, "tools", "registry-supplement.tsv"), 200))
    csv = head_lines(os.path.join(shared, "iana", "service-names-port-numbers.csv"), 400)
    if csv:
        rules.add(b"\x01" + csv)
        rules.add(b"\x02" + csv)
    rules.add(b"\x01" + b'Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,'
              b'Registration Date,Modification Date,Reference,Service Code,Unauthorized Use Reported,'
              b'Assignment Notes\nhttp,80,tcp,"World Wide Web HTTP\nsecond line",[Tim],[Tim],,2017-01-01,'
              b'[RFC9110],,,"note, with ""quotes"""\n,0-1,udp,Reserved,,,,,,,,\nx11,6000-6063,,X Window,,,,,,,,\n')
    for sel, name in ((3, "protomap.conf"), (4, "legacy.tsv"), (4, "legacy-iana.tsv"), (5, "policy.conf"),
                      (6, "policy.conf"), (7, "scan.conf")):
        rules.add(bytes([sel]) + head_lines(os.path.join(r, name), 400))
        rules.add(bytes([sel]) + head_lines(os.path.join(r, name), 40))
    rules.add(b"\x05" + head_lines(os.path.join(src, "tests", "golden", "policy-allow-3098.conf"), 100))
    rules.add(b"\x05allow server 10.0.0.0/8 port 3098/tcp proto HTTP # our app\n"
              b"severity 1 client 2001:db8::/32 verdict port-mismatch\nreport-dynamic server ::1\n")
    # Output configuration: the examples of docs/outputs.md and a few of our own.
    try:
        with open(os.path.join(src, "docs", "outputs.md"), "rb") as f:
            md = f.read()
        blocks = md.split(b"```")
        for b in blocks[1::2]:
            if b"[" in b and b"=" in b:
                rules.add(b"\x08" + b.split(b"\n", 1)[-1])
    except OSError:
        pass
    rules.add(b"\x08[eve]\ntarget = /tmp/x.json\nevents = alert flow\n[syslog]\ntarget = udp://127.0.0.1:514\n"
              b"facility = local5\nformat = cef\n[redis]\ntarget = redis://127.0.0.1:6379/list/misport\n"
              b"queue = 100\n[fast]\ntarget = \"-\"\n; comment\n[cef]\ntarget = /tmp/x.cef\ndvchost = \"a\\tb\"\n")

    js = Corpus(out, "fuzz_json", 200)
    tx = Corpus(out, "fuzz_textesc", 200)
    samples = [b"", b"HTTP", b"TLS.Google", b"a\"b\\c\nd\re\tf\x01g\x7f", "caf\u00e9 \u2603 \U0001F600".encode(),
               b"\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82", b"x|y=z]w\"v\\u", b"\xef\xbf\xbd\xef\xbb\xbf",
               b"SSH on 598/tcp, registered to sco-websrvrmg3 (SCO Web Server Manager 3)"]
    for i, s in enumerate(samples):
        js.add(bytes([i * 37 & 0xFF]) + s)
        tx.add(bytes([i * 53 & 0xFF]) + s + b"\x00" + s[::-1] + b"\x00ops\x00" + s + b"\x00port-mismatch\x00"
               b"http\x00dead product\x00host.example\x00misport@32473\x00verdict\x00" + s + b"\x00n2\x00v2")
    for line in head_lines(os.path.join(r, "protomap.conf"), 120).split(b"\n"):
        if line.startswith(b"proto ") or line.startswith(b"reason "):
            js.add(b"\x10" + line)
            tx.add(b"\x21" + line.replace(b" ", b"\x00", 3))
    return rules, js, tx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--src", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--shared", default=None)
    a = ap.parse_args()
    src = os.path.abspath(a.src)
    shared = os.path.abspath(a.shared or os.path.join(src, "..", "shared"))
    paths = sorted(os.path.join(src, "pcaps", p) for p in os.listdir(os.path.join(src, "pcaps"))
                   if p.endswith((".pcap", ".pcapng")))
    corpus = os.path.join(shared, "corpus", "ndpi")
    if os.path.isdir(corpus):
        paths += sorted(os.path.join(corpus, p) for p in os.listdir(corpus) if p.endswith((".pcap", ".pcapng", ".cap")))
    counts = packet_seeds(paths, a.outdir) + text_seeds(src, shared, a.outdir)
    for c in counts:
        print("%-14s %5d seeds" % (os.path.basename(c.dir), c.count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
