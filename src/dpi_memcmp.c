/* dpi_memcmp.c: the process's memcmp (ISO C 7.24.4.1), linked into the misport executable only, so
 * that nDPI's calls bind to a comparison that never loads past its n bytes (include/misport/memcmp.h
 * says why: the nDPI guard page). Under a sanitizer the runtime's checking memcmp is kept instead. */
#include <stddef.h>
#include <string.h>

#include "misport/memcmp.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_KEEP_LIBC_MEMCMP 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MP_KEEP_LIBC_MEMCMP 1
#endif

#ifndef MP_KEEP_LIBC_MEMCMP
/* Shadows libc's memcmp for every object of the process (the executable's definition comes first in
 * symbol lookup, and the linker exports it because shared libraries on the link line use it). */
int memcmp(const void *a, const void *b, size_t n)
{
	return mp_memcmp(a, b, n);
}
#else
typedef int mp_memcmp_kept; /* a translation unit must declare something */
#endif
