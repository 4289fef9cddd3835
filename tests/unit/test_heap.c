/* test_heap.c: heap_tune advises the grown brk heap MADV_HUGEPAGE (madvise(2)), and later growth too. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/config.h"
#include "misport/heap.h"

/* Whether the mapping that holds addr carries the "hg" (MADV_HUGEPAGE) flag in /proc/self/smaps. */
static bool advised(uintptr_t addr)
{
	FILE *fp = fopen("/proc/self/smaps", "r");
	char line[512];
	bool inside = false, hg = false;

	cr_assert_not_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		uintmax_t lo, hi;

		if (sscanf(line, "%jx-%jx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			inside = addr >= lo && addr < hi;
			continue;
		}
		if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			hg = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(fp);
	return hg;
}

/* Returns 0 when the tuning applies here; skips the test otherwise. */
static void tune_or_skip(void)
{
	int r = heap_tune();

	if (r == 1)
		cr_skip_test("heap tuning does not apply (sanitizer allocator or unmoved break)");
	if (r == -1 && errno == EINVAL)
		cr_skip_test("kernel without transparent huge pages");
	cr_assert_eq(r, 0, "heap_tune: %d (%s)", r, strerror(errno));
}

Test(heap, tune_advises_the_new_heap)
{
	uintptr_t brk;
	char *p;

	tune_or_skip();
	brk = (uintptr_t)sbrk(0);
	/* The break moved by at least the pad, and the memory below it (whole 2 MiB blocks) is advised. */
	p = malloc(4096);
	cr_assert_not_null(p);
	cr_assert(advised((brk - ((uintptr_t)3 << 20)) & ~(((uintptr_t)2 << 20) - 1)),
		  "the block below the break is not advised");
	free(p);
}

Test(heap, advise_growth_covers_later_growth)
{
	enum { N = (MP_HEAP_TOP_PAD / (1 << 20)) * 2 };
	static void *blocks[N];
	uintptr_t first_brk, brk;

	tune_or_skip();
	first_brk = (uintptr_t)sbrk(0);
	/* 1 MiB allocations (below the mmap threshold) until the heap grew past the first pad. */
	for (int i = 0; i < N; i++) {
		blocks[i] = malloc(1 << 20);
		cr_assert_not_null(blocks[i]);
	}
	brk = (uintptr_t)sbrk(0);
	cr_assert_gt(brk, first_brk + ((uintptr_t)4 << 20), "the heap did not grow");
	heap_advise_growth();
	cr_assert(advised((brk - ((uintptr_t)3 << 20)) & ~(((uintptr_t)2 << 20) - 1)),
		  "growth after heap_tune is not advised");
	for (int i = 0; i < N; i++)
		free(blocks[i]);
}

/* Without heap_tune, heap_advise_growth advises nothing: the heap keeps 4 KiB pages. */
Test(heap, advise_growth_without_tune_advises_nothing)
{
	enum { N = 640 };
	static void *blocks[N];
	uintptr_t brk;

	/* 64 KiB allocations stay below glibc's default mmap threshold: 40 MiB of brk heap. */
	for (int i = 0; i < N; i++) {
		blocks[i] = malloc(64 << 10);
		cr_assert_not_null(blocks[i]);
	}
	brk = (uintptr_t)sbrk(0);
	heap_advise_growth();
	cr_assert_not(advised((brk - ((uintptr_t)3 << 20)) & ~(((uintptr_t)2 << 20) - 1)),
		      "heap advised without heap_tune");
	for (int i = 0; i < N; i++)
		free(blocks[i]);
}
