/* Where the files of new/ and cur/ are now (maildir_find.c): by base
 * name, for the messages another process renamed during the session, and
 * opening a listed message's file wherever it went. */
#ifndef ONEPOP_MAILDIR_FIND_H
#define ONEPOP_MAILDIR_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "maildir_list.h"

struct maildir_find {
	char *names;            /* "sub/NAME\0"... */
	size_t len, cap;
	uint32_t *offs;         /* into names, sorted by base name */
	size_t count, offs_cap;
	bool built;
};
/* Read new/ and cur/ (again): 0 or -ENOMEM. */
int maildir_find_build(int dir_fd, struct maildir_find *f);
/* "sub/NAME" of a file whose base name is base (blen octets), or NULL. */
const char *maildir_find(const struct maildir_find *f, const char *base, size_t blen);
void maildir_find_free(struct maildir_find *f);

/* Find message i of l again by base name after another process renamed
 * it (new/ to cur/, or a flag change), and record its name in l->moved.
 * The directories are read once for all such messages (f), and again
 * only when that reading is older than the message's move. 0 or
 * -ENOENT. */
int maildir_relocate(int dir_fd, struct maildir_list *l, struct maildir_find *f, size_t i);
/* Open message i's file (found again with maildir_relocate if it moved):
 * O_NONBLOCK so a FIFO planted in cur/ cannot hang the session; only
 * regular files are messages. The descriptor, and *ret_st (if not
 * NULL) what fstat says of it; or a negative errno. */
int maildir_file_open(int dir_fd, struct maildir_list *l, struct maildir_find *f, size_t i,
                      struct stat *ret_st);

#endif
