/* wire: sizes equal what is sent, dot-stuffing, CRLF, TOP, any chunking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onepop/backend.h"   /* struct wire_size */
#include "io.h"
#include "unit.h"
#include "wire.h"

static struct io io;

/* Convert msg (split once at cut) and return what went to the client. */
static char *convert(const char *msg, size_t len, size_t cut, long long top, uint64_t *ret_sent)
{
	static char out[8192];
	struct wire_out w;
	FILE *f = tmpfile();
	size_t n;

	io_init(&io, -1, fileno(f), 0);
	wire_out_init(&w, &io, top);
	wire_out_feed(&w, msg, cut);
	wire_out_feed(&w, msg + cut, len - cut);
	wire_out_finish(&w);
	*ret_sent = w.sent;
	wire_out_end(&w);
	io_flush(&io);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

static uint64_t size_of(const char *msg, size_t len, size_t cut)
{
	struct wire_size ws;
	uint64_t v = 0;

	wire_size_init(&ws);
	wire_size_feed(&ws, msg, cut);
	wire_size_feed(&ws, msg + cut, len - cut);
	wire_size_end(&ws, &v);
	return v;
}

struct tcase {
	const char *in, *out;
};

static const struct tcase cases[] = {
	{ "", ".\r\n" },
	{ "a\n", "a\r\n.\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ "a\nb", "a\r\nb\r\n.\r\n" },
	{ ".\n", "..\r\n.\r\n" },
	{ "x\n.y\n..z\n", "x\r\n..y\r\n...z\r\n.\r\n" },
	{ "a\rb\n", "a\rb\r\n.\r\n" },
	{ "a\r", "a\r\r\n.\r\n" },
	{ "\r\n\r\n", "\r\n\r\n.\r\n" },
	{ "h: 1\r\n\r\n.body\r\n", "h: 1\r\n\r\n..body\r\n.\r\n" },
	{ "a\r\r\n", "a\r\r\n.\r\n" },
	/* Runs of whole lines (the fast path) mixing CRLF, LF, dots, a CR. */
	{ "a\r\n.\r\nb\n..\n\rc\r\n.", "a\r\n..\r\nb\r\n...\r\n\rc\r\n..\r\n.\r\n" },
};

/* Lines of every length around the 64 KB output buffer, so line ends
 * land on, before and after its boundary: the output must be the input
 * with CRLF line ends (and the terminator), whatever the feed size. */
static void check_buffer_edges(void)
{
	enum { LINES = 40, MAXLEN = 70000 };
	static char in[LINES * (MAXLEN + 1)], want[LINES * (MAXLEN + 2) + 3];
	static char got[sizeof(want) + 1];
	size_t lens[] = { 0, 1, 2, 61, 4093, 65531, 65532, 65533, 65534, 65535, 65536, 69999 };
	size_t nin = 0, nwant = 0, n;
	struct wire_out w;
	FILE *f;

	for (size_t i = 0; i < LINES; i++) {
		size_t len = lens[(i * 7) % (sizeof(lens) / sizeof(lens[0]))];
		memset(in + nin, 'a' + (int)(i % 26), len);
		memcpy(want + nwant, in + nin, len);
		nin += len;
		nwant += len;
		in[nin++] = '\n';
		memcpy(want + nwant, "\r\n", 2);
		nwant += 2;
	}
	memcpy(want + nwant, ".\r\n", 3);
	nwant += 3;
	for (size_t step = 4096; step <= 65536; step *= 16) {
		f = tmpfile();
		io_init(&io, -1, fileno(f), 0);
		wire_out_init(&w, &io, -1);
		for (size_t off = 0; off < nin; off += step)
			wire_out_feed(&w, in + off, nin - off < step ? nin - off : step);
		wire_out_finish(&w);
		wire_out_end(&w);
		io_flush(&io);
		rewind(f);
		n = fread(got, 1, sizeof(got), f);
		fclose(f);
		CHECK(n == nwant && memcmp(got, want, nwant) == 0);
	}
}

int main(void)
{
	const char *msg = "Subject: x\n\n1\n.2\n3\n";
	uint64_t sent;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);

		for (size_t cut = 0; cut <= len; cut++) {
			const char *got = convert(cases[i].in, len, cut, -1, &sent);
			if (strcmp(got, cases[i].out) != 0)
				fprintf(stderr, "case %zu cut %zu: got [%s]\n", i, cut, got);
			CHECK(strcmp(got, cases[i].out) == 0);
			/* the size is the octets sent before dot-stuffing */
			CHECK(size_of(cases[i].in, len, cut) == sent);
		}
	}
	/* TOP: header, blank line, then n body lines */
	CHECK(!strcmp(convert(msg, strlen(msg), 3, 0, &sent), "Subject: x\r\n\r\n.\r\n"));
	CHECK(!strcmp(convert(msg, strlen(msg), 3, 2, &sent), "Subject: x\r\n\r\n1\r\n..2\r\n.\r\n"));
	CHECK(!strcmp(convert(msg, strlen(msg), 3, 99, &sent),
	              "Subject: x\r\n\r\n1\r\n..2\r\n3\r\n.\r\n"));
	/* no body at all: the whole header */
	CHECK(!strcmp(convert("A: b\n", 5, 2, 0, &sent), "A: b\r\n.\r\n"));
	check_buffer_edges();
	return unit_done("wire");
}
