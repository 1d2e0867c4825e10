/* The UIDLs of the server a Maildir comes from, --uidl-format
 * (maildir_migrate.c). */
#ifndef ONEPOP_MAILDIR_MIGRATE_H
#define ONEPOP_MAILDIR_MIGRATE_H

#include <stdbool.h>

#include "maildir_list.h"

/* Replace the UIDLs of the messages not matched (matched[i] false; NULL:
 * every message matched) with those of the old server (--uidl-format fmt;
 * NULL: none). With every message matched the old list is still read, so
 * that one that cannot be read refuses all the same. 0, -ENOMEM, or
 * -EBADMSG for an old list that cannot be read. */
int maildir_migrate_uidls(int dir_fd, struct maildir_list *l, const bool *matched,
                          const char *fmt);

#endif
