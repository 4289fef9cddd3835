/* fuzz_libc.c: strncmp and strncasecmp (ISO C 7.24.4.4, POSIX strncasecmp) for the fuzz targets, so that
 * libFuzzer's comparison hooks read no byte the comparison itself does not.
 *
 * libFuzzer learns from every string comparison that fails: the sanitizer's strncmp interceptor passes
 * the two strings and n to __sanitizer_weak_hook_strncmp (strncasecmp's hook calls the same code), which
 * measures each string with strnlen(s, n) before it looks at them. nDPI compares payload with literals
 * longer than what is left of the packet ("application/ocsp-" against a Content-Type line 15 bytes before
 * the end), which is correct C: strncmp stops at the first difference. The hook does not stop there, and
 * in front of the nDPI guard page (docs/hostile-input.md) its strnlen faults: a finding that is the
 * harness's, not misport's or nDPI's (fuzz/regress.py writes one such input).
 *
 * These definitions take the place of the sanitizer's interceptors (which are weak) in every object of
 * a fuzz target, libndpi's included: they compare byte by byte and stop where C says, every read checked
 * by the sanitizer when it is instrumented and by the guard page when it is past a packet, and then tell
 * libFuzzer's hook of the bytes compared only, which keeps its guidance. Built with -fno-builtin, so that
 * the compiler does not turn the loops back into calls of the functions they define. */
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* libFuzzer's hooks (compiler-rt include/sanitizer/common_interface_defs.h); NULL when not linked. */
void __sanitizer_weak_hook_strncmp(void *caller_pc, const char *s1, const char *s2, size_t n, int result)
    __attribute__((weak));
void __sanitizer_weak_hook_strncasecmp(void *caller_pc, const char *s1, const char *s2, size_t n, int result)
    __attribute__((weak));

/* ASCII case folding, as glibc's strncasecmp in the C locale the fuzz targets run in. */
static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* libFuzzer's hook type: the two strings, the bytes to look at and the comparison's result. */
typedef void hook_fn(void *caller_pc, const char *s1, const char *s2, size_t n, int result);

/* Compares at most n bytes of s1 and s2 as strncmp does (as strncasecmp when icase), then hands hook, when
 * linked, the bytes read from each string: up to and including the first difference or NUL. pc is the
 * caller of the public function. */
static int compare(const char *s1, const char *s2, size_t n, int icase, hook_fn *hook, void *pc)
{
	size_t read = n;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)s1[i], b = (unsigned char)s2[i];

		if (icase) {
			a = fold(a);
			b = fold(b);
		}
		if (a != b || a == '\0') {
			read = i + 1;
			r = (int)a - (int)b;
			break;
		}
	}
	if (hook != NULL)
		hook(pc, s1, s2, read, r);
	return r;
}

int strncmp(const char *s1, const char *s2, size_t n)
{
	return compare(s1, s2, n, 0, __sanitizer_weak_hook_strncmp, __builtin_return_address(0));
}

int strncasecmp(const char *s1, const char *s2, size_t n)
{
	return compare(s1, s2, n, 1, __sanitizer_weak_hook_strncasecmp, __builtin_return_address(0));
}
