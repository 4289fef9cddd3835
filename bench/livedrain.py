#!/usr/bin/env python3
"""livedrain.py: how fast misport's live capture path goes through a full kernel buffer, with one worker
and with --workers N (Linux packet sockets, TPACKET_V3 through libpcap).

On a 2-CPU machine a traffic generator cannot outrun one worker while sharing the CPUs with it, so live
scaling is measured on a backlog instead: misport opens the capture on one end of a veth pair in a network
namespace made here, is stopped (SIGSTOP), tcpreplay --topspeed sends the corpus into the other end while
the kernel queues every frame in misport's buffer, and misport is continued (SIGCONT). The drain time runs
from SIGCONT to the last moment misport's threads were busy (sampled every 2 ms from
/proc/PID/task/*/schedstat). Each round runs every mode once, in rotating order; the final EVE stats record
must account for every packet sent, with no kernel drop, and the last round's alerts of every mode must
be one worker's. Not part of CI; run as root.

usage: python3 bench/livedrain.py [--misport BIN] [--corpus PCAP] [--rounds R] [--workers N] [--cpus LIST]
                                  [--buffer-kib K] [--out DIR]
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, **kw)


class Threads:
    """The run time of each thread of a process, from /proc/PID/task/TID/schedstat. The files are opened
    once, before the timing starts (misport's threads all exist by then), and re-read with pread: the
    sampler runs on the CPUs it measures, so each sample must cost little."""

    def __init__(self, pid):
        self.fds = {}
        for t in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/comm' % (pid, t)) as f:
                name = f.read().strip()
            self.fds.setdefault(name, []).append(os.open('/proc/%d/task/%s/schedstat' % (pid, t), os.O_RDONLY))

    def per_thread(self):
        """Nanoseconds of run time by thread name (a thread that is gone counts 0)."""
        out = {}
        for name, fds in self.fds.items():
            for fd in fds:
                try:
                    out[name] = out.get(name, 0) + int(os.pread(fd, 128, 0).split()[0])
                except (OSError, ValueError, IndexError):
                    out.setdefault(name, 0)
        return out

    def total(self):
        return sum(self.per_thread().values())

    def close(self):
        for fds in self.fds.values():
            for fd in fds:
                os.close(fd)


def packet_sockets(pid):
    """How many of pid's descriptors are packet sockets, from /proc/PID/net/packet (the sockets of pid's
    network namespace, inode last) and the links of /proc/PID/fd."""
    try:
        with open('/proc/%d/net/packet' % pid) as f:
            inodes = {line.split()[-1] for line in f.readlines()[1:] if line.strip()}
        links = []
        for fd in os.listdir('/proc/%d/fd' % pid):
            try:
                links.append(os.readlink('/proc/%d/fd/%s' % (pid, fd)))
            except OSError:
                pass
    except OSError:
        return 0
    return sum(1 for l in links if l.startswith('socket:[') and l[8:-1] in inodes)


def wait_settled(pid, proc, sockets, least_s=1.0, quiet_s=0.5, quiet_frac=0.05, limit_s=60.0):
    """Waits until misport has opened its capture: at least least_s, its `sockets` packet sockets open,
    and its threads busy less than quiet_frac of one CPU over the last quiet_s (allocating and touching
    a large kernel buffer keeps a CPU busy for seconds; an idle misport still wakes up some hundred
    times a second, about 1 % of a CPU). Quiet alone is not enough: a start that waits on the disk (the
    page cache may have dropped the program's libraries) uses no CPU either."""
    t0 = time.monotonic()
    samples = []  # (time, CPU ns) of the last quiet_s and one before
    while True:
        time.sleep(0.05)
        if proc.poll() is not None:
            raise RuntimeError('misport exited at start (status %d)' % proc.returncode)
        th = Threads(pid)  # threads may still be starting: opened afresh each time
        c, t = th.total(), time.monotonic()
        th.close()
        samples.append((t, c))
        while len(samples) > 1 and t - samples[1][0] >= quiet_s:
            samples.pop(0)
        t_old, c_old = samples[0]
        if (t - t0 >= least_s and t - t_old >= quiet_s and c - c_old < quiet_frac * (t - t_old) * 1e9
                and packet_sockets(pid) >= sockets):
            return
        if t - t0 > limit_s:
            raise RuntimeError('misport did not settle within %.0f s' % limit_s)


def drain(pid, busy_frac=0.2, quiet_s=0.3):
    """Continues pid and returns (seconds until its threads were last busy, CPU seconds used, CPU
    seconds of each thread by name)."""
    th = Threads(pid)
    per0 = th.per_thread()
    c0 = sum(per0.values())
    t0 = time.monotonic()
    os.kill(pid, signal.SIGCONT)
    last_busy, prev_c, prev_t = t0, c0, t0
    try:
        while True:
            time.sleep(0.002)
            c, t = th.total(), time.monotonic()
            if c - prev_c > busy_frac * (t - prev_t) * 1e9:
                last_busy = t
            prev_c, prev_t = c, t
            if t - last_busy > quiet_s:
                per = {k: (v - per0.get(k, 0)) / 1e9 for k, v in th.per_thread().items()}
                return last_busy - t0, (c - c0) / 1e9, per
    finally:
        th.close()


def final_stats(path):
    """The last EVE stats record of path, and the number of alert records."""
    stats, alerts = None, 0
    with open(path) as f:
        for line in f:
            if '"event_type":"alert"' in line:
                alerts += 1
            elif '"event_type":"stats"' in line:
                stats = json.loads(line)['stats']
    return stats, alerts


def alert_keys(path):
    """The alerts of an EVE file as a multiset of what identifies them (times and flow ids aside: each
    mode captures at other times)."""
    keys = {}
    with open(path) as f:
        for line in f:
            if '"event_type":"alert"' not in line:
                continue
            r = json.loads(line)
            a = r['alert']
            md = a.get('metadata', {})
            k = (a.get('signature_id'), r.get('src_ip'), r.get('src_port'), r.get('dest_ip'), r.get('dest_port'),
                 r.get('proto'), r.get('app_proto'), tuple(md.get('verdict', [])), tuple(md.get('record', [])))
            keys[k] = keys.get(k, 0) + 1
    return keys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--misport', default=os.path.join(HERE, 'build/misport-build/misport'))
    ap.add_argument('--corpus', default=os.path.join(HERE, 'cache/corpus_40.pcap'))
    ap.add_argument('--rounds', type=int, default=7)
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--cpus', default='0,1', help='--cpus of the multi-worker runs')
    ap.add_argument('--buffer-kib', type=int, default=1200000,
                    help='misport -B in KiB (the default, 1.14 GiB, holds the 40-copy corpus)')
    ap.add_argument('--out', default=os.path.join(HERE, 'results'))
    a = ap.parse_args()
    for need in (a.misport, a.corpus):
        if not os.path.exists(need):
            sys.exit('livedrain: %s is missing (bash bench/run builds misport and the corpus)' % need)
    if os.geteuid() != 0:
        sys.exit('livedrain: run as root (network namespaces, packet sockets)')
    ns = 'mpld%d' % os.getpid()
    os.makedirs(a.out, exist_ok=True)
    env = dict(os.environ)
    env.setdefault('MISPORT_RULES', os.path.join(HERE, '..', 'rules'))
    # With --workers N the kernel deals the packets to a socket per worker (PACKET_FANOUT, the default);
    # with --no-fanout as well, one reader thread reads one socket and shards them.
    # (name, options, packet sockets it opens)
    modes = [('misport', ['--workers', '1'], 1),
             ('misport-w%d' % a.workers, ['--workers', str(a.workers), '--cpus', a.cpus], a.workers),
             ('misport-w%d-reader' % a.workers, ['--workers', str(a.workers), '--cpus', a.cpus, '--no-fanout'], 1)]
    res = {m: [] for m, _, _ in modes}
    sh('ip', 'netns', 'add', ns)
    try:
        nx = ['ip', 'netns', 'exec', ns]
        sh(*nx, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1')
        sh(*nx, 'ip', 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb')
        mtu = '65535'
        for dev in ('va', 'vb'):
            if sh(*nx, 'ip', 'link', 'set', dev, 'mtu', mtu, check=False,
                  stderr=subprocess.DEVNULL).returncode != 0:
                mtu = '9000'
                sh(*nx, 'ip', 'link', 'set', dev, 'mtu', mtu)
            sh(*nx, 'ip', 'link', 'set', dev, 'up')
        for r in range(a.rounds):
            order = modes[r % len(modes):] + modes[:r % len(modes)]
            for name, extra, sockets in order:
                eve = os.path.join(a.out, 'livedrain-%s.json' % name)
                if os.path.exists(eve):
                    os.unlink(eve)  # misport appends to an EVE file
                cmd = nx + [a.misport, '-q', '-i', 'vb', '-B', str(a.buffer_kib), '--seed', '1',
                            '--stats-interval', '0', '--eve', eve] + extra
                proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
                try:
                    wait_settled(proc.pid, proc, sockets)
                    os.kill(proc.pid, signal.SIGSTOP)
                    rep = sh(*nx, 'tcpreplay', '--topspeed', '-i', 'va', a.corpus,
                             capture_output=True, text=True)
                    sent = None
                    for line in rep.stdout.splitlines():
                        if line.strip().startswith('Successful packets:'):
                            sent = int(line.split()[-1])
                    time.sleep(0.3)
                    secs, cpu, per = drain(proc.pid)
                    os.kill(proc.pid, signal.SIGTERM)
                    _, err = proc.communicate(timeout=120)
                finally:
                    if proc.poll() is None:
                        os.kill(proc.pid, signal.SIGKILL)
                        proc.wait()
                if proc.returncode != 0:
                    sys.exit('livedrain: %s exited %d: %s' % (name, proc.returncode, err.decode()[-500:]))
                st, alerts = final_stats(eve)
                pk = st['decoder']['pkts']
                drops = st['capture']['kernel_drops'] + st['capture']['kernel_ifdrops']
                ok = sent is not None and pk == sent and drops == 0
                res[name].append((secs, cpu, pk, sent, drops, alerts, ok))
                threads = ', '.join('%s %.3f' % kv for kv in sorted(per.items()))
                rate = pk / secs / 1e6 if secs > 0 else 0.0  # 0 s: nothing was queued to drain
                print('[livedrain] round %d/%d %-18s %7.3f s  %.3f M packets/s  CPU %.3f s (%s)  packets %d of %s '
                      'sent, kernel drops %d, %d alerts%s' % (r + 1, a.rounds, name, secs, rate, cpu, threads, pk, sent,
                                                             drops, alerts, '' if ok else '  INCOMPLETE'), flush=True)
    finally:
        sh('ip', 'netns', 'del', ns, check=False)
    one = modes[0][0]
    lines = ['# livedrain: %s, %s, %d rounds, -B %d KiB, MTU %s' % (a.misport, os.path.basename(a.corpus), a.rounds,
                                                                  a.buffer_kib, mtu), '',
             '| tool | drain s (median) | M packets/s | CPU s | packets | kernel drops | alerts | complete rounds |',
             '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    # Times come from complete rounds only: a round that lost packets timed less work.
    for name, _, _ in modes:
        rs = [x for x in res[name] if x[6]]
        if not rs:
            lines.append('| %s | - | - | - | - | - | - | 0 of %d |' % (name, len(res[name])))
            continue
        med = statistics.median(x[0] for x in rs)
        lines.append('| %s | %.3f | %.3f | %.3f | %d | %d | %s | %d of %d |' % (
            name, med, rs[0][2] / med / 1e6, statistics.median(x[1] for x in rs), rs[0][2],
            max(x[4] for x in rs), '/'.join(sorted({str(x[5]) for x in rs})), len(rs), len(res[name])))
    lines.append('')
    for many, _, _ in modes[1:]:
        both = [i for i in range(a.rounds) if res[one][i][6] and res[many][i][6]]
        if not both:
            lines.append('%s over %s: no round in which both were complete' % (many, one))
            continue
        paired = [res[one][i][0] / res[many][i][0] for i in both]
        lines.append('%s over %s: %.2fx (median of the complete rounds); paired per round %.2fx, range %.2f-%.2f'
                     ' (%d rounds)' % (many, one, statistics.median(res[one][i][0] for i in both) /
                                       statistics.median(res[many][i][0] for i in both),
                                       statistics.median(paired), min(paired), max(paired), len(both)))
    # The EVE files of the last round: every mode's alerts against one worker's.
    same = True
    base = alert_keys(os.path.join(a.out, 'livedrain-%s.json' % one))
    for many, _, _ in modes[1:]:
        other = alert_keys(os.path.join(a.out, 'livedrain-%s.json' % many))
        diff = sum(abs(base.get(k, 0) - other.get(k, 0)) for k in set(base) | set(other))
        same = same and diff == 0
        lines.append('%s: alerts of the last round %s one worker\'s (%d differ; signature, 5-tuple, app, verdict)'
                     % (many, 'identical to' if diff == 0 else 'NOT identical to', diff))
    text = '\n'.join(lines) + '\n'
    with open(os.path.join(a.out, 'livedrain.md'), 'w') as f:
        f.write(text)
    print(text, end='')
    return 0 if same and all(x[6] for rs in res.values() for x in rs) else 1


if __name__ == '__main__':
    sys.exit(main())
