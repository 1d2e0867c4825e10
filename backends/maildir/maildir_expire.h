/* Maildir's --expire (maildir_expire.c). */
#ifndef ONEPOP_MAILDIR_EXPIRE_H
#define ONEPOP_MAILDIR_EXPIRE_H

#include <stddef.h>
#include <stdint.h>

/* The name message name ("new/X" or "cur/X:2,FLAGS") gets once seen: 1
 * and out ("cur/X:2,FLAGS" with S added, flags in ASCII order), 0 when it
 * has it already, -EINVAL for other info than ":2,". */
int maildir_seen_name(const char *name, char *out, size_t size);
/* Unlink the messages in cur/ with the S flag delivered days * 86400
 * seconds before now or earlier; 0 and *ret_removed, or a negative errno. */
int maildir_expire_run(int dir_fd, unsigned days, int64_t now, size_t *ret_removed);

#endif
