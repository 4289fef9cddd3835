/* test_textfile.c: the bounded reader of rule and registry files (textfile.c) and its field helpers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "misport/textfile.h"

/* Writes len bytes to a fresh temporary file; returns its path (static). */
static const char *temp_file(const char *bytes, size_t len)
{
	static char path[64];
	FILE *fp;

	snprintf(path, sizeof(path), "/tmp/misport-test-textfile-%d", (int)getpid());
	fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(bytes, 1, len, fp), len);
	fclose(fp);
	return path;
}

/* Lines come back without their newline or a CR before it, numbered from 1, after a byte order mark;
 * a last line without a newline still counts. */
Test(textfile, lines_are_cut_and_numbered)
{
	static const char text[] = "\xef\xbb\xbf# header\r\nfirst line\n\nlast";
	const char *path = temp_file(text, sizeof(text) - 1);
	struct tf_file f;
	char err[256], *line;

	cr_assert_eq(tf_open(&f, path, 1024, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tf_next_line(&f, 100, &line, err, sizeof(err)), 1);
	cr_assert_str_eq(line, "# header");
	cr_assert_eq(f.line, 1);
	cr_assert_eq(tf_next_line(&f, 100, &line, err, sizeof(err)), 1);
	cr_assert_str_eq(line, "first line");
	cr_assert_eq(tf_next_line(&f, 100, &line, err, sizeof(err)), 1);
	cr_assert_str_eq(line, "");
	cr_assert_eq(tf_next_line(&f, 100, &line, err, sizeof(err)), 1);
	cr_assert_str_eq(line, "last");
	cr_assert_eq(f.line, 4);
	cr_assert_eq(tf_next_line(&f, 100, &line, err, sizeof(err)), 0);
	tf_close(&f);
	tf_close(&f); /* safe twice */
	unlink(path);
}

/* Limits refuse with "path: reason" or "path:line: reason": a file over its size cap, a NUL byte, a
 * missing file, a line over its length cap. */
Test(textfile, limits_are_errors_with_file_and_line)
{
	static const char nul[] = "a\0b\n";
	struct tf_file f;
	char err[256], *line;
	const char *path = temp_file("0123456789\n", 11);

	cr_assert_eq(tf_open(&f, path, 10, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, path), "%s", err);
	cr_assert_eq(tf_open(&f, path, 11, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(tf_next_line(&f, 9, &line, err, sizeof(err)), -1);
	cr_assert(strncmp(err, path, strlen(path)) == 0 && strncmp(err + strlen(path), ":1:", 3) == 0, "%s",
		  err);
	tf_close(&f);
	path = temp_file(nul, sizeof(nul) - 1);
	cr_assert_eq(tf_open(&f, path, 100, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, path), "%s", err);
	unlink(path);
	cr_assert_eq(tf_open(&f, "/nonexistent/rules.conf", 100, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/rules.conf"), "%s", err);
}

Test(textfile, error_format)
{
	char err[64];

	cr_assert_eq(tf_error(err, sizeof(err), "a.conf", 7, "bad %s", "word"), -1);
	cr_assert_str_eq(err, "a.conf:7: bad word");
	cr_assert_eq(tf_error(err, sizeof(err), "a.conf", 0, "empty"), -1);
	cr_assert_str_eq(err, "a.conf: empty");
}

/* Fields: split at blank runs or at a separator, with a count that says when more followed. */
Test(textfile, splitting_and_tokens)
{
	char a[] = "  one\t two   three ", b[] = "x y z w", c[] = "a,,b", d[] = "first  second third";
	char *fields[3], *cur = d, *w;

	cr_assert_eq(tf_split_blanks(a, fields, 3), 3);
	cr_assert_str_eq(fields[0], "one");
	cr_assert_str_eq(fields[1], "two");
	cr_assert_str_eq(fields[2], "three");
	cr_assert_eq(tf_split_blanks(b, fields, 3), 4, "more fields than max: max + 1");
	cr_assert_eq(tf_split_char(c, ',', fields, 3), 3);
	cr_assert_str_eq(fields[1], "");
	cr_assert_str_eq(fields[2], "b");
	w = tf_token(&cur);
	cr_assert_str_eq(w, "first");
	cr_assert_str_eq(cur, "second third");
	w = tf_token(&cur);
	cr_assert_str_eq(w, "second");
	w = tf_token(&cur);
	cr_assert_str_eq(w, "third");
	cr_assert_null(tf_token(&cur));
}

Test(textfile, trim_and_comments)
{
	char a[] = "  value # note  ", b[] = "\t# only a comment", c[] = " keep # this ";

	cr_assert_str_eq(tf_trim(a, 1), "value");
	cr_assert_str_eq(tf_trim(b, 1), "");
	cr_assert_str_eq(tf_trim(c, 0), "keep # this");
}

/* Numbers: digits only, within the maximum; port ranges N or LO-HI within 0..65535, LO <= HI. */
Test(textfile, numbers_and_port_ranges)
{
	unsigned long v;
	uint16_t lo, hi;

	cr_assert_eq(tf_parse_uint("65535", 65535, &v), 0);
	cr_assert_eq(v, 65535);
	cr_assert_eq(tf_parse_uint("65536", 65535, &v), -1);
	cr_assert_eq(tf_parse_uint("-1", 65535, &v), -1);
	cr_assert_eq(tf_parse_uint(" 1", 65535, &v), -1);
	cr_assert_eq(tf_parse_uint("", 65535, &v), -1);
	cr_assert_eq(tf_parse_uint("99999999999999999999999", ~0ul, &v), -1, "overflow");
	cr_assert_eq(tf_parse_port_range("598", &lo, &hi), 0);
	cr_assert(lo == 598 && hi == 598);
	cr_assert_eq(tf_parse_port_range("3000-3099", &lo, &hi), 0);
	cr_assert(lo == 3000 && hi == 3099);
	cr_assert_eq(tf_parse_port_range("10-9", &lo, &hi), -1);
	cr_assert_eq(tf_parse_port_range("1-70000", &lo, &hi), -1);
	cr_assert_eq(tf_parse_port_range("1-", &lo, &hi), -1);
}

Test(textfile, copy_reports_truncation)
{
	char dst[4];

	cr_assert_eq(tf_copy(dst, sizeof(dst), "abc"), 0);
	cr_assert_str_eq(dst, "abc");
	cr_assert_eq(tf_copy(dst, sizeof(dst), "abcd"), -1);
	cr_assert_str_eq(dst, "abc");
}
