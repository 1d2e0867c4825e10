/* Dropping root for the authenticated user, in one place. */
#ifndef ONEPOP_PRIVS_H
#define ONEPOP_PRIVS_H

#include <stdbool.h>

#include "auth.h"

/* Become the user: when running as root, set supplementary groups, gid
 * and uid, then prove root cannot be regained. Refuses to leave the
 * session running as uid 0 unless allow_root. Not root: keeps the
 * current identity, which must match the user's ids when it has any.
 * Sets umask 077 either way. 0 or negative errno (-EPERM: refused). */
int privs_drop(const struct user_info *u, bool allow_root);

#endif
