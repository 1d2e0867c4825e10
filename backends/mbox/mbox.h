/* The mbox backend's private state, shared by its files. Who calls whom,
 * one way only: mbox.c (open, scan, read) -> mbox_expire.c (--expire at
 * scan) -> mbox_rewrite.c (commit, replace) -> mbox_compact.c, and all of
 * them -> mbox_status.c (Status flags), mbox_parse.c, mbox_lock.c. */
#ifndef ONEPOP_MBOX_H
#define ONEPOP_MBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "onepop/backend.h"
#include "login_delay.h"
#include "mbox_lock.h"

struct mbox_msg {
	off_t from;         /* the From_ line */
	off_t body;         /* the message, after the From_ line */
	off_t end;          /* end of the message, before its separator */
	uint64_t fp;        /* fingerprint of From_ line and header */
	char uidl[MAX_UIDL + 1];    /* what scan's msginfo points to */
};

/* RETR reads a message in parts of at most this many octets, however
 * long its lines (more than MBOX_QUOTE_MAX + 5). */
#define MBOX_READ_BUF 65536

struct mbox {
	struct mailbox base;
	char *path;
	bool uidl_popa3d;   /* --uidl-format=popa3d (uidl_popa3d.h) */
	int fd;             /* flock'ed for the session; -1: no file (empty) */
	struct mbox_lock lock;
	struct mbox_msg *msgs;
	size_t count;
	off_t scan_size;    /* bytes seen at scan; later ones arrived since */
	FILE *rd;           /* the open message */
	off_t rd_left;      /* its octets not yet in buf */
	char *buf;          /* MBOX_READ_BUF octets of it, read ahead */
	size_t buf_start, buf_end;
	bool line_start;    /* buf_start is at the start of a line */
	const char *line;   /* the current line or part of one, unquoted */
	size_t line_len, line_pos;
	const struct backend_session *session;
	struct backend_report *report;
	/* --login-delay: PATH.onepop-login, in the mailbox's directory */
	int dir_fd;
	char *login_name;
	struct login_delay login;
};

/* Scan mode (ret_info set): parse the file from its start to EOF, fill
 * msgs, count and scan_size, return the messages' sizes and UIDLs in
 * *ret_info (NULL when there are none). Check mode (ret_info NULL):
 * parse the first limit bytes and return -ESTALE unless they hold
 * exactly the messages recorded at scan (mbox_parse.c). */
int mbox_parse(struct mbox *m, off_t limit, struct msginfo **ret_info);
/* Whether a line starting with line (len octets of it, which must hold
 * the whole line or at least MBOX_QUOTE_MAX + 5 octets) is a quoted
 * From_ line. Long lines are read in parts; the bound makes the start of
 * a line enough to decide, the same way at scan and at RETR. */
#define MBOX_QUOTE_MAX 1024
bool mbox_is_quoted_from(const char *line, size_t len);

/* Rewrite without the deleted messages (mbox_rewrite.c); with --expire,
 * the messages retrieved and kept get Status RO in the same rewrite. */
int mbox_commit(struct mailbox *mb, const bool *deleted, size_t count);
/* Under the locks: write the mailbox anew without the deleted messages,
 * mark[i] (may be NULL) adding R and O to message i's Status header, and
 * move it into place. ret_fd NULL: the session is ending. Else the
 * session goes on with the new file: it is flock'ed and fcntl-locked
 * before it appears under the mailbox's name, and its fd is returned. */
int mbox_replace(struct mbox *m, const bool *deleted, const bool *mark, int *ret_fd);
/* On a full file system, instead of mbox_replace: move the kept messages
 * down over the deleted ones in the file itself and cut it short
 * (mbox_compact.c; not crash-safe: a crash can leave a message twice,
 * never lose one). Under the locks. */
int mbox_compact(struct mbox *m, const bool *deleted);
/* Copy [start, end) of the mailbox to out; end < 0: to EOF. */
int mbox_copy_range(struct mbox *m, int out, off_t start, off_t end);

/* Where message i ends, as scanned: the next one's From_ line, or the
 * end of the bytes seen at scan. */
static inline off_t mbox_msg_end(const struct mbox *m, size_t i)
{
	return i + 1 < m->count ? m->msgs[i + 1].from : m->scan_size;
}

/* --expire (mbox_expire.c). */
/* Remove, through mbox_replace, the messages whose Status has R and
 * whose From_ line dates them days * 86400 seconds before now or
 * earlier; then parse the new file (*ret_info as mbox_parse). Called in
 * scan, under the locks, after the first parse (*ret_info its result). */
int mbox_expire_run(struct mbox *m, unsigned days, int64_t now, struct msginfo **ret_info,
                    size_t *ret_removed);

/* The Status header (mbox_status.c). */
/* Most Status flags kept; a longer value is not ours to rewrite. */
#define MBOX_STATUS_MAX 32
/* The From_ line and header of a message: buf[0, len) is [from, end of
 * the header); the blank line that ends it starts at buf[len] and is
 * blank octets long (0: none found, the header is not complete). */
struct mbox_head {
	char *buf;
	size_t len, blank;
};
/* Read message i's From_ line and header, from its start to at most end,
 * into *h (h->buf malloc'd; NULL on error). */
int mbox_head_read(struct mbox *m, size_t i, off_t end, struct mbox_head *h);
/* The first Status header in h: its offset and length (with its line
 * ending) in *off and *len, and its flags (value without white space).
 * 0 when there is none, 1, or 2 when the flags did not fit (cut). */
int mbox_status_find(const struct mbox_head *h, size_t *off, size_t *len,
                     char flags[MBOX_STATUS_MAX + 1]);
/* Which messages need R or O added to their Status: the retrieved ones
 * not deleted, unless theirs has both already. NULL when none (or on
 * error: marking is not worth failing UPDATE for); malloc'd. */
bool *mbox_marks(struct mbox *m, const bool *retrieved, const bool *deleted, size_t count);
/* Write message i's From_ line and header (the message ends at end) to
 * out with R and O in its Status header (added before the blank line
 * ending the header when it has none), and set *ret_rest to where the
 * rest of the message starts, for the caller to copy as it is. A header
 * without such a blank line, or whose Status is too long to rewrite, is
 * not written: *ret_rest is then the message's From_ line. */
int mbox_write_marked_head(struct mbox *m, int out, size_t i, off_t end, off_t *ret_rest);

#endif
