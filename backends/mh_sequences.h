/* Keeping an MH folder's .mh_sequences coherent after deletions. */
#ifndef ONEPOP_MH_SEQUENCES_H
#define ONEPOP_MH_SEQUENCES_H

#include <stddef.h>

/* Take the message numbers in gone (ascending) out of every sequence in
 * .mh_sequences of the folder dir_fd; a sequence left empty is dropped,
 * as nmh does. The file is replaced crash-safely (new file, fsync,
 * rename) under an fcntl lock, nmh's default for its data files. No
 * file: nothing to do. 0 or a negative errno. */
int mh_sequences_remove(int dir_fd, const unsigned long *gone, size_t ngone);

#endif
