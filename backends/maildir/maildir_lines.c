/* The block line reader of the Maildir size cache and UIDL ledger. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "maildir_lines.h"

void maildir_lines_init(struct maildir_lines *r, int fd)
{
	r->fd = fd;
	r->start = r->end = 0;
	r->eof = r->bad = false;
}

/* Read more after the unread part; false at the end or on an error. */
static bool lines_fill(struct maildir_lines *r)
{
	ssize_t n;

	if (r->eof)
		return false;
	memmove(r->buf, r->buf + r->start, r->end - r->start);
	r->end -= r->start;
	r->start = 0;
	do
		n = read(r->fd, r->buf + r->end, sizeof(r->buf) - r->end);
	while (n < 0 && errno == EINTR);
	/* A NUL anywhere makes the file invalid for both its readers:
	 * checked once a block rather than once a line. */
	if (n <= 0 || memchr(r->buf + r->end, '\0', (size_t)n)) {
		r->eof = true;
		r->bad = n > 0;
		return false;
	}
	r->end += (size_t)n;
	return true;
}

int maildir_lines_next(struct maildir_lines *r, char **ret, size_t size)
{
	size_t max = size < sizeof(r->buf) ? size : sizeof(r->buf);

	for (;;) {
		char *p = r->buf + r->start, *nl = memchr(p, '\n', r->end - r->start);
		size_t n;

		if (!nl) {
			/* fgets(size) would stop after size - 1 octets without LF */
			if (r->end - r->start >= max - 1 || !lines_fill(r))
				return -EBADMSG;
			continue;
		}
		n = (size_t)(nl - p);
		if (n + 2 > max)
			return -EBADMSG;
		*nl = '\0';
		*ret = p;
		r->start += n + 1;
		return (int)n;
	}
}

bool maildir_lines_end(struct maildir_lines *r)
{
	return r->start == r->end && !lines_fill(r) && !r->bad;
}
