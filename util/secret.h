/* Handling secrets: constant-time comparison. (libbsd 0.11 in Debian 12
 * has no timingsafe_bcmp, so onepop carries its own.) */
#ifndef ONEPOP_SECRET_H
#define ONEPOP_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* True if a[0..alen) equals b[0..blen); the time taken depends only on
 * alen, never on where the two differ. */
bool secret_equal(const void *a, size_t alen, const void *b, size_t blen);

#endif
