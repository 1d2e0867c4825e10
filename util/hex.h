/* Lower-case hexadecimal: digests in UIDLs, ledgers and logs, escapes. */
#ifndef ONEPOP_HEX_H
#define ONEPOP_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* The two lower-case hex digits of c at out[0] and out[1]; no NUL. */
void hex_byte(unsigned char c, char out[2]);

/* in[0..len) as 2 * len lower-case hex digits at out, NUL-terminated:
 * out holds 2 * len + 1 bytes. */
void hex_encode(const void *in, size_t len, char *out);

/* The 2 * len lower-case hex digits at in into out[0..len): 0, or
 * -EBADMSG if any of them is not one (upper case included); out is then
 * unspecified. in need not be NUL-terminated. */
int hex_decode(const char *in, size_t len, unsigned char *out);

/* Whether in starts with n lower-case hex digits. */
bool hex_valid(const char *in, size_t n);

#endif
