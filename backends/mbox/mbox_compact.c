/* The mbox UPDATE on a full file system: the crash-safe rewrite
 * (mbox_rewrite.c) needs room for a second copy of the mailbox, which a
 * full disk does not have, and deleting is how the user frees it. So the
 * kept messages are moved down over the deleted ones within the file and
 * the file is cut short. Each byte is
 * read before anything is written over it, so a crash in the middle
 * loses no message; it can leave one message twice, or a cut copy of
 * one, which the next scan lists as messages. Status marks (--expire)
 * are not added here. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onepop_limits.h"
#include "mbox.h"

/* Move [start, end) of fd down to *dst (*dst <= start); end < 0: to EOF. */
static int move_down(int fd, off_t start, off_t end, off_t *dst)
{
	static char buf[MSG_CHUNK];

	while (end < 0 || start < end) {
		size_t want = sizeof(buf), done = 0;
		ssize_t n;

		if (end >= 0 && (off_t)want > end - start)
			want = (size_t)(end - start);
		n = pread(fd, buf, want, start);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return end < 0 ? 0 : -ESTALE;
		while (done < (size_t)n) {
			ssize_t w = *dst == start + (off_t)done
			            ? (ssize_t)((size_t)n - done)   /* already in place */
			            : pwrite(fd, buf + done, (size_t)n - done, *dst);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			done += (size_t)w;
			*dst += w;
		}
		start += n;
	}
	return 0;
}

int mbox_compact(struct mbox *m, const bool *deleted)
{
	struct stat st, now;
	off_t dst = -1;
	int fd, r = 0;

	if ((r = mbox_parse(m, m->scan_size, NULL)) < 0)
		return r;
	fd = open(m->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &now) < 0 || fstat(m->fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		r = -ESTALE;
		goto out;
	}
	for (size_t i = 0; i < m->count && r == 0; i++) {
		off_t end = mbox_msg_end(m, i);

		if (deleted[i]) {
			if (dst < 0)
				dst = m->msgs[i].from;
			continue;
		}
		if (dst >= 0)
			r = move_down(fd, m->msgs[i].from, end, &dst);
	}
	if (r == 0 && dst >= 0)
		r = move_down(fd, m->scan_size, -1, &dst);
	if (r == 0 && dst >= 0 && ftruncate(fd, dst) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
out:
	close(fd);
	return r;
}
