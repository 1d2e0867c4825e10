/* The intent record of a directory store's UPDATE (commit_intent.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "atomic_file.h"
#include "commit_intent.h"
#include "fdio.h"

#define INTENT_MAGIC "onepop-intent 1"

static void flush_buf(struct intent_writer *w)
{
	if (!w->err && w->used)
		w->err = fd_write_all(w->fd, w->buf, w->used);
	w->used = 0;
}

static void put(struct intent_writer *w, const char *s, size_t len)
{
	if (w->used + len > sizeof(w->buf))
		flush_buf(w);
	if (len > sizeof(w->buf)) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	memcpy(w->buf + w->used, s, len);
	w->used += len;
}

int intent_begin(struct intent_writer *w, int dir_fd, const char *name)
{
	w->fd = -1;
	w->dir_fd = dir_fd;
	w->name = name;
	w->err = 0;
	w->lines = w->used = 0;
	if ((size_t)snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", name) >= sizeof(w->tmp))
		return -ENAMETOOLONG;
	/* Ours, under the session lock: a leftover is from a killed session. */
	(void)unlinkat(dir_fd, w->tmp, 0);
	w->fd = openat(dir_fd, w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return -errno;
	put(w, INTENT_MAGIC "\n", sizeof(INTENT_MAGIC));
	return 0;
}

void intent_line(struct intent_writer *w, const char *line)
{
	size_t len = strlen(line);

	if (len > INTENT_LINE_MAX || memchr(line, '\n', len)) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	put(w, line, len);
	put(w, "\n", 1);
	w->lines++;
}

void intent_abort(struct intent_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	(void)unlinkat(w->dir_fd, w->tmp, 0);
}

int intent_commit(struct intent_writer *w)
{
	char end[48];
	int n = snprintf(end, sizeof(end), "end %zu\n", w->lines);
	int r;

	put(w, end, (size_t)n);
	flush_buf(w);
	if ((r = w->err) < 0) {
		intent_abort(w);
		return r;
	}
	/* The file and the rename durable before the first unlink: after a
	 * crash, the record must be there to finish what was begun. The
	 * directory is synced here, not by ATOMIC_SYNC_FILE_DIR: if that
	 * fails the UPDATE is refused, so the record in place must go. */
	r = atomic_file_commit(w->dir_fd, w->fd, NULL, w->tmp, w->name, ATOMIC_SYNC_FILE);
	w->fd = -1;
	if (r < 0)
		return r;
	if ((r = atomic_file_sync_dir(w->dir_fd)) < 0)
		intent_remove(w->dir_fd, w->name);
	return r;
}

bool intent_unavailable(int err)
{
	return err == -ENOSPC || err == -EDQUOT || err == -EACCES || err == -EPERM;
}

bool intent_store_full(int dir_fd)
{
	struct statvfs sv;

	return fstatvfs(dir_fd, &sv) == 0 && (sv.f_bavail == 0 || (sv.f_files && sv.f_favail == 0));
}

/* The line count of a complete record read from f (positioned after the
 * magic line), or -EBADMSG. */
static long long record_lines(FILE *f)
{
	char line[INTENT_LINE_MAX + 2];
	long long count = 0, said;

	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		char extra;

		if (!len || line[len - 1] != '\n')
			return -EBADMSG;
		if (sscanf(line, "end %lld%c", &said, &extra) == 2 && extra == '\n')
			return fgetc(f) == EOF && said == count ? count : -EBADMSG;
		count++;
	}
	return -EBADMSG;
}

int intent_replay(int dir_fd, const char *name, int (*fn)(char *line, void *arg), void *arg)
{
	char line[INTENT_LINE_MAX + 2];
	long long count;
	FILE *f;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return -ENOMEM;
	}
	if (!fgets(line, sizeof(line), f) || strcmp(line, INTENT_MAGIC "\n") != 0 ||
	    (count = record_lines(f)) < 0) {
		/* Never written whole by us (a record is renamed into place
		 * complete): nothing in it can be trusted. */
		fclose(f);
		intent_remove(dir_fd, name);
		return -EBADMSG;
	}
	rewind(f);
	if (!fgets(line, sizeof(line), f))
		r = -EIO;
	for (long long i = 0; i < count && r == 0; i++) {
		if (!fgets(line, sizeof(line), f)) {
			r = -EIO;
			break;
		}
		line[strlen(line) - 1] = '\0';
		r = fn(line, arg);
	}
	fclose(f);
	return r < 0 ? r : 1;
}

void intent_remove(int dir_fd, const char *name)
{
	(void)unlinkat(dir_fd, name, 0);
}
