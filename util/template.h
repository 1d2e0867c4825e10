/* --mailbox template expansion: one pass, user-derived parts checked. */
#ifndef ONEPOP_TEMPLATE_H
#define ONEPOP_TEMPLATE_H

#include <stddef.h>

/* True if every "%x" in tpl is one expand understands. */
int template_check(const char *tpl);

/* Expand %u (user), %n (local part), %d (domain), %h (home), %% into
 * out. %u/%n/%d must match an allowlist (letters, digits, "._+-=@", not
 * starting with "."), so a login name can never add a path component;
 * one that expands to an empty path component ("/m/%d/%n" for a name
 * without a domain) is refused too.
 * Returns 0, -EINVAL (bad template or name), -ENOENT (%h but no home),
 * -ENAMETOOLONG. */
int template_expand(const char *tpl, const char *user, const char *home,
                    char *out, size_t size);

#endif
