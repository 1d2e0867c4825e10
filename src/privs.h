/* Dropping root for the authenticated user, in one place. */
#ifndef ONEPOP_PRIVS_H
#define ONEPOP_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

#include "auth.h"

/* Become the user: when running as root, set supplementary groups (a
 * system user's from the group database, otherwise only its gid), gid
 * and uid, then prove root cannot be regained. Refuses to leave the
 * session running as uid 0 unless allow_root. Not root: keeps the
 * current identity, which must match the user's ids when it has any.
 * Sets umask 077 either way. keep_gid ((gid_t)-1: none) is left as the
 * saved set-group-ID, so a backend can setegid() to it around the few
 * steps that need it (the mbox dotlock and rewrite in a root:mail 2775
 * spool, as Dovecot's mail_privileged_group does). 0 or negative errno
 * (-EPERM: refused). */
int privs_drop(const struct user_info *u, bool allow_root, gid_t keep_gid);

/* The mailbox is closed: give a kept group (privs_drop's keep_gid, or
 * any effective or saved gid other than the real one) up for good, so
 * real, effective and saved gid are equal from here on; LeakSanitizer's
 * ptrace-based check at exit in test builds needs that too. Aborts if
 * the kernel refuses, as going on with the group would be worse. */
void privs_end(void);

#endif
