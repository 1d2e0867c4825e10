/* libFuzzer target: the wire converter (wire.c). Input: one byte choosing
 * RETR or TOP n, one byte choosing the chunk size, then the message.
 * Checks, beyond "no crash": the size counted by wire_size equals what
 * RETR sends, for any chunking; the reply, un-stuffed, is the message with
 * every line ending made CRLF (for TOP: a prefix of it ending at a line
 * end); every line of the reply ends in CRLF and the last is ".". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onepop/backend.h"   /* struct wire_size */
#include "fuzz_util.h"
#include "io.h"
#include "wire.h"

static struct io io;
static char *out;
static size_t out_len, out_cap;

static ssize_t capture(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	if (out_len + len > out_cap) {
		out_cap = (out_len + len) * 2;
		out = realloc(out, out_cap);
		if (!out)
			abort();
	}
	memcpy(out + out_len, buf, len);
	out_len += len;
	return (ssize_t)len;
}

/* The message in canonical form: bare LF made CRLF, a CRLF added at the
 * end when the last line has no LF. */
static char *canonical(const uint8_t *msg, size_t len, size_t *ret_len)
{
	char *c = malloc(2 * len + 2);
	size_t o = 0;

	if (!c)
		abort();
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			c[o++] = '\r';
		c[o++] = (char)msg[i];
	}
	if (len > 0 && msg[len - 1] != '\n') {
		c[o++] = '\r';
		c[o++] = '\n';
	}
	*ret_len = o;
	return c;
}

/* Undo the dot-stuffing of out[] in place; returns the length of the
 * data before the final ".\r\n", aborting on any malformed reply. */
static size_t unstuff(void)
{
	size_t i = 0, o = 0;

	for (;;) {
		size_t start = i;
		char *crlf = memmem(out + i, out_len - i, "\r\n", 2);

		if (!crlf)
			abort();                 /* every line ends in CRLF */
		i = (size_t)(crlf - out) + 2;
		if (i - start == 3 && out[start] == '.') {
			if (i != out_len)
				abort();         /* "." ends the reply, nothing after */
			return o;
		}
		if (out[start] == '.') {
			if (out[start + 1] != '.')
				abort();         /* a leading dot is always doubled */
			start++;
		}
		/* a CR inside a line is data; only CRLF ends a line */
		memmove(out + o, out + start, i - start);
		o += i - start;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_size whole, chunked;
	struct wire_out w;
	struct fuzz_alarm alarm;
	uint64_t size_whole, size_chunked;
	long long top;
	size_t chunk, len, clen, got;
	const uint8_t *msg;
	char *canon;

	if (size < 2)
		return 0;
	top = data[0] < 128 ? -1 : data[0] - 128;
	chunk = (size_t)data[1] + 1;
	msg = data + 2;
	len = size - 2;

	fuzz_alarm_hold(&alarm);
	io_init(&io, -1, -1, 0);
	io.t = (struct io_transport){ .write = capture };
	out_len = 0;
	wire_size_init(&whole);
	wire_size_feed(&whole, (const char *)msg, len);
	wire_size_init(&chunked);
	wire_out_init(&w, &io, top);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		wire_size_feed(&chunked, (const char *)msg + off, n);
		if (wire_out_feed(&w, (const char *)msg + off, n) < 0)
			abort();
	}
	if (wire_size_end(&whole, &size_whole) < 0 || wire_size_end(&chunked, &size_chunked) < 0 ||
	    wire_out_finish(&w) < 0 || wire_out_end(&w) < 0 || io_flush(&io) < 0)
		abort();
	if (size_whole != size_chunked)
		abort();

	canon = canonical(msg, len, &clen);
	got = unstuff();
	if (top < 0) {
		/* RETR: exactly the message, and the size STAT/LIST announce. */
		if (got != clen || memcmp(out, canon, clen) != 0 || w.sent != size_whole)
			abort();
	} else {
		/* TOP: a prefix of it, cut at a line end. */
		if (got > clen || memcmp(out, canon, got) != 0 ||
		    (got > 0 && (out[got - 2] != '\r' || out[got - 1] != '\n')))
			abort();
	}
	free(canon);
	fuzz_alarm_give_back(&alarm);
	return 0;
}
