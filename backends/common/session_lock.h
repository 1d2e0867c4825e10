/* The session lock of directory stores (Maildir, MH): flock(2) on a
 * lock file inside the store, released by the kernel however the
 * process ends, so never stale. */
#ifndef ONEPOP_SESSION_LOCK_H
#define ONEPOP_SESSION_LOCK_H

/* Open (creating it 0600) name in dir_fd and lock it without waiting.
 * The open fd, or -EWOULDBLOCK when another session holds it, or another
 * negative errno. Closing the fd releases the lock. */
int session_lock_take(int dir_fd, const char *name);

#endif
