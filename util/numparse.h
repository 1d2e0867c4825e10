/* The one number parser for every command argument. */
#ifndef ONEPOP_NUMPARSE_H
#define ONEPOP_NUMPARSE_H

#include <stdint.h>

/* Parse s as a decimal number in [min, max]: digits only (no sign, no
 * space, no leading "+"), overflow-checked. Returns 0 and sets *ret, or
 * -EINVAL (not a number) / -ERANGE (out of range). */
int num_parse(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Write v in decimal at buf (room for 20 digits, no NUL); returns the
 * digit count. For the scan listings, where printf per line dominated. */
unsigned num_format(uint64_t v, char *buf);

#endif
