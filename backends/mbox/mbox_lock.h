/* Locking an mbox the way Debian's MDAs do (policy §11.6): a dotlock
 * "<file>.lock" made with liblockfile (link-based, NFS-safe; a lock whose
 * PID is gone, or older than 5 minutes without one, is stale and broken;
 * in a root:mail 2775 spool liblockfile runs the setgid-mail dotlockfile
 * helper for us), then an fcntl() lock on the file itself. */
#ifndef ONEPOP_MBOX_LOCK_H
#define ONEPOP_MBOX_LOCK_H

#include <stdbool.h>
#include <sys/types.h>

struct mbox_lock {
	char *dotlock;      /* "<file>.lock" */
	int fd;             /* the mailbox, for the fcntl lock */
	bool dotlocked;
	bool fcntl_locked;
	bool no_dotlock;    /* a full file system had no room for one */
	bool has_priv;      /* a saved gid to switch to (see privs_drop) */
	gid_t priv_gid;
};

/* Remember path's dotlock name and whether a privileged group was kept. */
int mbox_lock_init(struct mbox_lock *l, const char *path);
void mbox_lock_free(struct mbox_lock *l);

/* Take the dotlock, then a read lock (F_RDLCK: enough to keep every
 * writer out) on fd, waiting up to MBOX_LOCK_WAIT seconds for an MDA to
 * finish. -EWOULDBLOCK when still held by someone else. */
int mbox_lock_take(struct mbox_lock *l, int fd);
void mbox_lock_release(struct mbox_lock *l);

/* Switch the effective gid to the kept group and back, around the steps
 * that need write access to the spool directory. */
int mbox_priv_on(const struct mbox_lock *l);
void mbox_priv_off(const struct mbox_lock *l);

#endif
