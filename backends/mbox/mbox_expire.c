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
 * session goes on with the new file (mbox_replace), parsed again.
 * Reading the Status flags, and marking at QUIT: mbox_status.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mbox.h"

/* The From_ line's date as seconds since the epoch, or -1 when it cannot
 * be read. The sender may hold anything but a newline: try the date at
 * each space after "From ". */
static int64_t from_time(const struct mbox_head *h)
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
		struct mbox_head h;
		char flags[MBOX_STATUS_MAX + 1];
		size_t off, len;
		int64_t t;

		if ((r = mbox_head_read(m, i, mbox_msg_end(m, i), &h)) < 0)
			break;
		if (mbox_status_find(&h, &off, &len, flags) && strchr(flags, 'R') &&
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

