/* heap.h: transparent huge pages for the process heap (Linux madvise(2) MADV_HUGEPAGE, glibc mallopt(3)). */
#ifndef MISPORT_HEAP_H
#define MISPORT_HEAP_H

#include <stddef.h>

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

/* Makes `bytes` of memory resident in the calling thread's malloc arena before it needs them: allocates
 * them, writes one byte in every 4 KiB page, frees them. glibc keeps freed memory at the top of an arena
 * below the trim threshold heap_tune sets (twice MP_HEAP_TOP_PAD), so the thread's later allocations
 * take these pages instead of faulting fresh ones in (the kernel zeroes each, and in a VM a first touch
 * may also trap to the hypervisor). Call it in each thread that runs a pipeline, after the pipeline's
 * start-up allocations and before its first packet. A no-op when heap_tune did not tune the heap (the
 * allocator may then return the memory at once); a failed allocation is ignored. */
void heap_prefault(size_t bytes);

#endif
