/* mbox: a message's Status header, the flags mutt, Pine and UW-IMAP
 * keep there. Reads a message's From_ line and header, finds its Status
 * flags, says which retrieved messages need R and O added, and writes a
 * header with them. A leaf of the backend: --expire at scan
 * (mbox_expire.c) asks it which messages were read, the rewrite at QUIT
 * (mbox_rewrite.c) has it mark the retrieved ones; it neither parses nor
 * rewrites the mailbox itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fdio.h"
#include "mbox.h"

/* Longest From_ line and header read for expiry or marking: past it a
 * message is left as it is. */
#define HEAD_MAX ((size_t)1024 * 1024)

int mbox_head_read(struct mbox *m, size_t i, off_t end, struct mbox_head *h)
{
	size_t cap = 4096, have = 0, scan = 0;
	off_t from = m->msgs[i].from;

	h->len = h->blank = 0;
	if (!(h->buf = malloc(cap)))
		return -ENOMEM;
	for (;;) {
		char *nl;
		ssize_t n;

		/* Look for a blank line among the complete lines read so far;
		 * the first line (From_) never is one. */
		while ((nl = memchr(h->buf + scan, '\n', have - scan))) {
			size_t ll = (size_t)(nl - (h->buf + scan)) + 1;

			if (scan > 0 && (ll == 1 || (ll == 2 && h->buf[scan] == '\r'))) {
				h->len = scan;
				h->blank = ll;
				return 0;
			}
			scan += ll;
		}
		if (have == cap) {
			char *p = cap < HEAD_MAX ? realloc(h->buf, cap * 2) : NULL;

			if (!p)
				break;
			h->buf = p;
			cap *= 2;
		}
		if ((off_t)have >= end - from)
			break;
		n = pread(m->fd, h->buf + have, (size_t)(end - from) - have < cap - have
		          ? (size_t)(end - from) - have : cap - have, from + (off_t)have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;
			free(h->buf);
			h->buf = NULL;
			return r;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	h->len = have;      /* no blank line: nothing to mark */
	return 0;
}

int mbox_status_find(const struct mbox_head *h, size_t *off, size_t *len,
                     char flags[MBOX_STATUS_MAX + 1])
{
	const char *p = memchr(h->buf, '\n', h->len), *end = h->buf + h->len;

	flags[0] = '\0';
	for (p = p ? p + 1 : end; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl + 1 : end;
		size_t n = 0;
		bool cut = false;

		if (e - p > 7 && strncasecmp(p, "Status:", 7) == 0) {
			for (const char *v = p + 7; v < e; v++) {
				if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
					continue;
				if (n < MBOX_STATUS_MAX)
					flags[n++] = *v;
				else
					cut = true;
			}
			flags[n] = '\0';
			*off = (size_t)(p - h->buf);
			*len = (size_t)(e - p);
			return cut ? 2 : 1;
		}
		p = e;
	}
	return 0;
}

bool *mbox_marks(struct mbox *m, const bool *retrieved, const bool *deleted, size_t count)
{
	bool *mark = calloc(m->count ? m->count : 1, sizeof(*mark));

	for (size_t i = 0; mark && i < count && i < m->count; i++) {
		struct mbox_head h;
		char flags[MBOX_STATUS_MAX + 1];
		size_t off, len;
		int has;

		if (deleted[i] || !retrieved[i] || mbox_head_read(m, i, mbox_msg_end(m, i), &h) < 0)
			continue;
		has = mbox_status_find(&h, &off, &len, flags);
		mark[i] = h.blank && has < 2 && (!strchr(flags, 'R') || !strchr(flags, 'O'));
		free(h.buf);
	}
	return mark;
}

int mbox_write_marked_head(struct mbox *m, int out, size_t i, off_t end, off_t *ret_rest)
{
	struct mbox_head h;
	char flags[MBOX_STATUS_MAX + 1], rest[MBOX_STATUS_MAX + 1], line[MBOX_STATUS_MAX + 16];
	size_t off, len, n = 0;
	int has, r;

	if ((r = mbox_head_read(m, i, end, &h)) < 0)
		return r;
	has = h.blank ? mbox_status_find(&h, &off, &len, flags) : 2;
	if (has == 2) {
		free(h.buf);
		*ret_rest = m->msgs[i].from;   /* the whole message, as it is */
		return 0;
	}
	/* R and O first, as mail readers write them, then the others kept. */
	for (const char *f = flags; *f; f++)
		if (*f != 'R' && *f != 'O')
			rest[n++] = *f;
	rest[n] = '\0';
	/* The header's own line ending, that of its blank line. */
	n = (size_t)snprintf(line, sizeof(line), "Status: RO%s%s", rest,
	                     h.blank == 2 ? "\r\n" : "\n");
	if (!has) {
		off = h.len;   /* before the blank line */
		len = 0;
	}
	r = fd_write_all(out, h.buf, off);
	if (r == 0)
		r = fd_write_all(out, line, n);
	if (r == 0)
		r = fd_write_all(out, h.buf + off + len, h.len - off - len);
	if (r == 0)
		*ret_rest = m->msgs[i].from + (off_t)h.len;
	free(h.buf);
	return r;
}
