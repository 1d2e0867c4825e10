/* Failed logins remembered across connections (--fail-state=DIR): one
 * small file per remote address, so that an inetd-style server, which
 * forgets everything when a connection ends, can still slow down and
 * then refuse an address that keeps guessing. */
#ifndef ONEPOP_FAILSTATE_H
#define ONEPOP_FAILSTATE_H

#include <stdint.h>

/* Failures of addr within the last window seconds (0 when none, or
 * when the state cannot be read: it never locks anybody out by error).
 * *ret_last is the time of the latest one. */
unsigned failstate_recent(const char *dir, const char *addr, unsigned window, int64_t *ret_last);

/* Count one more failure of addr; returns the failures within the
 * window, this one included (0 if it could not be recorded). */
unsigned failstate_note(const char *dir, const char *addr, unsigned window);

#endif
