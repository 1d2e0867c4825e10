/* The lines of the Maildir backend's own files (the size cache, the UIDL
 * ledger), read in large blocks (maildir_lines.c): stdio's fgets went
 * through 4 KB reads and a copy of every line. A leaf. */
#ifndef ONEPOP_MAILDIR_LINES_H
#define ONEPOP_MAILDIR_LINES_H

#include <stdbool.h>
#include <stddef.h>

#define MAILDIR_LINES_BUF 32768
struct maildir_lines {
	int fd;
	size_t start, end;
	bool eof, bad;      /* bad: a NUL was read */
	char buf[MAILDIR_LINES_BUF];
};
void maildir_lines_init(struct maildir_lines *r, int fd);
/* The next line with its LF, which is replaced by NUL, in *ret (valid
 * until the next call): its length, or -EBADMSG when it would not fit in
 * size octets with LF and NUL (as for fgets), holds a NUL or has no LF. */
int maildir_lines_next(struct maildir_lines *r, char **ret, size_t size);
/* Whether nothing follows the lines read. */
bool maildir_lines_end(struct maildir_lines *r);

#endif
