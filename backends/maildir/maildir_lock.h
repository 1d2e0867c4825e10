/* The Maildir session lock, DIR/onepop-session.lock (maildir_lock.c). */
#ifndef ONEPOP_MAILDIR_LOCK_H
#define ONEPOP_MAILDIR_LOCK_H

#include <stddef.h>

/* Take DIR/onepop-session.lock for this session: 0 and *ret_fd, or
 * -EWOULDBLOCK with holder (if holder_size) describing the session that
 * has it ("from ADDR since TIME", or "" if unknown). */
int maildir_lock(int dir_fd, const char *remote, int *ret_fd, char *holder, size_t holder_size);
/* Describe the holder of the lock file now in place ("" if none). */
void maildir_lock_holder(int dir_fd, char *holder, size_t holder_size);
/* Remove the lock if it is still ours, and close lock_fd (-1: nothing). */
void maildir_unlock(int dir_fd, int lock_fd);

#endif
