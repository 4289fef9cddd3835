/* heap.c: transparent huge pages for the process heap (Linux madvise(2) MADV_HUGEPAGE, glibc mallopt(3)). */
#include "misport/heap.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "misport/config.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define HEAP_FOREIGN_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HEAP_FOREIGN_ALLOCATOR 1
#endif

#ifndef HEAP_FOREIGN_ALLOCATOR
#define HUGE_BYTES ((uintptr_t)2 << 20)

/* End of the advised part of the brk heap (a 2 MiB boundary); 0 until heap_tune succeeded. */
static _Atomic uintptr_t advised_end;

static uintptr_t align_down(uintptr_t x)
{
	return x & ~(HUGE_BYTES - 1);
}

static uintptr_t align_up(uintptr_t x)
{
	return align_down(x + HUGE_BYTES - 1);
}
#endif

int heap_tune(void)
{
#ifdef HEAP_FOREIGN_ALLOCATOR
	return 1;
#else
	uintptr_t before, after, lo, hi;
	void *prime;

	/* Fixed thresholds also turn off glibc's dynamic mmap threshold. The trim threshold keeps freed top
	 * memory up to twice the pad, so the heap does not shrink and regrow at every flow expiry wave. */
	if (mallopt(M_MMAP_THRESHOLD, MP_HEAP_MMAP_THRESHOLD) != 1 ||
	    mallopt(M_TOP_PAD, MP_HEAP_TOP_PAD) != 1 || mallopt(M_TRIM_THRESHOLD, 2 * MP_HEAP_TOP_PAD) != 1)
		return 1;
	/* An allocation larger than any free space of the young heap makes malloc extend the break by
	 * itself plus the pad; the extension is untouched, so advising it now gives huge pages from the
	 * first fault on. */
	before = (uintptr_t)sbrk(0);
	prime = malloc(MP_HEAP_PRIME_BYTES);
	after = (uintptr_t)sbrk(0);
	free(prime);
	if (prime == NULL || before == (uintptr_t)-1 || after <= before)
		return 1;
	lo = align_up(before);
	hi = align_down(after);
	if (hi <= lo)
		return 1;
	if (madvise((void *)lo, hi - lo, MADV_HUGEPAGE) != 0)
		return -1;
	atomic_store(&advised_end, hi);
	return 0;
#endif
}

void heap_advise_growth(void)
{
#ifndef HEAP_FOREIGN_ALLOCATOR
	uintptr_t done = atomic_load_explicit(&advised_end, memory_order_relaxed);
	uintptr_t end;

	if (done == 0)
		return;
	/* sbrk(0) returns glibc's cached break; the brk heap only grows under its arena lock, and a stale
	 * value only delays the advice to the next call. */
	end = align_down((uintptr_t)sbrk(0));
	if (end <= done || !atomic_compare_exchange_strong(&advised_end, &done, end))
		return;
	(void)madvise((void *)done, end - done, MADV_HUGEPAGE);
#endif
}
