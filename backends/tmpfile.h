/* Temporary files for the atomic replacements the backends make (the
 * Maildir cache and UIDL ledger, the login-delay record, .mh_sequences):
 * write NAME.tmp, then rename it over NAME. */
#ifndef ONEPOP_TMPFILE_H
#define ONEPOP_TMPFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Create dir_fd/name for writing with O_EXCL and O_NOFOLLOW, mode mode:
 * never through a symlink, a hard link or a FIFO left at the name. A name
 * already taken (a crash's leftover, or anything a mail writer put there:
 * a FIFO, a link, an empty directory) is removed first; if it cannot be
 * (a directory with files in it), NAME.PID is used instead. Call only
 * under the store's session lock: no other session writes the name. The
 * name used goes to ret_name. The fd, or a negative errno. */
int tmpfile_create(int dir_fd, const char *name, mode_t mode, char *ret_name, size_t size);

#endif
