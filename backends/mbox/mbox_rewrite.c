/* The mbox rewrite at QUIT, crash-safe: under the dotlock and fcntl lock,
 * copy the kept messages and everything appended since the scan into a
 * new file in the same directory, give it the old owner, group and mode,
 * fsync it, rename it over the mailbox and fsync the directory. A kill
 * at any moment leaves the old file or the new one (at worst a stray
 * "<file>.onepop-PID.tmp"); ENOSPC or EIO leaves the old one and the
 * core answers -ERR [SYS/TEMP]. The bytes seen at scan are parsed again
 * first and must hold the same messages at the same offsets with the
 * same From_ line and header (mbox_parse.c): if another program rewrote
 * the mailbox meanwhile, nothing is changed (-ESTALE). With --expire the
 * same rewrite adds Status RO to the messages retrieved (mbox_status.c),
 * and at login it drops the expired ones (mbox_expire.c calls
 * mbox_replace; nothing here calls back into it). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit_intent.h"
#include "fdio.h"
#include "onepop_limits.h"
#include "mbox.h"

int mbox_copy_range(struct mbox *m, int out, off_t start, off_t end)
{
	static char buf[MSG_CHUNK];

	while (end < 0 || start < end) {
		size_t want = sizeof(buf);
		ssize_t n;
		int r;

		if (end >= 0 && (off_t)want > end - start)
			want = (size_t)(end - start);
		n = pread(m->fd, buf, want, start);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return end < 0 ? 0 : -ESTALE;   /* shorter than at scan */
		if ((r = fd_write_all(out, buf, (size_t)n)) < 0)
			return r;
		start += n;
	}
	return 0;
}

static int copy_kept(struct mbox *m, int out, const bool *deleted, const bool *mark)
{
	int r;

	for (size_t i = 0; i < m->count; i++) {
		off_t start = m->msgs[i].from, end = mbox_msg_end(m, i);

		if (deleted[i])
			continue;
		/* Marked: its header with Status RO, then the rest as it is. */
		if (mark && mark[i] && (r = mbox_write_marked_head(m, out, i, end, &start)) < 0)
			return r;
		if ((r = mbox_copy_range(m, out, start, end)) < 0)
			return r;
	}
	/* Mail delivered during the session, in the order it came. */
	return mbox_copy_range(m, out, m->scan_size, -1);
}

/* Give the new file the old one's owner, group and mode. */
static int copy_attrs(struct mbox *m, int out, const struct stat *st)
{
	struct stat now;
	int r = 0;

	if (fstat(out, &now) < 0)
		return -errno;
	if (now.st_uid != st->st_uid || now.st_gid != st->st_gid) {
		if ((r = mbox_priv_on(&m->lock)) < 0)
			return r;
		if (fchown(out, st->st_uid, st->st_gid) < 0)
			r = -errno;
		mbox_priv_off(&m->lock);
	}
	if (r == 0 && fchmod(out, st->st_mode & 07777) < 0)
		r = -errno;
	return r;
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		r = -errno;
	close(fd);
	return r;
}

/* A session going on with the new file holds it as it held the old one
 * (flock for the session, the fcntl read lock for the scan) before any
 * other process can open it by name. */
static int lock_new(int out)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };

	if (flock(out, LOCK_EX | LOCK_NB) < 0 || fcntl(out, F_SETLK, &fl) < 0)
		return -errno;
	return 0;
}

/* Write the new mailbox to tmp and move it into place. Not through
 * atomic_file.h: the mailbox is named by path (its directory is often
 * the shared spool, opened and renamed in with mbox_priv_on's group),
 * the new file takes the old one's owner and mode, and a session going
 * on holds it locked before it appears under the name. */
static int replace_via(struct mbox *m, const char *tmp, const bool *deleted, const bool *mark,
                       int *ret_fd)
{
	struct stat st, now;
	int out, r;

	if (fstat(m->fd, &st) < 0)
		return -errno;
	if (stat(m->path, &now) < 0)
		return -errno;
	if (now.st_dev != st.st_dev || now.st_ino != st.st_ino || st.st_size < m->scan_size)
		return -ESTALE;
	if ((r = mbox_parse(m, m->scan_size, NULL)) < 0)
		return r;
	if ((r = mbox_priv_on(&m->lock)) < 0)
		return r;
	/* Our PID in the name and the session flock held: a file by that
	 * name was left by a killed session, never another's work. */
	(void)unlink(tmp);
	out = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = out < 0 ? -errno : 0;
	mbox_priv_off(&m->lock);
	if (r < 0)
		return r;
	r = copy_kept(m, out, deleted, mark);
	if (r == 0)
		r = copy_attrs(m, out, &st);
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	if (r == 0 && ret_fd)
		r = lock_new(out);
	if ((r < 0 || !ret_fd) && close(out) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return r;
	if ((r = mbox_priv_on(&m->lock)) < 0)
		goto fail;
	if (rename(tmp, m->path) < 0)
		r = -errno;
	mbox_priv_off(&m->lock);
	if (r < 0)
		goto fail;
	/* Renamed: the new mailbox is in place; only durability is left. */
	r = fsync_dir(m->path);
	if (ret_fd)
		*ret_fd = out;
	return r;
fail:
	if (ret_fd)
		close(out);
	return r;
}

int mbox_replace(struct mbox *m, const bool *deleted, const bool *mark, int *ret_fd)
{
	char *tmp;
	int r;

	if (asprintf(&tmp, "%s.onepop-%ld.tmp", m->path, (long)getpid()) < 0)
		return -ENOMEM;
	r = replace_via(m, tmp, deleted, mark, ret_fd);
	if (r < 0 && mbox_priv_on(&m->lock) == 0) {
		(void)unlink(tmp);
		mbox_priv_off(&m->lock);
	}
	free(tmp);
	return r;
}

int mbox_commit(struct mailbox *mb, const bool *deleted, size_t count)
{
	struct mbox *m = (struct mbox *)mb;
	bool any = false, marks = false, *mark = NULL;
	int r;

	if (m->fd < 0)
		return 0;
	if (m->session->config->expire && m->session->retrieved)
		mark = mbox_marks(m, m->session->retrieved, deleted, count);
	for (size_t i = 0; i < count && i < m->count; i++) {
		any |= deleted[i];
		marks |= mark && mark[i];
	}
	if (!any && !marks) {
		free(mark);
		return 0;
	}
	if ((r = mbox_lock_take(&m->lock, m->fd)) == 0) {
		r = mbox_replace(m, deleted, mark, NULL);
		/* No room for the copy: delete in place, which frees space. */
		if ((r == -ENOSPC || r == -EDQUOT) && any && intent_store_full(m->fd))
			r = mbox_compact(m, deleted);
		mbox_lock_release(&m->lock);
	}
	free(mark);
	/* Marking alone failed: the messages only expire later (as with
	 * Maildir's S flag); nothing the client asked for was lost. */
	return any ? r : 0;
}
