/* fmt.c: a fast path for the simplest snprintf formats (ISO C 7.21.6.5), exactly as glibc prints them.
 * nDPI 4.2 builds TLS fingerprints (JA3) with one snprintf call per cipher, extension and curve: about
 * 0.8 calls per packet on nDPI's test corpus, each ~800 instructions in glibc's general printf. */
#include "misport/fmt.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

enum { LEN_NONE, LEN_L, LEN_LL, LEN_Z };

struct spec {
	char conv;          /* '%', 'c', 's', 'd', 'i', 'u', 'x', 'X' */
	unsigned char len;  /* LEN_* */
	unsigned char pad2; /* "02": at least two digits, zero-padded */
};

/* Parses the conversion after a '%' at p into *sp. Returns the character after it, or NULL when the
 * conversion is not one fmt_fast_vsnprintf takes. */
static const char *parse_spec(const char *p, struct spec *sp)
{
	sp->len = LEN_NONE;
	sp->pad2 = 0;
	if (*p == '%') {
		sp->conv = '%';
		return p + 1;
	}
	if (p[0] == '0' && p[1] == '2') {
		sp->pad2 = 1;
		p += 2;
	}
	if (*p == 'l') {
		p++;
		sp->len = LEN_L;
		if (*p == 'l') {
			p++;
			sp->len = LEN_LL;
		}
	} else if (*p == 'z') {
		p++;
		sp->len = LEN_Z;
	}
	switch (*p) {
	case 'c':
	case 's':
		if (sp->len != LEN_NONE || sp->pad2)
			return NULL;
		break;
	case 'd':
	case 'i':
	case 'u':
		if (sp->pad2)
			return NULL;
		break;
	case 'x':
	case 'X':
		break;
	default:
		return NULL;
	}
	sp->conv = *p;
	return p + 1;
}

/* The output: s[0..lim) receives the first lim characters (lim = maxlen - 1, or 0); n counts them all. */
struct out {
	char *s;
	size_t lim, n;
};

static inline void put_c(struct out *o, char c)
{
	if (o->n < o->lim)
		o->s[o->n] = c;
	o->n++;
}

static void put(struct out *o, const char *p, size_t k)
{
	for (size_t i = 0; i < k; i++)
		put_c(o, p[i]);
}

static void put_str(struct out *o, const char *p)
{
	while (*p != '\0')
		put_c(o, *p++);
}

static void put_dec(struct out *o, unsigned long long v)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v != 0);
	put(o, buf + i, sizeof(buf) - i);
}

static void put_hex(struct out *o, unsigned long long v, int upper, int pad2)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = dig[v & 15u];
		v >>= 4;
	} while (v != 0);
	if (pad2 && i == sizeof(buf) - 1)
		buf[--i] = '0';
	put(o, buf + i, sizeof(buf) - i);
}

int fmt_fast_vsnprintf(char *s, size_t maxlen, const char *fmt, va_list ap)
{
	struct out o = {s, maxlen > 0 ? maxlen - 1 : 0, 0};
	struct spec sp = {0, 0, 0};
	const char *p;

	/* First pass: every conversion must be one this function takes, before any argument is read. */
	for (p = fmt; *p != '\0';) {
		if (*p++ != '%')
			continue;
		p = parse_spec(p, &sp);
		if (p == NULL)
			return FMT_NOT_HANDLED;
	}
	for (p = fmt; *p != '\0';) {
		if (*p != '%') {
			put_c(&o, *p++);
			continue;
		}
		p = parse_spec(p + 1, &sp);
		switch (sp.conv) {
		case '%':
			put_c(&o, '%');
			break;
		case 'c':
			put_c(&o, (char)(unsigned char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);

			put_str(&o, str != NULL ? str : "(null)");
			break;
		}
		case 'd':
		case 'i': {
			long long v;

			if (sp.len == LEN_L)
				v = va_arg(ap, long);
			else if (sp.len == LEN_LL)
				v = va_arg(ap, long long);
			else if (sp.len == LEN_Z)
				v = va_arg(ap, ssize_t);
			else
				v = va_arg(ap, int);
			if (v < 0) {
				put_c(&o, '-');
				put_dec(&o, 0ull - (unsigned long long)v);
			} else {
				put_dec(&o, (unsigned long long)v);
			}
			break;
		}
		default: { /* u, x, X */
			unsigned long long v;

			if (sp.len == LEN_L)
				v = va_arg(ap, unsigned long);
			else if (sp.len == LEN_LL)
				v = va_arg(ap, unsigned long long);
			else if (sp.len == LEN_Z)
				v = va_arg(ap, size_t);
			else
				v = va_arg(ap, unsigned int);
			if (sp.conv == 'u')
				put_dec(&o, v);
			else
				put_hex(&o, v, sp.conv == 'X', sp.pad2);
			break;
		}
		}
	}
	if (maxlen > 0)
		s[o.n < o.lim ? o.n : o.lim] = '\0';
	if (o.n > INT_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return (int)o.n;
}
