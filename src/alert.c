/* alert.c: helpers for the neutral alert record (metadata list). */
#include "misport/alert.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_trunc(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int alert_meta_add(struct mp_alert *a, const char *key, const char *value)
{
	struct mp_alert_meta *m;

	if (a->n_meta >= MP_ALERT_MAX_META)
		return -1;
	m = &a->meta[a->n_meta++];
	copy_trunc(m->key, sizeof(m->key), key);
	copy_trunc(m->value, sizeof(m->value), value != NULL ? value : "");
	return 0;
}

int alert_meta_addf(struct mp_alert *a, const char *key, const char *fmt, ...)
{
	char buf[MP_ALERT_META_VALUE];
	va_list ap;

	va_start(ap, fmt);
	/* Truncation is acceptable here: values are bounded by design. */
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return alert_meta_add(a, key, buf);
}

const char *alert_meta_get(const struct mp_alert *a, const char *key)
{
	for (size_t i = 0; i < a->n_meta; i++)
		if (strcmp(a->meta[i].key, key) == 0)
			return a->meta[i].value;
	return NULL;
}
