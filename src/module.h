/* Optional parts loaded only when a session needs them (TLS, PAM, the
 * systemd client library), so a plain session maps none of them. */
#ifndef ONEPOP_MODULE_H
#define ONEPOP_MODULE_H

#include <stddef.h>

/* The symbol sym of onepop's module file (e.g. "onepop-tls.so"), looked
 * for beside the running binary (a build tree), then in the install
 * directory. NULL on failure, with the reason in err. */
const void *module_symbol(const char *file, const char *sym, char *err, size_t errlen);

#endif
