/* fuzz_common.h: helpers shared by the libFuzzer targets (header-only; each target is one program). */
#ifndef MISPORT_FUZZ_COMMON_H
#define MISPORT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Stops the run with a message: a broken property is a finding, like a crash. */
#define FUZZ_CHECK(cond, ...)                                                                                \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fuzz property violated at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                                        \
			fputc('\n', stderr);                                                                 \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

/* An in-memory file (memfd) whose contents are replaced per input; loaders open it by path. */
struct memfile {
	int fd;
	char path[64];
};

static inline int memfile_init(struct memfile *m, const char *name)
{
	m->fd = memfd_create(name, 0);
	if (m->fd < 0)
		return -1;
	if (snprintf(m->path, sizeof(m->path), "/proc/self/fd/%d", m->fd) >= (int)sizeof(m->path))
		return -1;
	return 0;
}

/* Replaces the file's contents with data[0..size). Returns 0 or -1. */
static inline int memfile_set(struct memfile *m, const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (ftruncate(m->fd, 0) != 0)
		return -1;
	while (off < size) {
		ssize_t w = pwrite(m->fd, data + off, size - off, (off_t)off);

		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

#endif
