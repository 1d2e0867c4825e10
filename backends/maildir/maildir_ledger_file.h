/* The Maildir UIDL ledger's file (maildir_ledger_file.c), for the
 * matching in maildir_ledger.c: private to those two. */
#ifndef ONEPOP_MAILDIR_LEDGER_FILE_H
#define ONEPOP_MAILDIR_LEDGER_FILE_H

#include <md5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maildir_ledger.h"
#include "maildir_list.h"

struct ledger_entry {
	const char *uidl, *base;    /* into the file's buffer; base NULL for "-" */
	uint64_t ino, raw;
	unsigned char digest[MD5_DIGEST_LENGTH];
	bool used;
};

struct ledger {
	char *buf;
	struct ledger_entry *e;
	size_t count;
	int64_t since;
};

void maildir_ledger_free(struct ledger *lg);
/* Read the whole ledger: 0 and *lg, -ENOENT when there is none, -EBADMSG
 * when unusable (or bigger than count messages can need), -ENOMEM. */
int maildir_ledger_load(int dir_fd, size_t count, struct ledger *lg);
/* MD5 of the first octets of the file name (LEDGER_HEAD, 4 KB): false
 * when it cannot be opened. */
bool maildir_ledger_digest(int dir_fd, const char *name, unsigned char out[MD5_DIGEST_LENGTH]);
/* The fast path: true when the ledger on disk lists exactly the messages
 * of l, in order, each under its base name with the same inode and size;
 * then l has the ledger's UIDLs (all checked), meta->dirty is false and
 * res says every UIDL was kept. false: l's UIDLs are the base names again
 * and the caller does the full match. */
bool maildir_ledger_fast(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                         struct backend_uidl_report *res);

#endif
