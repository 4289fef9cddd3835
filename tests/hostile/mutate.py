#!/usr/bin/env python3
"""mutate.py: makes hostile variants of capture files, deterministically (fixed seeds), for run-mutants.sh.

usage: mutate.py OUTDIR CAPTURE... [--every K]
Writes OUTDIR/<n>-<kind>-<name> files and prints one line per mutant: "path<TAB>kind<TAB>source".
Kinds (docs/hostile-input.md):
  err1, err5      editcap -E 0.01 / 0.05 --seed S: random byte errors in the packet data
  snapN           editcap -s N: every packet truncated to N bytes (N cycles through small snap lengths)
  cutA, cutB      the file cut at a random offset (headers included)
  snap64hdr       the file's snaplen (pcap header, every pcapng IDB) set to 64: caplen > snaplen
  caplen>len      every record's original length set below its captured length
  caplenhuge      one record's captured length set to 0x00fffff0 (far beyond the file and any snaplen)
  linkbogus       link type set to one misport does not decode (802.11, USER0, PPI, 65000, 0xffff)
  linkwrong       link type set to another one misport decodes (the frames are then read as that)
--every K keeps one mutant in K (deterministic, rotating through the kinds).
"""
import argparse
import hashlib
import os
import random
import shutil
import struct
import subprocess
import sys

SNAPS = [1, 4, 14, 16, 20, 24, 34, 40, 44, 54, 60, 64]
BOGUS_LINKS = [105, 147, 192, 65000, 0xFFFF]
# Link types misport decodes, as written in files (LINKTYPE_ values; 101 is LINKTYPE_RAW).
WRONG_LINKS = [0, 1, 9, 50, 101, 104, 108, 113, 228, 229, 276]


def seed_of(name, salt):
    return int.from_bytes(hashlib.sha256((name + "/" + salt).encode()).digest()[:4], "big")


def pcap_endian(data):
    if len(data) < 24:
        return None
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return "<"
    if data[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return ">"
    return None


def pcap_records(data, e):
    """Offsets of the 16-byte record headers of a classic pcap (stops at the first that does not fit)."""
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        if off + 16 + incl > len(data):
            break
        out.append(off)
        off += 16 + incl
    return out


def pcapng_blocks(data):
    """(offset, type, length, endian) of every pcapng block that fits."""
    off, e, out = 0, None, []
    while off + 12 <= len(data):
        if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">" if bom == b"\x1a\x2b\x3c\x4d" else None
        if e is None:
            break
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        out.append((off, btype, blen, e))
        off += blen
    return out


def patch_header(data, pcap_field, idb_field, value):
    """Sets a field of the pcap file header, or of every pcapng interface description block; a field is
    (offset, struct format). Returns the patched bytes, or None when the file has no such header."""
    b = bytearray(data)
    e = pcap_endian(data)
    if e:
        struct.pack_into(e + pcap_field[1], b, pcap_field[0], value)
        return bytes(b)
    done = False
    for off, btype, _blen, en in pcapng_blocks(data):
        if btype == 1:
            struct.pack_into(en + idb_field[1], b, off + idb_field[0], value)
            done = True
    return bytes(b) if done else None


def patch_snaplen(data, snap):
    return patch_header(data, (16, "I"), (12, "I"), snap)


def patch_caplen_gt_len(data):
    b = bytearray(data)
    e = pcap_endian(data)
    done = False
    if e:
        for off in pcap_records(data, e):
            incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
            struct.pack_into(e + "I", b, off + 12, incl // 2)
            done = True
    else:
        for off, btype, blen, en in pcapng_blocks(data):
            if btype == 6 and blen >= 32:
                cap = struct.unpack(en + "I", data[off + 20:off + 24])[0]
                struct.pack_into(en + "I", b, off + 24, cap // 2)
                done = True
    return bytes(b) if done else None


def patch_caplen_huge(data, rnd):
    b = bytearray(data)
    e = pcap_endian(data)
    if e:
        recs = pcap_records(data, e)
        if not recs:
            return None
        struct.pack_into(e + "I", b, rnd.choice(recs) + 8, 0x00FFFFF0)
        return bytes(b)
    epbs = [(off, en) for off, btype, _l, en in pcapng_blocks(data) if btype == 6]
    if not epbs:
        return None
    off, en = rnd.choice(epbs)
    struct.pack_into(en + "I", b, off + 20, 0x00FFFFF0)
    return bytes(b)


def current_link(data):
    e = pcap_endian(data)
    if e:
        return struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    for off, btype, _blen, en in pcapng_blocks(data):
        if btype == 1:
            return struct.unpack(en + "H", data[off + 8:off + 10])[0]
    return None


def patch_link(data, link):
    return patch_header(data, (20, "I"), (8, "H"), link)


def editcap(args, src, dst):
    """Runs editcap; returns True when it wrote dst."""
    try:
        r = subprocess.run(["editcap"] + args + [src, dst], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and os.path.exists(dst)


def py_byte_errors(data, prob, rnd):
    """Fallback for editcap -E: flips bytes of record data (classic pcap only)."""
    e = pcap_endian(data)
    if not e:
        return None
    b = bytearray(data)
    for off in pcap_records(data, e):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        for i in range(off + 16, off + 16 + incl):
            if rnd.random() < prob:
                b[i] = rnd.randrange(256)
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("captures", nargs="+")
    ap.add_argument("--every", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    have_editcap = shutil.which("editcap") is not None
    n = 0

    def emit(kind, src, data=None, via=None):
        nonlocal n
        n += 1
        # Sampling rotates through the kinds: mutant n of capture i is kept when (n + i) % every == 0.
        if (n + i) % a.every != 0:
            return
        name = os.path.basename(src)
        dst = os.path.join(a.outdir, "%05d-%s-%s" % (n, kind.replace(">", "gt"), name))
        if via is not None:
            if not via(dst):
                return
        else:
            if data is None:
                return
            with open(dst, "wb") as f:
                f.write(data)
        print("%s\t%s\t%s" % (dst, kind, src))

    for i, src in enumerate(sorted(a.captures)):
        name = os.path.basename(src)
        with open(src, "rb") as f:
            data = f.read()
        rnd = random.Random(seed_of(name, "mutate"))
        is_pcap = pcap_endian(data) is not None
        fmt = ["-F", "pcap"] if is_pcap else []
        for prob, kind in ((0.01, "err1"), (0.05, "err5")):
            seed = seed_of(name, kind)
            if have_editcap:
                emit(kind, src, via=lambda d, p=prob, s=seed: editcap(fmt + ["-E", str(p), "--seed", str(s)], src, d))
            else:
                emit(kind, src, py_byte_errors(data, prob, random.Random(seed)))
        snap = SNAPS[i % len(SNAPS)]
        if have_editcap:
            emit("snap%d" % snap, src, via=lambda d, s=snap: editcap(fmt + ["-s", str(s)], src, d))
        for kind in ("cutA", "cutB"):
            emit(kind, src, data[: rnd.randrange(len(data) + 1)] if data else None)
        emit("snap64hdr", src, patch_snaplen(data, 64))
        emit("caplen>len", src, patch_caplen_gt_len(data))
        emit("caplenhuge", src, patch_caplen_huge(data, rnd))
        emit("linkbogus", src, patch_link(data, BOGUS_LINKS[i % len(BOGUS_LINKS)]))
        cur = current_link(data)
        wrong = [l for l in WRONG_LINKS if l != cur]
        emit("linkwrong", src, patch_link(data, wrong[i % len(wrong)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
