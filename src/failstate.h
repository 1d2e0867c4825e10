/* Failed logins remembered across connections (--fail-state=DIR): one
 * small table of fixed records, so that an inetd-style server, which
 * forgets everything when a connection ends, can still slow down and
 * then refuse a client that keeps guessing. */
#ifndef ONEPOP_FAILSTATE_H
#define ONEPOP_FAILSTATE_H

#include <stddef.h>
#include <stdint.h>

/* At start: DIR must be a directory this process can write. 0, or a
 * negative errno with the reason (and what to do) in err. */
int failstate_check(const char *dir, char *err, size_t errlen);

/* Failures of addr's client within the last window seconds (0 when none,
 * or when the state cannot be read: it never locks anybody out by
 * error). *ret_last is the time of the latest one. */
unsigned failstate_recent(const char *dir, const char *addr, unsigned window, int64_t *ret_last);

/* Count one more failure of addr's client; returns the failures within
 * the window, this one included (0 if it could not be recorded, which is
 * logged). */
unsigned failstate_note(const char *dir, const char *addr, unsigned window);

/* The client addr is counted as: an IPv4 address, an IPv6 /64
 * ("2001:db8:1:2::/64"; IPv4-mapped ones as IPv4), or a name of address
 * characters ("local"). -EINVAL for anything else. */
int failstate_key(const char *addr, char *out, size_t size);

#endif
