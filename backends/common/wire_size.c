/* The wire size of a message (backend.h): what RETR sends before
 * dot-stuffing, counted as the backend reads the message. */
#include <errno.h>
#include <string.h>

#include "onepop/backend.h"

void wire_size_init(struct wire_size *ws)
{
	*ws = (struct wire_size){ .last_lf = true };
}

void wire_size_feed(struct wire_size *ws, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	if (len == 0)
		return;
	ws->octets += len;
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));

		if (!lf)
			break;
		/* A bare LF becomes CRLF: one octet more. */
		if (lf == buf ? !ws->last_cr : lf[-1] != '\r')
			ws->octets++;
		p = lf + 1;
	}
	ws->last_cr = end[-1] == '\r';
	ws->last_lf = end[-1] == '\n';
}

int wire_size_end(struct wire_size *ws, uint64_t *ret_octets)
{
	uint64_t n = ws->octets;

	if (!ws->last_lf)
		n += 2;
	if (n < ws->octets)
		return -EOVERFLOW;
	*ret_octets = n;
	return 0;
}
