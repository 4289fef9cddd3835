#!/usr/bin/python3
"""pcapgen.py: writes a synthetic pcap (Ethernet, IPv4, TCP) of many complete HTTP conversations to
stdout, optionally paced in wall-clock time, so that misport reading it from a pipe (-r -) behaves like a
sensor on a live link: flows end and are reported all along the run, not only at its end.

Usage: pcapgen.py FLOWS [RATE]   RATE flows per wall-clock second (0 or absent: as fast as possible)
Each flow: handshake, an HTTP request and response, FIN both ways, one flow per 40 ms of capture time,
servers alternating between ports 80 (HTTP where IANA registered it) and 3098 (registered to umm-port).
"""
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, ip4(src), ip4(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + iph + tcp


def flow_packets(i):
    cli = "10.%d.%d.%d" % (1 + (i >> 16) % 200, (i >> 8) & 255, 1 + (i & 255) % 254)
    srv = "192.0.2.%d" % (1 + i % 50)
    sport = 20000 + i % 40000
    dport = 80 if i % 2 == 0 else 3098
    req = b"GET /item/%d HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n" % i
    body = b"hello %d\n" % i
    resp = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    c, s = 1000, 5000
    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
    pk = [
        (cli, srv, sport, dport, c, 0, SYN, b""),
        (srv, cli, dport, sport, s, c + 1, SYN | ACK, b""),
        (cli, srv, sport, dport, c + 1, s + 1, ACK, b""),
        (cli, srv, sport, dport, c + 1, s + 1, PSH | ACK, req),
        (srv, cli, dport, sport, s + 1, c + 1 + len(req), ACK, b""),
        (srv, cli, dport, sport, s + 1, c + 1 + len(req), PSH | ACK, resp),
        (cli, srv, sport, dport, c + 1 + len(req), s + 1 + len(resp), ACK, b""),
        (cli, srv, sport, dport, c + 1 + len(req), s + 1 + len(resp), FIN | ACK, b""),
        (srv, cli, dport, sport, s + 1 + len(resp), c + 2 + len(req), FIN | ACK, b""),
        (cli, srv, sport, dport, c + 2 + len(req), s + 2 + len(resp), ACK, b""),
    ]
    return [tcp_packet(*p) for p in pk]


def main():
    flows = int(sys.argv[1])
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    out = sys.stdout.buffer
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    t0_capture = 1700000000.0
    start = time.monotonic()
    for i in range(flows):
        ts = t0_capture + i * 0.04
        for k, frame in enumerate(flow_packets(i)):
            t = ts + k * 0.0005
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
        if rate > 0 and i % 10 == 9:
            out.flush()
            lag = start + (i + 1) / rate - time.monotonic()
            if lag > 0:
                time.sleep(lag)
    # A last packet 30 s of capture time later: the closed flows' timeout (10 s) expires in-run.
    last = tcp_packet("10.255.255.1", "192.0.2.254", 1, 9, 0, 0, 0x02)
    out.write(struct.pack("<IIII", int(t0_capture + flows * 0.04 + 30), 0, len(last), len(last)) + last)
    out.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
