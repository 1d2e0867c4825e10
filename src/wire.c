/* Wire-form conversion: streaming dot-stuffing (the size count is
 * backends/common/wire_size.c). */
#include <errno.h>
#include <string.h>

#include "io.h"
#include "wire.h"

void wire_out_init(struct wire_out *w, struct io *io, long long body_lines)
{
	*w = (struct wire_out){ .io = io, .body_lines = body_lines, .bol = true };
}

/* A line ended: track the header/body boundary and the TOP limit. */
static void line_done(struct wire_out *w)
{
	if (!w->in_body) {
		if (w->line_len == 0) {
			w->in_body = true;
			if (w->body_lines == 0)
				w->done = true;
		}
	} else if (w->body_lines > 0 && --w->body_lines == 0) {
		w->done = true;
	}
	w->line_len = 0;
	w->bol = true;
}

/* Send line content, dot-stuffed at the start of a line, and with eol
 * its CRLF in the same copy (one buffer check per line, not two). */
static int put(struct wire_out *w, const char *p, size_t n, bool eol)
{
	if (w->held_cr) {
		/* The CR was not followed by LF: it is data. */
		w->held_cr = false;
		if (put(w, "\r", 1, false) < 0)
			return -EIO;
	}
	if (n > 0) {
		if (w->bol && p[0] == '.' && io_write(w->io, ".", 1) < 0)
			return -EIO;
		w->bol = false;
		w->line_len += n;
		w->sent += n;
	}
	if (eol)
		return io_write_crlf(w->io, p, n);
	return n > 0 ? io_write(w->io, p, n) : 0;
}

void wire_out_raw(struct wire_out *w, bool noextra)
{
	w->raw = true;
	w->noextra = noextra;
}

/* Raw mode: send each line as it is; a line is "empty" (the header's
 * end) when it holds nothing but its CR LF or LF. */
static int feed_raw(struct wire_out *w, const char *p, const char *end)
{
	while (p < end && !w->done) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((lf ? lf + 1 : end) - p);

		if (w->bol && p[0] == '.' && io_write(w->io, ".", 1) < 0)
			return -EIO;
		if (io_write(w->io, p, n) < 0)
			return -EIO;
		w->sent += n;
		w->tail[0] = (char)(n > 1 ? p[n - 2] : w->tail[1]);
		w->tail[1] = p[n - 1];
		w->bol = false;
		w->line_len += n - (lf ? 1 : 0) - (n > 1 && lf && lf[-1] == '\r');
		if (lf)
			line_done(w);
		p += n;
	}
	return 0;
}

/* The RETR fast path, from the start of a line with no CR held and no
 * TOP limit to count: each whole line goes straight into the output
 * buffer with its CRLF (and its stuffing dot), one memchr and one memcpy
 * a line, no other bookkeeping. Stops before the chunk's unterminated
 * tail or a line the buffer cannot hold (the general path takes those);
 * NULL once the client is gone. */
static const char *feed_lines(struct wire_out *w, const char *p, const char *end)
{
	size_t room;
	char *o0 = io_room(w->io, 3, &room), *o = o0, *oend;
	uint64_t sent = 0;

	if (!o0)
		return NULL;
	oend = o0 + room;
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (!lf)
			break;
		n = (size_t)(lf - p);
		if ((size_t)(oend - o) < n + 3) {
			io_commit(w->io, (size_t)(o - o0));
			o0 = NULL;
			if (n + 3 > OUT_BUF_SIZE)
				break;
			o = o0 = io_room(w->io, n + 3, &room);
			if (!o)
				return NULL;
			oend = o + room;
		}
		if (n > 0 && lf[-1] == '\r')
			n--;
		if (p[0] == '.')
			*o++ = '.';
		memcpy(o, p, n);
		o += n;
		*o++ = '\r';
		*o++ = '\n';
		sent += n + 2;
		p = lf + 1;
	}
	if (o0)
		io_commit(w->io, (size_t)(o - o0));
	w->sent += sent;
	return p;
}

int wire_out_feed(struct wire_out *w, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	if (w->raw)
		return feed_raw(w, p, end);
	while (p < end && !w->done) {
		if (w->body_lines < 0 && w->bol && !w->held_cr) {
			p = feed_lines(w, p, end);
			if (!p)
				return -EIO;
			if (p == end)
				break;
		}
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		const char *stop = lf ? lf : end;
		size_t n = (size_t)(stop - p);

		if (lf) {
			if (n > 0 && stop[-1] == '\r')
				n--;
			else if (n == 0 && w->held_cr)
				w->held_cr = false;   /* CR ended the previous chunk */
			if (put(w, p, n, true) < 0)
				return -EIO;
			w->sent += 2;
			line_done(w);
			p = lf + 1;
		} else {
			if (n > 0 && stop[-1] == '\r')
				n--;
			if (put(w, p, n, false) < 0)
				return -EIO;
			if (n < (size_t)(stop - p))
				w->held_cr = true;
			p = end;
		}
	}
	return 0;
}

int wire_out_finish(struct wire_out *w)
{
	if (w->done || w->raw)
		return 0;
	if (w->held_cr) {
		w->held_cr = false;
		if (put(w, "\r", 1, false) < 0)
			return -EIO;
	}
	if (!w->bol) {
		if (io_write(w->io, "\r\n", 2) < 0)
			return -EIO;
		w->sent += 2;
		w->bol = true;
	}
	return 0;
}

int wire_out_end(struct wire_out *w)
{
	if (w->raw && !(w->noextra && w->tail[0] == '\r' && w->tail[1] == '\n'))
		return io_write(w->io, "\r\n.\r\n", 5);
	return io_write(w->io, ".\r\n", 3);
}
