/* The mbox backend's private state, shared by mbox.c (open, scan, read)
 * and mbox_rewrite.c (commit). */
#ifndef ONEPOP_MBOX_H
#define ONEPOP_MBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "backend.h"
#include "mbox_lock.h"

struct mbox_msg {
	off_t from;         /* the From_ line */
	off_t body;         /* the message, after the From_ line */
	off_t end;          /* end of the message, before its separator */
	uint64_t fp;        /* fingerprint of From_ line and header */
	char uidl[MAX_UIDL + 1];    /* what scan's msginfo points to */
};

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
	off_t rd_left;
	char *line;         /* its current line, already unquoted */
	size_t line_cap, line_len, line_pos;
};

/* Scan mode (ret_info set): parse the file from its start to EOF, fill
 * msgs, count and scan_size, return the messages' sizes and UIDLs in
 * *ret_info (NULL when there are none). Check mode (ret_info NULL):
 * parse the first limit bytes and return -ESTALE unless they hold
 * exactly the messages recorded at scan (mbox_parse.c). */
int mbox_parse(struct mbox *m, off_t limit, struct msginfo **ret_info);
bool mbox_is_quoted_from(const char *line, size_t len);

/* Rewrite without the deleted messages (mbox_rewrite.c). */
int mbox_commit(struct mailbox *mb, const bool *deleted, size_t count);

#endif
