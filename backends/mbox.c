/* The mbox backend: one file of messages, each after a "From " line.
 *
 * Format: a message starts at a line beginning "From " that opens the
 * file or follows an empty line (mboxo and mboxrd; Content-Length is not
 * trusted). The empty line before the next From_ line, and a final one
 * at the end of the file, belong to the format, not to the message.
 * Lines matching ^>+From  lose one ">" on the way out (mboxrd; for the
 * common mboxo files only ">From " occurs, and gets the same treatment).
 * LF and CRLF files, a missing last newline, an empty or missing file
 * (an empty mailbox) are all accepted.
 *
 * Locking: the dotlock and the fcntl lock (mbox_lock.c) are held only
 * while the file is scanned at login and while it is rewritten at QUIT,
 * so an MDA can deliver while a session is open; holding them for a
 * whole session would stall every delivery for up to the idle timeout
 * and invite MDAs to break the lock as stale. The session itself is
 * exclusive through flock(2) on the mailbox file: another onepop gets
 * [IN-USE], MDAs (which use fcntl and dotlocks on Debian) never see it.
 *
 * UIDL: X-UIDL, else a digest of the From_ line and header
 * (uidl_digest.h). Rewrite: mbox_rewrite.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mbox.h"
#include "uidl_digest.h"
#include "wire.h"

extern const struct backend_ops backend_mbox;

/* A quoted From_ line (mboxrd): ">", more ">"s, then "From ". */
static bool is_quoted_from(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] == '>')
		i++;
	return i > 0 && len - i >= 5 && memcmp(line + i, "From ", 5) == 0;
}

static bool is_blank(const char *line, size_t len)
{
	return (len == 1 && line[0] == '\n') || (len == 2 && line[0] == '\r' && line[1] == '\n');
}

static void mbox_close(struct mailbox *mb)
{
	struct mbox *m = (struct mbox *)mb;

	if (!m)
		return;
	if (m->rd)
		fclose(m->rd);
	free(m->line);
	mbox_lock_free(&m->lock);
	if (m->fd >= 0)
		close(m->fd);      /* releases the session flock */
	free(m->msgs);
	free(m->path);
	free(m);
}

/* Open path and take the session lock. A missing file is an empty
 * mailbox (fd stays -1). The file may be replaced by another session's
 * rewrite between open and flock: then the lock is on a dead inode, so
 * check and try again. */
static int open_locked(struct mbox *m)
{
	for (int tries = 0; tries < 5; tries++) {
		struct stat st, now;
		int fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			int r = S_ISREG(st.st_mode) ? -errno : -EINVAL;
			close(fd);
			return r;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int r = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
			close(fd);
			return r;
		}
		if (stat(m->path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino) {
			m->fd = fd;
			return 0;
		}
		close(fd);
	}
	return -EAGAIN;
}

static int mbox_open(const char *path, struct mailbox **ret_mb)
{
	struct mbox *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->base.ops = &backend_mbox;
	m->fd = -1;
	m->path = strdup(path);
	if (!m->path || mbox_lock_init(&m->lock, path) < 0) {   /* both: ENOMEM */
		r = -ENOMEM;
		goto fail;
	}
	if ((r = open_locked(m)) < 0)
		goto fail;
	*ret_mb = &m->base;
	return 0;
fail:
	mbox_close(&m->base);
	return r;
}

/* Close message i (its content ends at off); a preceding blank line,
 * when the next From_ line follows it, is the separator. */
static int end_message(struct mbox *m, struct msginfo *info, struct wire_size *ws,
                       struct uidl_digest *d, off_t end, size_t blank)
{
	struct mbox_msg *msg = &m->msgs[m->count];

	msg->end = end - (off_t)blank;
	/* The separator was fed to the size as a line: take it back. */
	if (blank)
		ws->octets -= 2;
	uidl_digest_end(d, msg->uidl);
	return wire_size_end(ws, &info->size);
}

static int grow(struct mbox *m, struct msginfo **info, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p = reallocarray(m->msgs, ncap, sizeof(*m->msgs));

	if (!p)
		return -ENOMEM;
	m->msgs = p;
	p = reallocarray(*info, ncap, sizeof(**info));
	if (!p)
		return -ENOMEM;
	*info = p;
	*cap = ncap;
	return 0;
}

/* Parse the whole file under the lock; records the messages, the size
 * seen and a digest of those bytes (the rewrite checks it). */
static int parse(struct mbox *m, FILE *f, struct msginfo **ret_info)
{
	struct msginfo *info = NULL;
	struct uidl_digest d;
	struct wire_size ws;
	size_t cap = 0, lcap = 0, prev_blank = 0;
	char *line = NULL;
	ssize_t n;
	off_t off = 0;
	bool in_msg = false;
	int r = 0;
	MD5_CTX all;

	MD5Init(&all);
	while ((n = getline(&line, &lcap, f)) > 0) {
		size_t len = (size_t)n;
		bool from = len >= 5 && memcmp(line, "From ", 5) == 0 &&
		            (off == 0 || prev_blank);

		MD5Update(&all, (unsigned char *)line, len);
		if (off == 0 && !from) {
			r = -EINVAL;        /* not an mbox */
			break;
		}
		if (from) {
			if (in_msg && (r = end_message(m, &info[m->count], &ws, &d, off, prev_blank)) < 0)
				break;
			if (in_msg)
				m->count++;
			if (m->count == cap && (r = grow(m, &info, &cap)) < 0)
				break;
			m->msgs[m->count].from = off;
			m->msgs[m->count].body = off + (off_t)len;
			wire_size_init(&ws);
			uidl_digest_init(&d);
			uidl_digest_raw(&d, line, len);
			in_msg = true;
		} else {
			const char *p = line;
			size_t plen = len;

			if (is_quoted_from(line, len)) {
				p++;
				plen--;
			}
			wire_size_feed(&ws, p, plen);
			uidl_digest_line(&d, p, plen);
		}
		prev_blank = is_blank(line, len) ? len : 0;
		off += (off_t)len;
	}
	if (n < 0 && ferror(f))
		r = -EIO;
	if (r == 0 && in_msg) {
		/* A last blank line is the final separator, as MDAs write it. */
		r = end_message(m, &info[m->count], &ws, &d, off, prev_blank);
		if (r == 0)
			m->count++;
	}
	free(line);
	if (r < 0) {
		free(info);
		return r;
	}
	m->scan_size = off;
	MD5Final(m->scan_md5, &all);
	*ret_info = info;
	return 0;
}

static int mbox_scan(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct mbox *m = (struct mbox *)mb;
	struct msginfo *info = NULL;
	FILE *f;
	int fd, r;

	if (m->fd < 0) {
		info = calloc(1, sizeof(*info));
		if (!info)
			return -ENOMEM;
		*ret_msgs = info;
		*ret_count = 0;
		return 0;
	}
	if ((r = mbox_lock_take(&m->lock, m->fd)) < 0)
		return r;
	fd = dup(m->fd);
	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		mbox_lock_release(&m->lock);
		return r;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		r = -errno;
	else
		r = parse(m, f, &info);
	fclose(f);
	mbox_lock_release(&m->lock);
	if (r == 0 && !info && !(info = calloc(1, sizeof(*info))))
		r = -ENOMEM;
	/* m->msgs moved while it grew: point at the UIDLs only now. */
	for (size_t i = 0; r == 0 && i < m->count; i++)
		info[i].uidl = m->msgs[i].uidl;
	if (r == 0)
		r = uidl_make_unique(info, m->count);
	if (r < 0) {
		free(info);
		return r;
	}
	*ret_msgs = info;
	*ret_count = m->count;
	return 0;
}

static int mbox_msg_open(struct mailbox *mb, size_t idx)
{
	struct mbox *m = (struct mbox *)mb;
	int fd;

	if (idx >= m->count || m->fd < 0)
		return -EINVAL;
	fd = dup(m->fd);
	if (fd < 0)
		return -errno;
	if (lseek(fd, m->msgs[idx].body, SEEK_SET) < 0 || !(m->rd = fdopen(fd, "r"))) {
		int r = -errno;
		close(fd);
		return r;
	}
	m->rd_left = m->msgs[idx].end - m->msgs[idx].body;
	m->line_len = m->line_pos = 0;
	return 0;
}

/* Next line of the open message, unquoted, in m->line. 0 at the end. */
static int next_line(struct mbox *m)
{
	ssize_t n;

	if (m->rd_left <= 0)
		return 0;
	n = getline(&m->line, &m->line_cap, m->rd);
	if (n <= 0)
		return ferror(m->rd) ? -EIO : 0;   /* shorter than at scan: stop */
	if (n > m->rd_left)
		n = m->rd_left;
	m->rd_left -= n;
	m->line_len = (size_t)n;
	m->line_pos = is_quoted_from(m->line, m->line_len) ? 1 : 0;
	return 1;
}

static ssize_t mbox_msg_read(struct mailbox *mb, void *buf, size_t len)
{
	struct mbox *m = (struct mbox *)mb;
	size_t out = 0;

	while (out < len) {
		size_t k;

		if (m->line_pos == m->line_len) {
			int r = next_line(m);
			if (r < 0)
				return r;
			if (r == 0)
				break;
			continue;
		}
		k = m->line_len - m->line_pos;
		if (k > len - out)
			k = len - out;
		memcpy((char *)buf + out, m->line + m->line_pos, k);
		m->line_pos += k;
		out += k;
	}
	return (ssize_t)out;
}

static void mbox_msg_close(struct mailbox *mb)
{
	struct mbox *m = (struct mbox *)mb;

	if (m->rd)
		fclose(m->rd);
	m->rd = NULL;
}

const struct backend_ops backend_mbox = {
	.name = "mbox",
	.default_mailbox = "/var/mail/%u",
	.privileged_group = "mail",
	.open = mbox_open,
	.scan = mbox_scan,
	.msg_open = mbox_msg_open,
	.msg_read = mbox_msg_read,
	.msg_close = mbox_msg_close,
	.commit = mbox_commit,
	.close = mbox_close,
};
