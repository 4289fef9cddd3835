#!/usr/bin/env python3
"""regress.py: writes the fuzz targets' regression inputs, one file per finding, into OUT/<target>/.

fuzz/run gives OUT/<target> to its target as one more corpus directory, so libFuzzer runs every input
here before it mutates anything, and a finding that comes back fails the run at once. Each input is
built here from a readable description rather than kept as the fuzzer's bytes. docs/hostile-input.md
("Crashes found and fixed") lists the findings.

Usage: regress.py OUT
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "siem"))
import pcapgen  # noqa: E402  (the test suite's frame builder)


def pcap(frames):
    """A classic little-endian pcap file (microseconds, Ethernet), one frame per millisecond."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames):
        out += struct.pack("<IIII", 1700000000, i * 1000, len(f), len(f)) + f
    return out


def http_content_line_near_end():
    """fuzz_pcapfile, 2026-12-04: a TCP handshake to port 80, then a request whose Content-type line ends
    15 bytes before the end of the packet: "GET / HTTP/1.1\\r\\nHost: x\\r\\nContent-type: text/html\\r\\nCon".
    nDPI 4.2's HTTP dissector compares that line with "application/ocsp-" (17 bytes) by strncmp, which
    stops at the first byte; libFuzzer's strncmp hook read all 17 and hit the guard page after the packet.
    Fixed in fuzz/fuzz_libc.c."""
    cli, srv = "10.1.0.1", "192.0.2.1"
    req = b"GET / HTTP/1.1\r\nHost: x\r\nContent-type: text/html\r\nCon"
    return pcap([
        pcapgen.tcp_packet(cli, srv, 40000, 80, 100, 0, 0x02),
        pcapgen.tcp_packet(srv, cli, 80, 40000, 500, 101, 0x12),
        pcapgen.tcp_packet(cli, srv, 40000, 80, 101, 501, 0x10),
        pcapgen.tcp_packet(cli, srv, 40000, 80, 101, 501, 0x18, req),
    ])


INPUTS = {
    ("fuzz_pcapfile", "http-content-line-near-end.pcap"): http_content_line_near_end,
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    for (target, name), make in INPUTS.items():
        d = os.path.join(sys.argv[1], target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as fp:
            fp.write(make())


if __name__ == "__main__":
    main()
