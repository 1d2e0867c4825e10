/* The mbox dotlock + fcntl lock, and the kept spool group. */
#include <errno.h>
#include <fcntl.h>
#include <lockfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commit_intent.h"
#include "onepop_limits.h"
#include "mbox_lock.h"

/* Whether every directory leading to path's last component, and every
 * symlink on the way, belongs to root: then the user can neither point
 * the path elsewhere nor swap a directory on it for a symlink. */
static bool path_trusted(const char *path)
{
	char prefix[MAX_PATH];
	size_t len = strlen(path);

	if (path[0] != '/' || len >= sizeof(prefix))
		return false;
	for (size_t i = 1; i <= len; i++) {
		struct stat st;

		if (path[i] != '/')
			continue;
		if (i == len)
			break;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (lstat(prefix, &st) < 0 || (S_ISLNK(st.st_mode) && st.st_uid != 0))
			return false;
		if (stat(prefix, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0)
			return false;
	}
	return true;
}

int mbox_lock_init(struct mbox_lock *l, const char *path)
{
	gid_t rgid, egid, sgid;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (asprintf(&l->dotlock, "%s.lock", path) < 0) {
		l->dotlock = NULL;
		return -ENOMEM;
	}
	/* The kept group only where the user cannot choose what the path
	 * leads to: else a symlink of theirs (~/Mail to /var/mail) would get
	 * the group's dotlocks and files made wherever they point it. */
	if (getresgid(&rgid, &egid, &sgid) == 0 && sgid != rgid && path_trusted(path)) {
		l->has_priv = true;
		l->priv_gid = sgid;
	}
	return 0;
}

void mbox_lock_free(struct mbox_lock *l)
{
	mbox_lock_release(l);
	free(l->dotlock);
	l->dotlock = NULL;
	/* The kept group itself is the core's to give up (privs_end), once
	 * the mailbox is closed. */
	l->has_priv = false;
}

int mbox_priv_on(const struct mbox_lock *l)
{
	if (l->has_priv && setegid(l->priv_gid) < 0)
		return -errno;
	return 0;
}

void mbox_priv_off(const struct mbox_lock *l)
{
	/* Going back to the real gid cannot fail; if it did, going on with
	 * the spool group would be worse than stopping. */
	if (l->has_priv && setegid(getgid()) < 0)
		abort();
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int dotlock_take(struct mbox_lock *l)
{
	for (int tries = 0; tries < MBOX_LOCK_WAIT * 10; tries++) {
		int r, e;

		if ((r = mbox_priv_on(l)) < 0)
			return r;
		/* No retries inside: its back-off starts at 5 seconds. */
		r = lockfile_create(l->dotlock, 0, L_PID);
		e = errno;
		mbox_priv_off(l);
		if (r == L_SUCCESS) {
			l->dotlocked = true;
			return 0;
		}
		if (r != L_MAXTRYS)
			return e == EACCES || e == EPERM ? -EACCES : -EIO;
		pause_ms(100);
	}
	return -EWOULDBLOCK;
}

int mbox_lock_take(struct mbox_lock *l, int fd)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int r = dotlock_take(l);

	/* No block or inode for a dotlock: the fcntl lock alone (no MDA can
	 * deliver to a full disk either), so that the user can still fetch
	 * and delete mail, which frees space. */
	if (r < 0 && r != -EWOULDBLOCK && intent_store_full(fd)) {
		l->no_dotlock = true;
		r = 0;
	}
	if (r < 0)
		return r;
	for (int tries = 0; tries < MBOX_LOCK_WAIT * 10; tries++) {
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			l->fd = fd;
			l->fcntl_locked = true;
			return 0;
		}
		if (errno != EACCES && errno != EAGAIN && errno != EINTR) {
			r = -errno;
			mbox_lock_release(l);
			return r;
		}
		pause_ms(100);
	}
	mbox_lock_release(l);
	return -EWOULDBLOCK;
}

void mbox_lock_release(struct mbox_lock *l)
{
	if (l->fcntl_locked) {
		struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
		(void)fcntl(l->fd, F_SETLK, &fl);
		l->fcntl_locked = false;
	}
	if (l->dotlocked) {
		/* Only fails when the lock is gone already: nothing to undo. */
		if (mbox_priv_on(l) == 0) {
			(void)lockfile_remove(l->dotlock);
			mbox_priv_off(l);
		}
		l->dotlocked = false;
	}
}
