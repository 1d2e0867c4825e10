/* Helpers shared by the libFuzzer targets. */
#ifndef ONEPOP_FUZZ_UTIL_H
#define ONEPOP_FUZZ_UTIL_H

#include <stddef.h>

/* perror(what), then abort(): the fixture cannot be built. */
__attribute__((noreturn)) void fuzz_die(const char *what);

/* mkdtemp(top) (a template ending in XXXXXX), then an empty Maildir
 * (new, cur, tmp) at top/Maildir, whose path goes to maildir. */
void fuzz_maildir(char *top, char *maildir, size_t size);

#endif
