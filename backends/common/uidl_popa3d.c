/* popa3d 1.0.x's header-digest UIDLs; what is hashed: uidl_popa3d.h. */
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "uidl_popa3d.h"

void uidl_popa3d_init(struct uidl_popa3d *p)
{
	memset(p, 0, sizeof(*p));
	MD5Init(&p->ctx);
	p->in_header = true;
}

static bool starts(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len >= n && strncasecmp(line, name, n) == 0;
}

void uidl_popa3d_line(struct uidl_popa3d *p, const char *line, size_t len)
{
	if (!p->in_header || len == 0)
		return;
	if (line[0] == '\n') {
		p->in_header = false;
		return;
	}
	/* popa3d dispatches on the first octet; only these letters can
	 * start a chosen line (its X-Delivery-ID: check is for 'X' only). */
	switch (line[0]) {
	case ' ':
	case '\t':
		break;              /* a continuation: chosen as its header is */
	case 'R':
	case 'r':
		/* Only the first Received: line, written by the local MTA. */
		p->chosen = !p->received && starts(line, len, "Received:");
		if (p->chosen)
			p->received = true;
		break;
	case 'D':
	case 'd':
		p->chosen = starts(line, len, "Delivered-To:") ||
		            (!p->received && starts(line, len, "Date:"));
		break;
	case 'M':
	case 'm':
		p->chosen = !p->received && starts(line, len, "Message-ID:");
		break;
	case 'X':
		p->chosen = starts(line, len, "X-Delivery-ID:");
		break;
	default:
		p->chosen = false;
		break;
	}
	if (p->chosen)
		MD5Update(&p->ctx, (const unsigned char *)line, len);
}

void uidl_popa3d_more(struct uidl_popa3d *p, const char *buf, size_t len)
{
	if (p->in_header && p->chosen)
		MD5Update(&p->ctx, (const unsigned char *)buf, len);
}

void uidl_popa3d_end(struct uidl_popa3d *p, char out[MAX_UIDL + 1])
{
	/* popa3d prints octets 3 2 1 0 7 6 5 4 of the digest. */
	static const unsigned char order[8] = { 3, 2, 1, 0, 7, 6, 5, 4 };
	unsigned char md[MD5_DIGEST_LENGTH], shown[sizeof(order)];

	MD5Final(md, &p->ctx);
	for (size_t i = 0; i < sizeof(order); i++)
		shown[i] = md[order[i]];
	hex_encode(shown, sizeof(shown), out);
}
