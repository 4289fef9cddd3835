#!/usr/bin/env python3
"""shardsim.py: a model of `misport --workers 2` on a capture, to tell the waits that the capture's order of
packets forces on the two threads (runs of packets of one host pair all go to one worker) from those the
machine adds.

The model reads the capture (classic pcap, Ethernet), deals each frame to a virtual shard by its two host
addresses and VLAN id (256 shards; a stand-in hash, not misport's seeded one, so each --seeds value is one
possible dealing), gives the reader thread MP_WORKER_READER_SHARE_PCT's share of the shards, and then runs
both threads with fixed costs per packet (nanoseconds):

  reader, every frame:           --read   (reading, the shard walk)
  reader, its own frames:        the processing cost
  reader, worker 1's frames:     --put    (the ring record and frame copy), waiting while the ring is full
  worker 1, its frames:          the processing cost + --get, waiting while the ring is empty

The processing cost averages --proc; the first --first packets of each flow cost --heavy times a later
packet (nDPI works on those). A ring record takes 88 bytes plus the frame, as misport's REC_RAW records do.
It prints the speed-up over one worker (which costs --read + processing per frame), the bound with no
waiting at all (the same CPU spread evenly over two threads), the average number of busy threads, and each
thread's waits. Only the order of the packets and the costs above are modelled: not the machine, not the
scan feed, not cache effects. bench/JOURNAL.md (twenty-first session) gives the results for the benchmark
corpus.

usage: python3 bench/shardsim.py [options] FILE.pcap
"""
import argparse
import array
import random
import struct
import sys
import zlib
from collections import deque

VLAN_TYPES = (0x8100, 0x88A8, 0x9100)


def read_frames(path, first_n):
    """Per frame: captured length, host-pair bucket (0-255, -1 without IPv4/IPv6 addresses) and whether it
    is among the first first_n packets of its flow (5-tuple and VLAN, either direction; never for a frame
    without addresses, which misport only counts)."""
    caps, buckets, heavy = array.array("I"), array.array("h"), array.array("b")
    seen = {}
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            sys.exit(f"{path}: not a pcap file")
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            sys.exit(f"{path}: not a classic pcap file (pcapng: convert it with editcap -F pcap)")
        if struct.unpack(endian + "I", hdr[20:24])[0] != 1:
            sys.exit(f"{path}: link type is not Ethernet")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            incl = struct.unpack(endian + "I", rec[8:12])[0]
            d = f.read(incl)
            bucket, key = -1, None
            if len(d) >= 14:
                etype, off, vlan, tagged = int.from_bytes(d[12:14], "big"), 14, 0, False
                while etype in VLAN_TYPES and len(d) >= off + 4:
                    if not tagged:
                        vlan, tagged = int.from_bytes(d[off:off + 2], "big") & 0xFFF, True
                    etype, off = int.from_bytes(d[off + 2:off + 4], "big"), off + 4
                if etype == 0x0800 and len(d) >= off + 20:
                    a, b, ihl, proto = d[off + 12:off + 16], d[off + 16:off + 20], (d[off] & 15) * 4, d[off + 9]
                    ports = d[off + ihl:off + ihl + 4]
                elif etype == 0x86DD and len(d) >= off + 40:
                    a, b, proto, ports = d[off + 8:off + 24], d[off + 24:off + 40], d[off + 6], d[off + 40:off + 44]
                else:
                    a = None
                if a is not None:
                    lo, hi = (a, b) if a < b else (b, a)
                    bucket = zlib.crc32(lo + hi + vlan.to_bytes(2, "little")) & 255
                    ea, eb = a + ports[:2], b + ports[2:4]
                    key = (min(ea, eb), max(ea, eb), proto, vlan)
            k = 0
            if key is not None:
                k = seen.get(key, 0)
                seen[key] = k + 1
                if len(seen) > 1_000_000:  # a bounded table, as misport's: old flows start over
                    seen.clear()
            caps.append(incl)
            buckets.append(bucket)
            heavy.append(1 if key is not None and k < first_n else 0)
    return caps, buckets, heavy


def simulate(caps, buckets, heavy, owner, a):
    n = len(caps)
    share_heavy = sum(heavy) / n if n else 0
    light = a.proc / (share_heavy * a.heavy + (1 - share_heavy))
    cost = (light, light * a.heavy)
    cap = a.ring * 1024 * 1024
    t_r = wait_r = 0.0  # reader's clock and its time waiting for room
    f_prev = idle_w = 0.0  # worker 1's last finish and its time waiting for records
    used, queued, k1 = 0, deque(), 0  # ring bytes, (finish time, bytes) of records not yet done
    for i in range(n):
        t_r += a.read
        b = buckets[i]
        if b < 0 or owner[b] == 0:
            t_r += cost[heavy[i]]
            continue
        size = 88 + caps[i]
        while queued and queued[0][0] <= t_r:
            used -= queued.popleft()[1]
        while used + size > cap:
            done, freed = queued.popleft()
            used -= freed
            if done > t_r:
                wait_r += done - t_r
                t_r = done
        t_r += a.put
        start = max(f_prev, t_r)
        idle_w += start - f_prev
        f_prev = start + cost[heavy[i]] + a.get
        queued.append((f_prev, size))
        used += size
        k1 += 1
    end = max(t_r, f_prev)
    one = n * (a.read + a.proc)
    busy = (t_r - wait_r) + (f_prev - idle_w)
    return {
        "speedup": one / end, "bound": one / (busy / 2), "busy": busy / end, "reader_wait": wait_r / end,
        "worker_idle": (idle_w + end - f_prev) / end, "worker_share": k1 / n, "tail_ms": (f_prev - t_r) / 1e6,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("pcap")
    p.add_argument("--ring", type=float, default=16, help="ring size in MiB (MP_WORKER_RING_BYTES; 16)")
    p.add_argument("--share", type=int, default=60, help="MP_WORKER_READER_SHARE_PCT (60)")
    p.add_argument("--seeds", type=int, default=3, help="dealings of the shards to try (3)")
    p.add_argument("--read", type=float, default=90, help="ns per frame to read and shard it (90)")
    p.add_argument("--proc", type=float, default=410, help="mean ns per frame to process it (410)")
    p.add_argument("--put", type=float, default=40, help="ns per ring record, reader side (40)")
    p.add_argument("--get", type=float, default=40, help="ns per ring record, worker side (40)")
    p.add_argument("--first", type=int, default=8, help="packets of a flow that cost more (8)")
    p.add_argument("--heavy", type=float, default=5, help="their cost over a later packet's (5)")
    a = p.parse_args()
    caps, buckets, heavy = read_frames(a.pcap, a.first)
    if not caps:
        sys.exit(f"{a.pcap}: no packets")
    n0 = 256 * a.share // (a.share + 100)
    print(f"{len(caps)} frames, {sum(heavy)} among the first {a.first} of their flow; ring {a.ring:g} MiB, "
          f"reader share {a.share} ({n0} of 256 shards)")
    for seed in range(a.seeds):
        order = list(range(256))
        random.Random(seed).shuffle(order)
        owner = [0] * 256
        for i, s in enumerate(order):
            owner[s] = 0 if i < n0 else 1
        r = simulate(caps, buckets, heavy, owner, a)
        print(f"seed {seed}: {r['speedup']:.3f}x one worker (no waits: {r['bound']:.3f}x); busy threads "
              f"{r['busy']:.2f}; reader waits {r['reader_wait'] * 100:.1f} %, worker 1 idle "
              f"{r['worker_idle'] * 100:.1f} % (ends {r['tail_ms']:+.0f} ms after the reader); worker 1 has "
              f"{r['worker_share'] * 100:.1f} % of the frames")


if __name__ == "__main__":
    main()
