/* The mbox backend's private state, shared by mbox.c (open, scan, read)
 * and mbox_rewrite.c (commit). */
#ifndef ONEPOP_MBOX_H
#define ONEPOP_MBOX_H

#include <md5.h>
#include <stdio.h>
#include <sys/types.h>

#include "backend.h"
#include "mbox_lock.h"

struct mbox_msg {
	off_t from;         /* the From_ line */
	off_t body;         /* the message, after the From_ line */
	off_t end;          /* end of the message, before its separator */
	char uidl[MAX_UIDL + 1];    /* what scan's msginfo points to */
};

struct mbox {
	struct mailbox base;
	char *path;
	int fd;             /* flock'ed for the session; -1: no file (empty) */
	struct mbox_lock lock;
	struct mbox_msg *msgs;
	size_t count;
	off_t scan_size;    /* bytes seen at scan; later ones arrived since */
	unsigned char scan_md5[MD5_DIGEST_LENGTH];  /* of those bytes */
	FILE *rd;           /* the open message */
	off_t rd_left;
	char *line;         /* its current line, already unquoted */
	size_t line_cap, line_len, line_pos;
};

/* Rewrite without the deleted messages (mbox_rewrite.c). */
int mbox_commit(struct mailbox *mb, const bool *deleted, size_t count);

#endif
