/* popa3d's UIDLs (--uidl-format=popa3d, mbox backend), so that users of
 * popa3d 1.0.x keep the UIDLs their clients have seen.
 *
 * popa3d (Openwall) hashes, with MD5, chosen lines of a message's header
 * exactly as they are in the spool (LF or CRLF kept, the From_ line left
 * out), and shows the first 8 octets of the digest as 16 hex digits,
 * each 4-octet half in reverse order. The chosen lines, with the header
 * names compared case-insensitively as prefixes including the colon:
 *   - the first Received: line;
 *   - every Delivered-To: line;
 *   - Date: and Message-ID: lines met before any Received: line;
 *   - X-Delivery-ID: lines whose first letter is an upper-case X;
 *   - the continuation lines (first octet space or tab) of a chosen line.
 * The header ends at the first line whose first octet is LF (a CRLF
 * line does not end it). popa3d does not make its UIDLs unique: the
 * caller does (uidl_make_unique), so the second of two messages with
 * the same chosen lines gets "-2" appended. */
#ifndef ONEPOP_UIDL_POPA3D_H
#define ONEPOP_UIDL_POPA3D_H

#include <md5.h>
#include <stdbool.h>
#include <stddef.h>

#include "onepop/backend.h"

struct uidl_popa3d {
	MD5_CTX ctx;
	bool in_header;
	bool chosen;        /* the current header line (and its continuations) */
	bool received;      /* a Received: line was seen */
};

void uidl_popa3d_init(struct uidl_popa3d *p);
/* One raw line of the message after its From_ line, with its line
 * ending; ignored after the header. */
void uidl_popa3d_line(struct uidl_popa3d *p, const char *line, size_t len);
/* More of the same line, when it comes in parts (a long one). */
void uidl_popa3d_more(struct uidl_popa3d *p, const char *buf, size_t len);
/* The 16 hex digits popa3d shows. */
void uidl_popa3d_end(struct uidl_popa3d *p, char out[MAX_UIDL + 1]);

#endif
