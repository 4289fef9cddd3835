/* heap.h: transparent huge pages for the process heap (Linux madvise(2) MADV_HUGEPAGE, glibc mallopt(3)). */
#ifndef MISPORT_HEAP_H
#define MISPORT_HEAP_H

/* Makes the heap's memory eligible for transparent huge pages: glibc's brk heap grows in steps of
 * MP_HEAP_TOP_PAD, allocations below MP_HEAP_MMAP_THRESHOLD come from it, and the part grown here is
 * advised MADV_HUGEPAGE, so that touching new heap memory costs one fault per 2 MiB instead of one per
 * 4 KiB page (a fault costs ~11 us in this project's VM; docs/flows.md, "Memory"). Call it once, early,
 * before other threads exist. Returns 0 when the heap was advised, 1 when the tuning does not apply
 * (sanitizer builds, whose allocator is not glibc's, or a break that did not move), -1 when madvise failed
 * (errno set). The process works the same in every case; only page-fault counts differ. */
int heap_tune(void);

/* Advises the whole 2 MiB blocks the brk heap has grown by since the last call. Safe to call from any
 * thread at any time once heap_tune returned 0; a no-op otherwise. Cheap: it reads the current break
 * (no system call) and calls madvise only when the heap grew by a block or more. */
void heap_advise_growth(void);

#endif
