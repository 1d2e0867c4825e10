/* The wire form of a message (RFC 1939 §3): every line ends in CRLF,
 * a line starting with "." gets another, ".\r\n" ends the reply. */
#ifndef ONEPOP_WIRE_H
#define ONEPOP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct io;

/* The size count (struct wire_size) is in include/onepop/backend.h. */

/* Converts raw message bytes into the dot-stuffed wire form as they are
 * streamed to the client. body_lines < 0 sends everything; otherwise
 * the header, the blank line and that many body lines (TOP). */
struct wire_out {
	struct io *io;
	long long body_lines;   /* lines still allowed in the body; <0: all */
	bool bol;               /* at the beginning of a line */
	bool held_cr;           /* a CR at the end of a chunk, not yet sent */
	bool in_body;
	bool done;              /* TOP limit reached: ignore the rest */
	uint64_t line_len;      /* octets of the current line so far */
	uint64_t sent;          /* octets sent, before dot-stuffing */
	bool raw;               /* wire_out_raw: line ends left as they are */
	bool noextra;
	char tail[2];           /* the last two octets sent (raw mode) */
};
void wire_out_init(struct wire_out *w, struct io *io, long long body_lines);
/* Seed 003's byte-for-byte mode, for the test stand-in only: line ends
 * are not converted (only leading dots doubled), and the reply ends in
 * CRLF "." CRLF, or with noextra just "." CRLF when the message already
 * ends in CRLF. Not RFC 1939: normal sessions never use it. */
void wire_out_raw(struct wire_out *w, bool noextra);
/* Returns 0 or -EIO. */
int wire_out_feed(struct wire_out *w, const char *buf, size_t len);
/* Ends the last line with CRLF if it had none (counted in sent). */
int wire_out_finish(struct wire_out *w);
/* Writes the ".\r\n" that ends the reply. */
int wire_out_end(struct wire_out *w);

#endif
