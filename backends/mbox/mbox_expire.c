/* mbox: --expire (RFC 2449 §6.5).
 *
 * Retrieved: a message sent whole by RETR gets R (read) and O (old) in
 * its Status header at UPDATE, the flags mutt, Pine and UW-IMAP keep
 * there, merged with those it has, in the crash-safe rewrite the commit
 * does anyway. Status is left out of the UIDL digest (uidl_digest.h), so
 * the UIDL stays. A message whose Status has R, from onepop or from a
 * mail reader, counts as retrieved (as the Maildir S flag does).
 *
 * Delivery time: the date of the From_ line ("From SENDER Www Mmm dd
 * hh:mm:ss yyyy", asctime(3) as MDAs write it, in local time). A message
 * whose date cannot be read is never expired: what cannot be dated
 * cannot be said to be old (the file's mtime says when the last message
 * came, not this one).
 *
 * Expiry runs in scan, under the locks, after the file was parsed: the
 * expired messages are dropped by the same rewrite as at QUIT, and the
 * session goes on with the new file (mbox_replace), parsed again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "mbox.h"

/* Longest From_ line and header read for expiry or marking: past it a
 * message is left as it is. */
#define HEAD_MAX ((size_t)1024 * 1024)
/* Most Status flags kept; a longer value is not ours to rewrite. */
#define STATUS_MAX 32

/* The From_ line and header of a message: buf[0, len) is [from, end of
 * the header); the blank line that ends it starts at buf[len] and is
 * blank octets long (0: none found, the header is not complete). */
struct head {
	char *buf;
	size_t len, blank;
};

static int read_head(struct mbox *m, size_t i, off_t end, struct head *h)
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

/* The first Status header in h: its offset and length (with its line
 * ending) in *off and *len, and its flags (value without white space).
 * 0 when there is none, 1, or 2 when the flags did not fit (cut). */
static int find_status(const struct head *h, size_t *off, size_t *len,
                       char flags[STATUS_MAX + 1])
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
				if (n < STATUS_MAX)
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

/* The From_ line's date as seconds since the epoch, or -1 when it cannot
 * be read. The sender may hold anything but a newline: try the date at
 * each space after "From ". */
static int64_t from_time(const struct head *h)
{
	static const char *const formats[] = {
		"%a %b %d %H:%M:%S %Y", "%a %b %d %H:%M:%S %Z %Y", "%a %b %d %H:%M %Y", NULL,
	};
	const char *nl = memchr(h->buf, '\n', h->len);
	size_t n = nl ? (size_t)(nl - h->buf) : h->len;
	char line[512];

	if (n < 5 || n >= sizeof(line))
		return -1;
	memcpy(line, h->buf, n);
	line[n] = '\0';
	for (char *p = strchr(line + 5, ' '); p; p = strchr(p + 1, ' ')) {
		for (int f = 0; formats[f]; f++) {
			struct tm tm = { .tm_isdst = -1 };
			const char *rest = strptime(p + 1, formats[f], &tm);
			time_t t;

			/* What may follow the date: a zone, "remote from HOST". */
			if (!rest || (*rest && *rest != ' ' && *rest != '\r'))
				continue;
			tm.tm_isdst = -1;
			if ((t = mktime(&tm)) == (time_t)-1)
				continue;
			return (int64_t)t;
		}
	}
	return -1;
}

static off_t msg_end(const struct mbox *m, size_t i)
{
	return i + 1 < m->count ? m->msgs[i + 1].from : m->scan_size;
}

int mbox_expire_run(struct mbox *m, unsigned days, int64_t now, struct msginfo **ret_info,
                    size_t *ret_removed)
{
	const int64_t age = (int64_t)days * 86400;
	bool *gone = calloc(m->count ? m->count : 1, sizeof(*gone));
	size_t removed = 0;
	int r = 0, fd = -1;

	if (!gone)
		return -ENOMEM;
	for (size_t i = 0; i < m->count; i++) {
		struct head h;
		char flags[STATUS_MAX + 1];
		size_t off, len;
		int64_t t;

		if ((r = read_head(m, i, msg_end(m, i), &h)) < 0)
			break;
		if (find_status(&h, &off, &len, flags) && strchr(flags, 'R') &&
		    (t = from_time(&h)) >= 0 && t <= now && now - t >= age) {
			gone[i] = true;
			removed++;
		}
		free(h.buf);
	}
	if (r == 0 && removed)
		r = mbox_replace(m, gone, NULL, &fd);
	free(gone);
	if (r < 0 && fd >= 0)
		close(fd);     /* in place, but not durable: the session fails */
	if (r < 0 || !removed)
		return r;
	/* The new file is ours now; the old one (and its locks) goes. */
	close(m->fd);
	m->fd = fd;
	m->lock.fd = fd;
	free(*ret_info);
	*ret_info = NULL;
	*ret_removed = removed;
	return mbox_parse(m, -1, ret_info);
}

bool *mbox_marks(struct mbox *m, const bool *retrieved, const bool *deleted, size_t count)
{
	bool *mark = calloc(m->count ? m->count : 1, sizeof(*mark));

	for (size_t i = 0; mark && i < count && i < m->count; i++) {
		struct head h;
		char flags[STATUS_MAX + 1];
		size_t off, len;
		int has;

		if (deleted[i] || !retrieved[i] || read_head(m, i, msg_end(m, i), &h) < 0)
			continue;
		has = find_status(&h, &off, &len, flags);
		mark[i] = h.blank && has < 2 && (!strchr(flags, 'R') || !strchr(flags, 'O'));
		free(h.buf);
	}
	return mark;
}

int mbox_copy_marked(struct mbox *m, int out, size_t i, off_t end)
{
	struct head h;
	char flags[STATUS_MAX + 1], rest[STATUS_MAX + 1], line[STATUS_MAX + 16];
	size_t off, len, n = 0;
	int has, r;

	if ((r = read_head(m, i, end, &h)) < 0)
		return r;
	has = h.blank ? find_status(&h, &off, &len, flags) : 2;
	if (has == 2) {
		free(h.buf);
		return mbox_copy_range(m, out, m->msgs[i].from, end);
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
	free(h.buf);
	if (r == 0)
		r = mbox_copy_range(m, out, m->msgs[i].from + (off_t)h.len, end);
	return r;
}
