/* The intent record that makes a directory store's UPDATE all or nothing
 * (Maildir, MH): before the first unlink, the list of what is to be
 * removed is written to a file in the store and made durable; it is
 * removed once every unlink is durable. A session that is killed (or a
 * machine that loses power) in between leaves it behind, and the next
 * session that takes the lock carries it out before it lists anything,
 * so the client that sent the DELEs finds either none or all of them
 * gone. The record is "onepop-intent 1", one line a message (the
 * backend's own text, at most INTENT_LINE_MAX octets), then "end N" with
 * N the number of lines: a record cut short is not acted on. */
#ifndef ONEPOP_COMMIT_INTENT_H
#define ONEPOP_COMMIT_INTENT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line of a record, LF excluded. */
#define INTENT_LINE_MAX 600

struct intent_writer {
	int fd;
	int dir_fd;
	int err;            /* the first write error (negative errno) */
	const char *name;
	size_t lines, used;
	char tmp[300];
	char buf[65536];
};

/* Start writing record name in dir_fd (through name.tmp): 0, or a
 * negative errno (-ENOSPC, -EDQUOT: no block or inode left). */
int intent_begin(struct intent_writer *w, int dir_fd, const char *name);
/* Add one line (no LF in it; at most INTENT_LINE_MAX octets). */
void intent_line(struct intent_writer *w, const char *line);
/* Finish: the record is in place and durable (file and directory
 * synced). 0 or a negative errno; on failure nothing is left behind. */
int intent_commit(struct intent_writer *w);
/* Give up writing (after intent_begin, instead of intent_commit). */
void intent_abort(struct intent_writer *w);

/* Whether an error of intent_begin/intent_commit means the store is full
 * or not writable for new files: the commit then goes on without a
 * record (deleting is how a user frees a full disk), as it did before. */
bool intent_unavailable(int err);

/* Whether the file system of dir_fd has no block or no inode left for
 * us: an -ENOSPC there is the disk's state, not a passing fault. */
bool intent_store_full(int dir_fd);

/* Carry out record name in dir_fd, if there is one: fn(line, arg) for
 * each line of a complete record. 1 when a record was replayed (the
 * caller makes its work durable, then calls intent_remove), 0 when there
 * was none, -EBADMSG for a record cut short or not ours (removed, nothing
 * done), or another negative errno. fn returns 0, or a negative errno
 * that stops the replay. */
int intent_replay(int dir_fd, const char *name, int (*fn)(char *line, void *arg), void *arg);

/* Remove the record (after the commit it described is durable). */
void intent_remove(int dir_fd, const char *name);

#endif
