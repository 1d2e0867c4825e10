/* The Maildir UIDL ledger, DIR/onepop-uidl (maildir_ledger.c): the UIDL
 * each message had in the last session, matched to the messages listed
 * now, so that a renamed file keeps its UIDL. */
#ifndef ONEPOP_MAILDIR_LEDGER_H
#define ONEPOP_MAILDIR_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maildir_list.h"
#include "onepop/backend.h"   /* struct backend_uidl_report */

/* What the ledger knows of each listed message. */
struct maildir_ledger_meta_msg {
	unsigned char digest[16];   /* MD5 of the first 4 KB */
	bool have_digest;
};
struct maildir_ledger_meta {
	/* One per listed message; NULL when the ledger on disk lists exactly
	 * these messages (its fast path, the usual login): a rewrite then
	 * copies its lines rather than keeping 18 octets a message. */
	struct maildir_ledger_meta_msg *msgs;
	/* Per listed message, found in the ledger; NULL (with msgs): all
	 * were. The others are the new messages. */
	bool *matched;
	bool dirty;                 /* the ledger on disk differs: save it */
	bool applied;               /* maildir_ledger_settle succeeded */
};

/* The ledger as read, between the match and the settling. */
struct maildir_ledger_match;

/* Give the listed messages (each with its name's UIDL on entry) the UIDLs
 * the ledger remembers, and fill meta (zeroed by the caller) and res:
 * 0 and *ret_match (NULL when every message matched), or -ENOMEM. A
 * missing or bad ledger is not an error (every message is then new). */
int maildir_ledger_match(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                         struct backend_uidl_report *res,
                         struct maildir_ledger_match **ret_match);
/* After the new messages got their UIDLs (their name's, or the old
 * server's): give another, derived one to each whose UIDL a matched
 * message kept, count the entries gone and the messages that look
 * renamed into res, and set meta->applied. match as maildir_ledger_match
 * returned it. 0 or -ENOMEM. */
int maildir_ledger_settle(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                          struct maildir_ledger_match *match, struct backend_uidl_report *res);
/* Free what maildir_ledger_match returned (NULL: nothing). */
void maildir_ledger_match_free(struct maildir_ledger_match *match);
/* Write the ledger atomically for the listed messages not deleted
 * (deleted may be NULL); since is when this session scanned. Failures
 * are ignored: the next session rebuilds what it can. */
void maildir_ledger_save(int dir_fd, const struct maildir_list *l,
                         const struct maildir_ledger_meta *meta, const bool *deleted,
                         int64_t since);

#endif
