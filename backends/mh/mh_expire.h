/* The MH backend's --expire (mh_expire.c). */
#ifndef ONEPOP_MH_EXPIRE_H
#define ONEPOP_MH_EXPIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unlink the messages of nums[0..*count) (ascending) that are expired
 * (retrieved in an earlier session, the file's mtime days * 86400
 * seconds before now or earlier), take them out of .mh_sequences and out
 * of nums (*count shrinks). 0 and *ret_removed, or a negative errno. */
int mh_expire_run(int dir_fd, unsigned long *nums, size_t *count, unsigned days, int64_t now,
                  size_t *ret_removed);
/* At UPDATE: gone (ascending, unlinked) out of every sequence, and the
 * messages retrieved (may be NULL) and not deleted marked retrieved. */
int mh_mark_retrieved(int dir_fd, const unsigned long *nums, size_t count, const bool *deleted,
                      const bool *retrieved, const unsigned long *gone, size_t ngone);

#endif
