/* This host's name, for APOP timestamps and Maildir lock records. */
#ifndef ONEPOP_HOSTNAME_H
#define ONEPOP_HOSTNAME_H

#include <limits.h>

/* A host name and its NUL (POSIX: HOST_NAME_MAX octets at most). */
#define HOSTNAME_SIZE (HOST_NAME_MAX + 1)

/* This host's name into out, NUL-terminated; "localhost" if
 * gethostname fails or the name is empty. */
void hostname_get(char out[HOSTNAME_SIZE]);

#endif
