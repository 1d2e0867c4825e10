/* UIDLs for stores whose file names say nothing stable (mbox, MH): the
 * X-UIDL header when present and valid, else a digest of the header.
 *
 * The digest is the hex MD5 of what the caller feeds with
 * uidl_digest_raw() (mbox: its From_ line) followed by every header line,
 * line endings normalised to LF, leaving out the headers that mail
 * readers and IMAP servers rewrite in place (Status, X-Status,
 * X-Keywords, X-UID, X-IMAP, X-IMAPbase, Content-Length, Lines, X-UIDL).
 * So it survives other messages being deleted or arriving, CRLF/LF
 * conversion and a reader marking the message read. */
#ifndef ONEPOP_UIDL_DIGEST_H
#define ONEPOP_UIDL_DIGEST_H

#include <md5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onepop/backend.h"

/* Octets staged before MD5Update: header lines are short, and one
 * MD5Update a line (and one more for its "\n") cost more than the
 * hashing itself in a 100,000-message scan. A header that fits whole
 * (spilled false) can be hashed with others at once (md5_lanes.h). A multiple of
 * 64 (MD5's block), so a full stage is hashed straight from it. */
#define UIDL_DIGEST_STAGE 4096
/* A header line fed in parts is judged (left out or not) on its first
 * this many octets: longer than any header name. */
#define UIDL_DIGEST_HEAD 256

struct uidl_digest {
	MD5_CTX ctx;
	size_t staged;      /* octets in stage */
	bool spilled;       /* some went to ctx already */
	unsigned char stage[UIDL_DIGEST_STAGE];
	bool in_header;     /* the blank line has not been seen yet */
	bool skipping;      /* continuation lines of a left-out header */
	bool have_xuidl;
	char xuidl[MAX_UIDL + 1];
	/* A line fed in parts (uidl_digest_part): */
	bool part_open;     /* one is under way */
	bool part_judged;   /* its first octets decided skipping */
	bool part_fed;      /* some of its content went to the digest */
	size_t head_len;
	uint64_t held_cr;   /* CRs kept back: the line ending's, if only it follows */
	char head[UIDL_DIGEST_HEAD];
};

void uidl_digest_init(struct uidl_digest *d);
/* Bytes that are part of the identity but not of the header. */
void uidl_digest_raw(struct uidl_digest *d, const char *buf, size_t len);
/* One message line with its line ending; ignored after the header. */
void uidl_digest_line(struct uidl_digest *d, const char *line, size_t len);
/* The next part of a line too long to hold whole (read in bounded
 * chunks); line_end when it completes the line (ends with its LF, or is
 * the last line). Gives the digest uidl_digest_line gives for the whole
 * line, but for an X-UIDL header longer than UIDL_DIGEST_HEAD octets,
 * which is not taken. Memory stays bounded whatever the line's length. */
void uidl_digest_part(struct uidl_digest *d, const char *buf, size_t len, bool line_end);
/* The UIDL: the X-UIDL value, or the 32 hex digits of the digest. */
void uidl_digest_end(struct uidl_digest *d, char out[MAX_UIDL + 1]);
/* The same, and the digest's first 64 bits in *fp (also with X-UIDL). */
void uidl_digest_finish(struct uidl_digest *d, char out[MAX_UIDL + 1], uint64_t *fp);

/* The UIDL and *fp from md, the MD5 of everything fed (for a digest
 * not spilled, of stage[0, staged)), instead of uidl_digest_finish. */
void uidl_digest_result(const struct uidl_digest *d, const unsigned char md[16],
                        char out[MAX_UIDL + 1], uint64_t *fp);

/* Make the UIDLs of msgs unique (RFC 1939 §7): the n-th message (in
 * mailbox order) with an already used UIDL gets "-n" appended (cut to
 * fit 70 characters). Two messages with the same header are the only
 * ones that meet this. Each msgs[i].uidl must point to a writable
 * buffer of MAX_UIDL + 1 octets owned by the caller. One pass through a
 * hash table; a sort when crafted UIDLs collide in it. 0 or -ENOMEM. */
int uidl_make_unique(struct msginfo *msgs, size_t count);

#endif
