/* Sizing the Maildir list (maildir_size.c): every message's file size and
 * wire size, from its name, the old cache or the file itself, and the
 * state of new/ and cur/ a list was read in. */
#ifndef ONEPOP_MAILDIR_SIZE_H
#define ONEPOP_MAILDIR_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maildir_find.h"
#include "maildir_list.h"

/* The sizes a base name carries (",S=RAW" and ",W=WIRE", as Dovecot's
 * and others' delivery agents write them; the first valid one of each
 * counts): true and both when both are there and possible together. */
bool maildir_name_sizes(const char *base, size_t len, uint64_t *ret_raw, uint64_t *ret_wire);
/* The wire size of the first len octets of the file open at fd (fewer
 * if it ends sooner; len is its size from fstat, so no read is spent
 * on finding its end): 0 or a negative errno. */
int maildir_file_size(int fd, uint64_t len, uint64_t *ret);
/* Size every message of l (its files under dir_fd, found again through f
 * when moved), dropping those that are gone or not files. old (sorted like
 * the list, or l itself when it came from a fresh cache; NULL: none)
 * supplies sizes already known. *ret_changed is set when the list is not
 * what old said. */
void maildir_size_all(int dir_fd, struct maildir_list *l, struct maildir_find *f,
                      const struct maildir_list *old, bool *ret_changed);
/* Message i's true sizes, read from its file (a listed size proved
 * wrong): 0 when they are in l; a negative errno when the file is gone,
 * unreadable or of impossible sizes (then l is unchanged). */
int maildir_size_measure(int dir_fd, struct maildir_list *l, struct maildir_find *f, size_t i);
/* The state of new/ and cur/ now. *ret_trusted is false while either was
 * changed within the last two seconds: a change in the same clock tick
 * would not change the stamp, so such a list must not be called fresh.
 * 0 or a negative errno. */
int maildir_read_stamps(int dir_fd, struct maildir_stamp stamps[2], bool *ret_trusted);

#endif
