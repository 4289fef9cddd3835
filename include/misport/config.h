/* config.h: every compile-time limit and default of misport, one place, one comment each. */
#ifndef MISPORT_CONFIG_H
#define MISPORT_CONFIG_H

/* Heap (heap.c): the brk heap grows by at least this much at a time, so each growth is a run of whole
 * 2 MiB blocks that can be advised MADV_HUGEPAGE before anything touches them. Address space only:
 * memory becomes resident when touched. */
#define MP_HEAP_TOP_PAD (32 << 20)

/* Heap: allocations at or above this size get their own mapping (glibc's M_MMAP_THRESHOLD); smaller ones,
 * including the flow and scan tables, come from the advised heap. */
#define MP_HEAP_MMAP_THRESHOLD (32 << 20)

/* Heap: size of the one allocation heap_tune makes (and frees) to extend the break before advising it. */
#define MP_HEAP_PRIME_BYTES (1 << 20)

/* Flow table: maximum number of live flows; at the cap the least recently seen flow is evicted (counted). */
#define MP_FLOW_MAX_DEFAULT 262144u

/* Flow table: the bucket array starts with this many buckets and doubles whenever the live flows outnumber
 * them, up to the next power of two at or above the flow cap. */
#define MP_FLOW_MIN_BUCKETS 1024u

/* Idle timeouts in capture-time seconds: a flow with no packet for this long is finished and reported. */
#define MP_FLOW_TIMEOUT_TCP_NEW    30u  /* TCP before the handshake completes (probes, attempts) */
#define MP_FLOW_TIMEOUT_TCP_EST    300u /* TCP after data or handshake */
#define MP_FLOW_TIMEOUT_TCP_CLOSED 10u  /* TCP after FIN both ways or RST */
#define MP_FLOW_TIMEOUT_UDP        60u  /* UDP */
#define MP_FLOW_TIMEOUT_OTHER      30u  /* ICMP and anything else */

/* Emergency mode: when the flow table is this full (percent of its cap), idle timeouts are divided by
 * MP_FLOW_EMERGENCY_DIVISOR until it drops below MP_FLOW_EMERGENCY_EXIT_PCT; entries and exits are
 * counted. */
#define MP_FLOW_EMERGENCY_ENTER_PCT 90u
#define MP_FLOW_EMERGENCY_EXIT_PCT  70u
#define MP_FLOW_EMERGENCY_DIVISOR   10u

/* Expiry sweep: the idle scan runs at most once per this many capture-time seconds. */
#define MP_FLOW_SWEEP_INTERVAL 1u

/* nDPI packet budget per flow (same defaults as ndpiReader -T/-U): after this many packets with
 * payload-or-not in the flow, detection gives up and guesses. */
#define MP_DPI_MAX_TCP_PACKETS 80u
#define MP_DPI_MAX_UDP_PACKETS 24u

/* nDPI memory: bytes nDPI may hold over the whole process (engines and per-flow state, counted through its
 * malloc hooks); beyond it new flows get no nDPI state and stay Unknown (counted). $MISPORT_DPI_MEMCAP
 * overrides. */
#define MP_DPI_MEMCAP_DEFAULT (256ull * 1024u * 1024u)

/* nDPI's bytes in use are counted per thread and added to the process-wide figure once a thread's
 * change reaches this many bytes (either way), so worker threads do not share a counter per allocation.
 * With several workers, the figure (and the memcap check) can be off by this much per other worker. */
#define MP_DPI_MEM_PUBLISH_BYTES (64u * 1024u)

/* nDPI 4.2 takes packet lengths as unsigned short: longer IP packets are clamped to this. */
#define MP_DPI_MAX_PACKET_LEN 65535u

/* nDPI guard page, default mode (docs/hostile-input.md): zero bytes between the end of the packet copy
 * nDPI gets and the PROT_NONE page. A dissector reading up to this far past the packet reads zeros (never
 * bytes of an earlier packet) and the packet is not fatal; one reading further faults. The strict mode of
 * the tests (MISPORT_DPI_GUARD=strict) leaves none. A multiple of 4096. */
#define MP_DPI_GUARD_SLACK 4096u

/* Decoder: at most this many VLAN tags (802.1Q/802.1ad) are skipped; more is malformed. */
#define MP_DECODE_MAX_VLAN_TAGS 4u

/* Decoder: at most this many MPLS labels are skipped; a deeper stack is malformed (mpls.header_too_small). */
#define MP_DECODE_MAX_MPLS_LABELS 16u

/* Decoder: at most this many IPv6 extension headers are skipped; more is malformed. */
#define MP_DECODE_MAX_IPV6_EXT 8u

/* Decoder: at most this many tunnel layers (IP in IP, GRE, ERSPAN, VXLAN, Geneve, GTP-U, Teredo) are
 * unwrapped; a packet nested deeper is analysed as a flow of the tunnel protocol between the deepest
 * decoded endpoints. */
#define MP_DECODE_MAX_TUNNEL_DEPTH 4u

/* Decoder: at most this many GTP-U extension headers are skipped; a longer chain is not decapsulated. */
#define MP_DECODE_MAX_GTP_EXT 8u

/* Capture: read buffer of a capture file. Classic pcap files are read with read(2) into a buffer of this
 * size (it must hold the largest record, 16 + 262144 bytes); other files go through libpcap, whose stdio
 * stream gets a buffer of this size (with the default 4 KiB, one read(2) per dozen packets). */
#define MP_CAPTURE_FILE_BUFFER (1024u * 1024u)

/* Capture: bytes asked of each read(2) of a classic pcap file: few enough that the packets are decoded
 * while the kernel's copy of them is still in the core's cache. */
#define MP_CAPTURE_READ_CHUNK (128u * 1024u)

/* Capture: default kernel buffer for live capture (-B), in KiB. libpcap's own default is 2 MiB, and
 * when the interface does segmentation offload (veth, most NICs) libpcap sizes each ring frame for the
 * whole snapshot length (256 KiB), which leaves a ring of 8 frames: a burst of 9 packets is dropped. */
#define MP_CAPTURE_BUFFER_KIB 32768u

/* Capture: live capture without --immediate: the kernel hands over a block of packets when it is full
 * or this many milliseconds after its first packet (libpcap's read timeout, TPACKET_V3's block timeout),
 * so a packet reaches misport at most this late and a wake-up serves many packets. */
#define MP_CAPTURE_BLOCK_TIMEOUT_MS 100

/* Live: at a stop, misport reads what the kernel holds for this long, so the packets of a block still
 * open at the stop are analysed too. Linux closes a partly filled block at the second tick of its block
 * timer that finds it the current block, so a block can stay open for up to twice the timeout. */
#define MP_LIVE_DRAIN_MS (2 * MP_CAPTURE_BLOCK_TIMEOUT_MS + 50)

/* Capture: a filter is checked at start against every link type below this number that the decoder
 * supports (libpcap's DLT values in use stay below 300). */
#define MP_CAPTURE_DLT_SCAN 512

/* Command line: longest filter expression given as arguments after the options (tcpdump's form), in
 * bytes with the spaces that join them. */
#define MP_FILTER_ARGS_MAX 4096

/* Live: at most this many interfaces (-i) in one run. */
#define MP_MAX_INTERFACES 16

/* Live: the longest the capture loop sleeps in poll(2) before it runs timers and checks signals. */
#define MP_LIVE_POLL_MS 200

/* Live: packets read from one interface per wake-up before the others are served. */
#define MP_LIVE_BATCH 512

/* Live with --workers N and kernel fanout: the scan detector's input is merged in the order of the
 * packets' times (scanfeed.h). A worker whose sockets are empty may still get packets stamped this
 * long ago (a block the kernel has not handed over yet), so the other workers take its place in that
 * order to be this far behind the wall clock. */
#define MP_FANOUT_ORDER_LAG_MS MP_LIVE_DRAIN_MS

/* Live with kernel fanout: each worker's socket gets the kernel buffer (-B) divided by the number of
 * workers, but at least this many KiB. */
#define MP_FANOUT_MIN_BUFFER_KIB 2048

/* Capture: default snapshot length for live capture. */
#define MP_CAPTURE_SNAPLEN 262144

/* Workers (--workers): at most this many worker threads. */
#define MP_MAX_WORKERS 64u

/* nDPI: at most this many of nDPI's LRU caches are kept per virtual shard (nDPI 4.2 has six); writes
 * to more are dropped (counted). */
#define MP_DPI_MAX_LRU_CACHES 8u

/* nDPI: entries of one virtual shard's table of an nDPI cache (8 bytes each, allocated when first
 * written): 256 shards x 256 entries hold 64 times nDPI's usual 1024. */
#define MP_DPI_LRU_SHARD_ENTRIES 256u

/* Workers: host pairs hash to this many virtual shards, dealt out to the workers at start. */
#define MP_WORKER_VSHARDS 256u

/* Workers: the reader thread runs worker 0 besides reading and dispatching every packet, so worker 0
 * gets this percentage of an other worker's share of virtual shards (with 2 workers, 60 gives worker 0
 * 96 of 256 shards). The best value depends on the machine, on what reading costs against the rest: 60
 * measured best on the VM of 2026-12-03 and on the Intel Xeon VM of 2026-12-07/08 (paired rounds:
 * 1.013x to 1.025x faster than 70 in four sets, one with random seeds), 70 on the AMD VM of 2026-12-07
 * (1.06x to 1.07x faster than 60 at the benchmark's --seed 1 in three sets, 1.01x with random seeds);
 * see bench/JOURNAL.md. */
#define MP_WORKER_READER_SHARE_PCT 60u

/* Workers: bytes of the ring between the reader and each worker (a power of two). Records pass
 * through it once, so it should stay in the last-level cache beside the workers' own data: on the AMD
 * VM of 2026-12-07 (32 MiB of L3 shared by both CPUs) two workers took 3 % to 5 % less CPU with 8 MiB
 * than with 16 MiB and ran 2 % to 4 % faster (three sets of paired rounds); 4 and 2 MiB took about as
 * little CPU as 8 but ran slower (bench/JOURNAL.md, fortieth session). */
#define MP_WORKER_RING_BYTES (8u * 1024u * 1024u)

/* Workers: after writing a record, the reader asks the CPU to fetch the ring's memory this many bytes
 * past the new tail for writing (as many bytes as the record took), so that later records do not wait
 * for those lines, which the worker's core or memory holds. */
#define MP_WORKER_RING_PREFETCH_AHEAD 1024u

/* Workers: bytes of the next record (header, decoding, start of the frame) a worker asks the CPU to
 * fetch before it processes the current one, when the reader has published them; the lines come from
 * the reader's core while the current packet is processed. */
#define MP_WORKER_RING_PREFETCH_NEXT 640u

/* Waiting between threads (spin.c): a thread waiting for another (a ring, the scan feed's queues)
 * pauses this many times before it starts sleeping. */
#define MP_SPIN_PAUSES 128u

/* Waiting between threads: each sleep after the pauses, in nanoseconds. */
#define MP_SPIN_SLEEP_NS 20000L

/* Waiting between threads: a wait that has slept this many times (10 ms and more) is a thread with
 * nothing to do, such as a worker of a quiet live capture; each further sleep doubles, up to
 * MP_SPIN_SLEEP_MAX_NS. Sleeps of MP_SPIN_SLEEP_NS alone kept an idle worker awake over 10,000 times a
 * second on this project's VM, a fifth of a CPU (bench/JOURNAL.md, twenty-second session). */
#define MP_SPIN_SHORT_SLEEPS 512u

/* Waiting between threads: the longest sleep of a wait, in nanoseconds: the most an idle worker adds to
 * the delay of the first packet after a quiet spell, and about 500 wake-ups a second when idle. */
#define MP_SPIN_SLEEP_MAX_NS 2000000L

/* Waiting between threads: how long a worker retries a lock on the shared outputs before it sleeps
 * until the lock is free, in nanoseconds. Alerts hold it for a few microseconds; a sleep and wake-up on
 * this project's VM cost more than that (bench/JOURNAL.md, fifteenth session). */
#define MP_SPIN_LOCK_NS 50000u

/* Input files: at most this many -r files in one run. */
#define MP_MAX_INPUT_FILES 256u

/* Output: maximum length of one serialized record (EVE line); longer string fields are truncated. */
#define MP_RECORD_MAX 16384u

/* Output: an EVE file's write buffer in bytes. Whole lines collect in it and reach the file in one
 * write(2) when the next would not fit, so a run with many alerts makes few system calls. */
#define MP_EVE_FILE_BUFFER (64u * 1024u)

/* Output: an EVE file's lines wait in its buffer at most this long (milliseconds), checked at each write;
 * outputs_idle (every live capture round) flushes whatever waits. Stats records flush at once. */
#define MP_EVE_FLUSH_MS 100u

/* Summary: the per-protocol table holds at most this many distinct protocol names. */
#define MP_SUMMARY_MAX_PROTOCOLS 1024u

/* Summary: the port table holds at most this many (server port, transport) rows, and per row this many
 * observed protocols; the rest is counted under "(other ports)" / "(other)". */
#define MP_SUMMARY_MAX_PORTS   4096u
#define MP_SUMMARY_PORT_PROTOS 6u

/* Evidence (-w, --evidence-dir): packets of a flow are buffered until its verdict is known, at most
 * this many bytes per flow; later packets of an unalerted flow are not kept (counted as truncated). */
#define MP_EVIDENCE_FLOW_MAX_BYTES (1024u * 1024u)

/* Evidence: at most this many bytes buffered over all flows; beyond it nothing more is buffered. */
#define MP_EVIDENCE_TOTAL_MAX_BYTES (64u * 1024u * 1024u)

/* Evidence: at most this many per-alert pcap files kept open for a flow's later packets. */
#define MP_EVIDENCE_MAX_OPEN 128u

/* Alert suppression: repeats of a (client, server, server port, transport, verdict) alert within this
 * many capture-time seconds are counted, not emitted; a closing record reports the count. */
#define MP_SUPPRESS_INTERVAL_DEFAULT 3600u

/* Alert suppression: at most this many keys are tracked; at the cap the oldest key is closed early
 * (its closing record is emitted and the early close counted). */
#define MP_SUPPRESS_MAX 16384u

/* --- Rules subsystem: registry, protocol map, legacy list, policy (src/registry.c, src/rules.c ...) --- */

/* Rule and registry files: largest file read whole (IANA's CSV is about 1.1 MB). */
#define MP_RULES_MAX_FILE_SIZE (16u * 1024u * 1024u)

/* Longest line of a line-oriented rule file (TSV, protomap, legacy, policy), newline excluded. */
#define MP_RULES_MAX_LINE 4096u

/* Longest record of IANA's CSV; quoted fields may hold newlines, so one record spans several lines. */
#define MP_REG_MAX_CSV_RECORD 16384u

/* Fields of one record of IANA's CSV (it has 12); a record with more is refused, naming its line. */
#define MP_REG_MAX_CSV_FIELDS 32

/* Registry: most entries (one per service name, port or range, and transport). */
#define MP_REG_MAX_ENTRIES 131072u

/* Registry: most port slots, i.e. entries counted once per port of their range. */
#define MP_REG_MAX_SLOTS 1048576u

/* Protocol map: most proto lines, IANA names on one line, vocabulary words, defacto lines. */
#define MP_PMAP_MAX_PROTOCOLS 1024u
#define MP_PMAP_MAX_NAMES     64u
#define MP_PMAP_MAX_VOCAB     32u
#define MP_PMAP_MAX_DEFACTO   256u

/* Legacy list: most entries over legacy.tsv and legacy-iana.tsv. */
#define MP_LEGACY_MAX_ENTRIES 8192u

/* Policy: most rules in policy.conf (matched in order, once per classified flow). */
#define MP_POLICY_MAX_RULES 4096u

/* ---- outputs: network sinks (syslog, Redis, EVE to a Unix socket); src/output/sinkq.c ---------------- */

/* Network sink queue: at most this many serialized records wait per sink; beyond it events are dropped
 * (counted per sink). Overridable per sink with the option queue=N. */
#define MP_OUT_QUEUE_RECORDS 16384u

/* Network sink queue: at most this many bytes of serialized records wait per sink (bounds memory). */
#define MP_OUT_QUEUE_BYTES (32u << 20)

/* At exit, queued records are flushed for at most this many milliseconds over all sinks together;
 * what is left is counted as dropped at exit. */
#define MP_OUT_FLUSH_TIMEOUT_MS 5000u

/* Reconnect backoff: the first retry after a failure waits this long, each further failure doubles it. */
#define MP_OUT_BACKOFF_MIN_MS 100u

/* Reconnect backoff: the wait between connection attempts never exceeds this. */
#define MP_OUT_BACKOFF_MAX_MS 2000u

/* One connect, send or acknowledgement (Redis reply) waits at most this long before the connection is
 * treated as broken. */
#define MP_OUT_IO_TIMEOUT_MS 3000u

/* A sender thread hands at most this many queued records to its transport at once (one write batch, one
 * Redis RPUSH or pipeline). */
#define MP_OUT_BATCH_RECORDS 256u

/* A stream sender batch (syslog over TCP/TLS, Unix stream) is written in chunks of at most this many
 * bytes. */
#define MP_OUT_SEND_CHUNK 65536u

/* Redis streams: default MAXLEN ~ for XADD (Suricata's default is 100000). */
#define MP_OUT_REDIS_STREAM_MAXLEN 100000u

/* Output configuration file: longest line, and most options in one sink section. */
#define MP_OUTCONF_LINE_MAX 4096u
#define MP_OUTCONF_MAX_OPTS 32u

/* ---- scan detector (include/misport/scan.h, docs/scan.md, rules/scan.conf) ---- */

/* Scan detector: sources tracked at once; at the cap one is evicted (sources seen only once first),
 * counted. */
#define MP_SCAN_MAX_SOURCES_DEFAULT 65536u

/* Scan detector: bytes for all per-source sets (targets, ports, pairs, contacts); beyond it the least
 * recently active sources are evicted, counted. */
#define MP_SCAN_MEM_MAX_DEFAULT (64ull * 1024u * 1024u)

/* Scan detector: distinct targets stored per source and window; more are counted as overflow. */
#define MP_SCAN_MAX_TARGETS 4096u

/* Scan detector: distinct (target, transport, port) pairs stored per source and window; more are counted. */
#define MP_SCAN_MAX_PAIRS 131072u

/* Scan detector: distinct (transport, port) entries stored per source and window (all TCP and UDP ports). */
#define MP_SCAN_MAX_PORTS 131072u

/* Scan detector: targets remembered per source for TRW's first-contact test, across windows. */
#define MP_SCAN_MAX_CONTACTS 1024u

/* Scan detector: mismatches ("probed 22/tcp with HTTP") kept per source and window; more are counted. */
#define MP_SCAN_MAX_MISMATCHES 8u

/* Scan detector: "host X initiated a connection to Y" pairs remembered (fixed table of 4-way sets; the
 * oldest entry of a full set is replaced, counted). */
#define MP_SCAN_CONTACT_PAIRS 65536u

/* Scan detector: scanners kept for the summary after their state is gone; more are counted, not listed. */
#define MP_SCAN_MAX_REPORTS 256u

/* Scan detector: calls (answered contacts, finished flows) a pipeline queues before it takes the
 * detector's lock and hands over what can be applied (scanfeed.h); also whenever it asks the detector
 * anything, at each flow sweep (once per capture second), for stats and at the end. */
#define MP_SCAN_QUEUE 64u

/* Scan detector with workers: calls each worker's queue holds until they can be applied in capture
 * order (scanfeed.h), a power of two. A worker that runs ahead of another by more calls waits. One call
 * is about 200 bytes. */
#define MP_SCAN_FEED_QUEUE 16384u

/* Workers: judgments a worker keeps waiting for the scan detector's answer (is the client a scanner?)
 * while it goes on with later packets; with more, it waits for the oldest, that is until every other
 * worker has caught up with it. One is about 13 KB (its alert), touched only once that many were
 * pending together; the 40-copy benchmark corpus has up to about 150 pending in a worker that runs a
 * ring's length ahead of another (64 made the reader wait 0.03 to 0.3 s of a 1.6 s run). At most 65536. */
#define MP_PENDING_JUDGMENTS 512u

/* Scan detector: CIDR entries per policy list (ignore-scanner, never-flag, ignore-target). */
#define MP_SCAN_MAX_POLICY 256u

/* Scan detector: open ports named one by one in an alert ("22/tcp,80/tcp"); the rest are counted. */
#define MP_SCAN_MAX_OPEN_LISTED 32u

/* Scan detector: freed source entries kept for reuse (a flood of one-probe sources then allocates
 * nothing). */
#define MP_SCAN_SPARE_SOURCES 256u

/* Scan detector: longest line of rules/scan.conf, in bytes. */
#define MP_SCAN_CONF_LINE_MAX 1024u

/* Scan detector defaults (rules/scan.conf overrides them): aggregation window in capture seconds
 * (Zeek scan.zeek uses 5 min); grace after the window end before it closes, so that flow records
 * finishing late still count (the UDP flow timeout); how long a flagged source stays a scanner after
 * its last record; how long a silent source's state (TRW, contacts) is kept. */
#define MP_SCAN_WINDOW_S 300u
#define MP_SCAN_GRACE_S  60u
#define MP_SCAN_HOLD_S   3600u
#define MP_SCAN_IDLE_S   3600u

/* Scan detector thresholds per window: vertical portscan = failed ports on one target (Zeek
 * port_scan_threshold 15); horizontal portsweep = failed targets on one port (Zeek addr_scan_threshold
 * 25); ping sweep = targets sent ICMP echo/timestamp requests (Snort sfPortscan low ICMP sweep, 5). */
#define MP_SCAN_PORTSCAN_PORTS  15u
#define MP_SCAN_PORTSWEEP_HOSTS 25u
#define MP_SCAN_PINGSWEEP_HOSTS 5u

/* Scan detector: Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan 2004) defaults: success
 * probability of a first contact for a benign source (theta0) and a scanner (theta1), detection and
 * false-positive probabilities (PD, PF). With these, 4 failed first contacts in a row flag a scanner. */
#define MP_SCAN_TRW_THETA0 0.8
#define MP_SCAN_TRW_THETA1 0.2
#define MP_SCAN_TRW_PD     0.99
#define MP_SCAN_TRW_PF     0.01

/* ---- outputs: HTML report (--report FILE.html); src/output/report.c, docs/report.md
 * ---------------------- */

/* Report: most (server port, transport) rows in the port table; alerts and flows on further ports are counted
 * on the page as not shown. */
#define MP_REPORT_MAX_PORTS 2048u

/* Report: observed protocols listed per port row; flows and alerts of further protocols are summed as
 * "other". */
#define MP_REPORT_PORT_PROTOS 8u

/* Report: distinct verdict names counted (seven are known); further names share one "other" entry. */
#define MP_REPORT_MAX_VERDICTS 16u

/* Report: most bars in the alerts-over-time chart; the bar width steps up (1 ms, 2 ms, 10 ms ... 1 s, 2 s,
 * 10 s, 20 s, 1 min ... 1 h ... 1 d ...) until the capture span fits. */
#define MP_REPORT_TIME_BUCKETS 96u

/* Report: scanners listed (one per scanning source address); alerts of further scanners are counted. */
#define MP_REPORT_MAX_SCANNERS 128u

/* Report: disjoint port ranges kept per scanner and transport (probed and open ports each); beyond it the two
 * closest ranges merge and the picture says it is approximate. */
#define MP_REPORT_SCAN_RANGES 128u

/* Report: metadata entries kept per scanner (the latest value of each key), and the longest value kept. */
#define MP_REPORT_SCAN_META  16u
#define MP_REPORT_META_VALUE 256u

/* Report: (client, server, server port, transport, protocol) keys tracked for the top talkers on mismatched
 * ports; at the cap the key with the fewest bytes is replaced (space-saving: figures become upper bounds). */
#define MP_REPORT_MAX_TALKERS 4096u

/* Report: rows of the top-talkers table. */
#define MP_REPORT_TOP_TALKERS 25u

/* Outputs: at most this many sinks at once, command-line options and --output-config together. */
#define MP_OUTPUT_MAX_SINKS 16

/* explain: at most this many (port, transport) pages for one service name (x11 has 64 ports per
 * transport). */
#define MP_EXPLAIN_MAX_TARGETS 256

/* explain: names of expected nDPI protocols kept per page. */
#define MP_EXPLAIN_MAX_NAMES 32

#endif
