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
 * (uidl_digest.h); with --uidl-format=popa3d, popa3d's (uidl_popa3d.h).
 * Parsing, and why the rewrite needs no whole-file digest from the scan:
 * mbox_parse.c. Rewrite: mbox_rewrite.c. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mbox.h"
#include "uidl_digest.h"

extern const struct backend_ops backend_mbox;

/* Of the --uidl-format schemes, x-uidl is what mbox does anyway (qpopper
 * serves mbox spools) and popa3d is the other mbox server's; the rest
 * name files of a Maildir. */
static const char *const uidl_formats[] = { "x-uidl", "popa3d", NULL };

/* Give up the session lock (at QUIT, before the reply, or at close). */
static void mbox_release(struct mailbox *mb)
{
	struct mbox *m = (struct mbox *)mb;

	/* The record is the user's own file (made without the mail group). */
	if (m->login_name)
		login_delay_end(m->session, m->dir_fd, m->login_name, &m->login, m->count);
	if (m->fd >= 0 && !m->session->readonly)
		(void)flock(m->fd, LOCK_UN);
}

static void mbox_close(struct mailbox *mb)
{
	struct mbox *m = (struct mbox *)mb;

	if (!m)
		return;
	mbox_release(mb);
	if (m->dir_fd >= 0)
		close(m->dir_fd);
	free(m->login_name);
	if (m->rd)
		fclose(m->rd);
	free(m->buf);
	mbox_lock_free(&m->lock);
	if (m->fd >= 0)
		close(m->fd);      /* releases the session flock */
	free(m->msgs);
	free(m->path);
	free(m);
}

/* Open path and, with lock, take the session lock. A missing file is an empty
 * mailbox (fd stays -1). The file may be replaced by another session's
 * rewrite between open and flock: then the lock is on a dead inode, so
 * check and try again. */
static int open_locked(struct mbox *m, bool lock)
{
	for (int tries = 0; tries < MBOX_OPEN_TRIES; tries++) {
		struct stat st, now;
		/* O_NONBLOCK: a FIFO at the path must not hang the session
		 * before the type check refuses it; regular files ignore it. */
		int fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			int r = S_ISREG(st.st_mode) ? -errno : -EINVAL;
			close(fd);
			return r;
		}
		if (!lock) {
			m->fd = fd;
			return 0;
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

/* --login-delay: the record is PATH.onepop-login, beside the mailbox
 * as its dotlock is, and, like the session, guarded by the flock on the
 * mailbox. It is written with the user's own credentials, never the kept
 * group: only the dotlock and the rewrite of the mailbox itself may use
 * that (in a root:mail 2775 spool the user cannot keep a record, and
 * --login-delay fails open there, as for any record it cannot write). */
static int login_begin(struct mbox *m)
{
	const char *base = strrchr(m->path, '/');
	char *copy;
	int r;

	if (m->session->readonly || !m->session->config->login_delay)
		return 0;
	if (!(copy = strdup(m->path)) ||
	    asprintf(&m->login_name, "%s.onepop-login", base ? base + 1 : m->path) < 0) {
		m->login_name = NULL;
		free(copy);
		return -ENOMEM;
	}
	m->dir_fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (m->dir_fd < 0)
		return -errno;
	r = login_delay_begin(m->session, m->report, m->dir_fd, m->login_name, &m->login);
	return r;
}

static int mbox_open(const char *path, const struct backend_session *session,
                     struct backend_report *report, struct mailbox **ret_mb)
{
	const char *fmt = session->config->uidl_format;
	struct mbox *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->base.ops = &backend_mbox;
	m->session = session;
	m->report = report;
	m->fd = m->dir_fd = -1;
	m->uidl_popa3d = fmt && !strcmp(fmt, "popa3d");
	m->path = strdup(path);
	if (!m->path || mbox_lock_init(&m->lock, path) < 0) {   /* both: ENOMEM */
		r = -ENOMEM;
		goto fail;
	}
	/* A dry run (--scan) takes no lock and writes nothing, not even a
	 * dotlock: a snapshot, as a session would see it now. */
	if ((r = open_locked(m, !session->readonly)) < 0 || (r = login_begin(m)) < 0)
		goto fail;
	*ret_mb = &m->base;
	return 0;
fail:
	mbox_close(&m->base);
	return r;
}

static int mbox_scan(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct mbox *m = (struct mbox *)mb;
	struct msginfo *info = NULL;
	int r;

	if (m->fd < 0) {
		info = calloc(1, sizeof(*info));
		if (!info)
			return -ENOMEM;
		*ret_msgs = info;
		*ret_count = 0;
		return 0;
	}
	if (!m->session->readonly && (r = mbox_lock_take(&m->lock, m->fd)) < 0)
		return r;
	if (m->lock.no_dotlock)
		m->report->store_full = true;
	r = mbox_parse(m, -1, &info);
	/* --expire: before the list is built, so the expired are not in it. */
	if (r == 0 && !m->session->readonly && m->session->config->expire)
		r = mbox_expire_run(m, m->session->config->expire_days, (int64_t)time(NULL), &info,
		                    &m->report->expired);
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
	if (!m->buf && !(m->buf = malloc(MBOX_READ_BUF))) {
		fclose(m->rd);
		m->rd = NULL;
		return -ENOMEM;
	}
	m->rd_left = m->msgs[idx].end - m->msgs[idx].body;
	m->buf_start = m->buf_end = 0;
	m->line_start = true;
	m->line_len = m->line_pos = 0;
	return 0;
}

/* Read more of the message into buf, after what is there. */
static int fill(struct mbox *m)
{
	size_t want = MBOX_READ_BUF - m->buf_end, n;

	if ((off_t)want > m->rd_left)
		want = (size_t)m->rd_left;
	if (want == 0)
		return 0;
	n = fread(m->buf + m->buf_end, 1, want, m->rd);
	if (n == 0)
		return ferror(m->rd) ? -EIO : 0;   /* shorter than at scan: stop */
	m->buf_end += n;
	m->rd_left -= (off_t)n;
	return 1;
}

/* Next line of the open message, or part of a long one, unquoted, in
 * m->line. 0 at the end. */
static int next_line(struct mbox *m)
{
	const char *p, *lf;
	size_t have;
	int r;

	for (;;) {
		p = m->buf + m->buf_start;
		have = m->buf_end - m->buf_start;
		lf = memchr(p, '\n', have);
		/* The start of a line must be seen far enough to tell a quoted
		 * From_ line (or whole); a part needs just some octets. */
		if (lf || (have > 0 && (!m->line_start || have > MBOX_QUOTE_MAX + sizeof("From ") - 1)) ||
		    (have > 0 && m->rd_left == 0))
			break;
		if (m->buf_start > 0) {
			memmove(m->buf, p, have);
			m->buf_start = 0;
			m->buf_end = have;
		}
		if ((r = fill(m)) < 0)
			return r;
		if (r == 0 && have == 0)
			return 0;
		if (r == 0)
			break;
	}
	m->line = p;
	m->line_len = lf ? (size_t)(lf - p) + 1 : have;
	m->line_pos = m->line_start && mbox_is_quoted_from(p, m->line_len) ? 1 : 0;
	m->buf_start += m->line_len;
	m->line_start = lf != NULL;
	return 1;
}

/* Next run of the open message in m->line: all of what is buffered up
 * to the next line that starts with '>', which only the unquoting can
 * change; such a line itself goes through next_line. 0 at the end. The
 * RETR of a large message then copies runs, not lines (issue #18). */
static int next_run(struct mbox *m)
{
	const char *p, *end, *s, *gt;
	int r;

	if (m->buf_start == m->buf_end) {
		m->buf_start = m->buf_end = 0;
		if ((r = fill(m)) <= 0)
			return r;
	}
	p = m->buf + m->buf_start;
	end = m->buf + m->buf_end;
	if (m->line_start && *p == '>')
		return next_line(m);
	s = p + 1;
	while ((gt = memchr(s, '>', (size_t)(end - s))) && gt[-1] != '\n')
		s = gt + 1;
	if (!gt)
		gt = end;
	m->line = p;
	m->line_len = (size_t)(gt - p);
	m->line_pos = 0;
	m->buf_start += m->line_len;
	m->line_start = gt[-1] == '\n';
	return 1;
}

static ssize_t mbox_msg_read(struct mailbox *mb, void *buf, size_t len)
{
	struct mbox *m = (struct mbox *)mb;
	size_t out = 0;

	while (out < len) {
		size_t k;

		if (m->line_pos == m->line_len) {
			int r = next_run(m);
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
	.flags = BACKEND_READONLY | BACKEND_EXPIRY,
	.uidl_formats = uidl_formats,
	.uidl_format_refusal = " is for maildir; mbox knows x-uidl (the default) and popa3d",
	.open = mbox_open,
	.scan = mbox_scan,
	.msg_open = mbox_msg_open,
	.msg_read = mbox_msg_read,
	.msg_close = mbox_msg_close,
	.commit = mbox_commit,
	.release = mbox_release,
	.close = mbox_close,
};
