/* Keeping an MH folder's .mh_sequences coherent after deletions. */
#ifndef ONEPOP_MH_SEQUENCES_H
#define ONEPOP_MH_SEQUENCES_H

#include <stdbool.h>
#include <stddef.h>

/* The sequence onepop keeps the messages RETR sent whole in (--expire).
 * nmh allows only letters and digits in sequence names. */
#define MH_SEQ_RETRIEVED "onepopretrieved"
/* The sequence new mail is put in (nmh's Unseen-Sequence as MH setups
 * and Claws Mail name it). */
#define MH_SEQ_UNSEEN "unseen"

/* Take the message numbers in gone (ascending) out of every sequence in
 * .mh_sequences of the folder dir_fd; a sequence left empty is dropped,
 * as nmh does. The file is replaced crash-safely (new file, fsync,
 * rename) under an fcntl lock, nmh's default for its data files. No
 * file: nothing to do. 0 or a negative errno. */
int mh_sequences_remove(int dir_fd, const unsigned long *gone, size_t ngone);
/* The same, and the numbers in seen (ascending) leave MH_SEQ_UNSEEN and
 * join MH_SEQ_RETRIEVED (the file is made when there is none). */
int mh_sequences_update(int dir_fd, const unsigned long *gone, size_t ngone,
                        const unsigned long *seen, size_t nseen);
/* in[i] = whether nums[i] (ascending) is in sequence name. No file or no
 * such sequence: none are. 0 or a negative errno. */
int mh_sequences_members(int dir_fd, const char *name, const unsigned long *nums, size_t count,
                         bool *in);

#endif
