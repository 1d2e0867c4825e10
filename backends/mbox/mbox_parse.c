/* The mbox parser, shared by the scan at login and the check before the
 * rewrite at QUIT.
 *
 * The file is read with pread(2) in blocks of SCAN_BLOCK bytes and split
 * into lines with memchr; a line longer than the block comes in parts of
 * at most SCAN_BLOCK bytes (so memory does not grow with the longest
 * line a sender can write); nothing but the headers is digested (for the
 * UIDLs), so the scan costs about a copy of the file from the page
 * cache.
 *
 * What the rewrite relies on is recorded per message: the offsets of its
 * From_ line, body and end, and a 64-bit fingerprint of its From_ line
 * and header (the first half of the UIDL digest, uidl_digest.h). Before
 * the rewrite, under the locks, the same parser runs over the bytes seen
 * at login in check mode: every message must be found again at the same
 * offsets with the same fingerprint, no more and no fewer, else -ESTALE
 * and the file is left alone. A program that rewrote the mailbox, even
 * to the same length, moves or changes a From_ line or header (a new or
 * removed message adds or drops a From_ line in the range), so it is
 * caught; what can pass unseen is an in-place edit of a body that keeps
 * every boundary, and that loses no message (a kept message is copied
 * as it is now). A whole-file digest at login would catch that too, but
 * it was 60% of a 100,000-message login; this check costs nothing at
 * login and one read of the file at QUIT with deletions, which the copy
 * needs anyway. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mbox.h"
#include "md5_lanes.h"
#include "uidl_digest.h"
#include "uidl_popa3d.h"

#define SCAN_BLOCK ((size_t)256 * 1024)

struct reader {
	int fd;
	char *buf;
	size_t cap, pos, len;   /* lines in buf[pos, len) */
	off_t off;              /* file offset of buf[len] */
	off_t left;             /* bytes still allowed; < 0: to EOF */
	bool eof;
};

static int reader_fill(struct reader *rd)
{
	size_t want;
	ssize_t n;

	/* Keep the partial line (never a full buffer: reader_line hands
	 * that out as a part). */
	memmove(rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
	rd->len -= rd->pos;
	rd->pos = 0;
	want = rd->cap - rd->len;
	if (rd->left >= 0 && (off_t)want > rd->left)
		want = (size_t)rd->left;
	do
		n = want ? pread(rd->fd, rd->buf + rd->len, want, rd->off) : 0;
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		rd->eof = true;
	rd->len += (size_t)n;
	rd->off += n;
	if (rd->left >= 0)
		rd->left -= n;
	return 0;
}

/* The next line with its LF (the last one may have none), or the next
 * part of a line longer than the buffer (*whole false: more of the same
 * line follows): 1, 0 at the end, or a negative errno. */
static int reader_line(struct reader *rd, const char **line, size_t *len, bool *whole)
{
	for (;;) {
		const char *p = rd->buf + rd->pos;
		const char *lf = memchr(p, '\n', rd->len - rd->pos);
		int r;

		if (lf || (rd->eof && rd->pos < rd->len) || (rd->pos == 0 && rd->len == rd->cap)) {
			*len = lf ? (size_t)(lf - p) + 1 : rd->len - rd->pos;
			*whole = lf || rd->eof;
			*line = p;
			rd->pos += *len;
			return 1;
		}
		if (rd->eof)
			return 0;
		if ((r = reader_fill(rd)) < 0)
			return r;
	}
}

/* A quoted From_ line (mboxrd): ">", more ">"s (at most MBOX_QUOTE_MAX),
 * then "From ". */
bool mbox_is_quoted_from(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && i <= MBOX_QUOTE_MAX && line[i] == '>')
		i++;
	if (i > MBOX_QUOTE_MAX)
		return false;
	return i > 0 && len - i >= 5 && memcmp(line + i, "From ", 5) == 0;
}

static bool is_blank(const char *line, size_t len)
{
	return (len == 1 && line[0] == '\n') || (len == 2 && line[0] == '\r' && line[1] == '\n');
}

struct parse {
	struct mbox *m;
	struct msginfo *info;
	bool check;             /* compare with m->msgs, store nothing */
	size_t count, cap;
	struct mbox_msg cur;
	/* Scan mode: a message whose header fit its slot's stage waits
	 * (pending[i], its index in m->msgs) until lanes of them can be
	 * hashed together (md5_lanes.h); d is the current message's slot. */
	struct uidl_digest slot[MD5_LANES_MAX], *d;
	size_t npending, pending[MD5_LANES_MAX], lanes;
	struct uidl_popa3d p3;  /* m->uidl_popa3d: the UIDL, d only the fp */
	uint64_t size;          /* wire octets of cur so far */
	bool last_lf;           /* cur's last line ended in LF */
	char last_byte;         /* the last octet of cur so far (a part's CR) */
};

static int grow(struct parse *ps)
{
	size_t ncap = ps->cap ? ps->cap * 2 : 64;
	void *p = reallocarray(ps->m->msgs, ncap, sizeof(*ps->m->msgs));

	if (!p)
		return -ENOMEM;
	ps->m->msgs = p;
	p = reallocarray(ps->info, ncap, sizeof(*ps->info));
	if (!p)
		return -ENOMEM;
	ps->info = p;
	ps->cap = ncap;
	return 0;
}

/* The digests of the pending messages, all at once. */
static void flush_pending(struct parse *ps)
{
	const unsigned char *data[MD5_LANES_MAX];
	unsigned char md[MD5_LANES_MAX][16];
	size_t len[MD5_LANES_MAX];
	char popa3d[MAX_UIDL + 1];

	for (size_t i = 0; i < ps->npending; i++) {
		data[i] = ps->slot[i].stage;
		len[i] = ps->slot[i].staged;
	}
	md5_lanes(ps->npending, data, len, md);
	for (size_t i = 0; i < ps->npending; i++) {
		struct mbox_msg *msg = &ps->m->msgs[ps->pending[i]];

		/* With --uidl-format=popa3d the UIDL is set already: keep it. */
		if (ps->m->uidl_popa3d) {
			memcpy(popa3d, msg->uidl, sizeof(popa3d));
			uidl_digest_result(&ps->slot[i], md[i], msg->uidl, &msg->fp);
			memcpy(msg->uidl, popa3d, sizeof(popa3d));
		} else {
			uidl_digest_result(&ps->slot[i], md[i], msg->uidl, &msg->fp);
		}
	}
	ps->npending = 0;
}

/* The current message ends at end; a blank line before it (blank
 * octets), when the next From_ line or EOF follows, is the separator. */
static int end_message(struct parse *ps, off_t end, size_t blank)
{
	char scratch[MAX_UIDL + 1];
	struct mbox_msg *want;
	int r;

	ps->cur.end = end - (off_t)blank;
	if (blank)
		ps->size -= 2;      /* the separator was counted as a line */
	if (!ps->last_lf)
		ps->size += 2;      /* a last line without LF gets CRLF */
	if (ps->check) {
		uidl_digest_finish(ps->d, scratch, &ps->cur.fp);
		want = ps->count < ps->m->count ? &ps->m->msgs[ps->count] : NULL;
		if (!want || want->from != ps->cur.from || want->body != ps->cur.body ||
		    want->end != ps->cur.end || want->fp != ps->cur.fp)
			return -ESTALE;
		ps->count++;
		return 0;
	}
	if (ps->count == ps->cap && (r = grow(ps)) < 0)
		return r;
	ps->info[ps->count].size = ps->size;
	ps->m->msgs[ps->count] = ps->cur;
	want = &ps->m->msgs[ps->count];
	if (ps->d->spilled) {
		uidl_digest_finish(ps->d, want->uidl, &want->fp);
	} else {
		ps->pending[ps->npending++] = ps->count;
		if (ps->npending == ps->lanes)
			flush_pending(ps);
	}
	/* After the digest's: popa3d's UIDL wins, the fp stays. */
	if (ps->m->uidl_popa3d)
		uidl_popa3d_end(&ps->p3, want->uidl);
	ps->count++;
	return 0;
}

/* A From_ line at off (len octets of it, maybe a first part) starts a
 * message: its offsets, size and UIDL state begin there. */
static void start_message(struct parse *ps, off_t off, const char *line, size_t len)
{
	ps->cur.from = off;
	ps->cur.body = off + (off_t)len;
	ps->size = 0;
	ps->last_lf = true;
	/* Check mode compares at once: slot 0 is always free. */
	ps->d = &ps->slot[ps->npending];
	uidl_digest_init(ps->d);
	uidl_digest_raw(ps->d, line, len);
	if (ps->m->uidl_popa3d)
		uidl_popa3d_init(&ps->p3);
}

/* One line of a message (not its From_ line), or a part of one (first:
 * it starts the line; whole: it ends it): size and UIDL digest. */
static void message_line(struct parse *ps, const char *line, size_t len, bool first, bool whole)
{
	char before = ps->last_byte;

	/* popa3d hashes the line as stored, still quoted. */
	if (ps->m->uidl_popa3d && !ps->check) {
		if (first)
			uidl_popa3d_line(&ps->p3, line, len);
		else
			uidl_popa3d_more(&ps->p3, line, len);
	}
	if (first && len && (line[0] == '>') && mbox_is_quoted_from(line, len)) {
		line++;
		len--;
	}
	if (len)
		ps->last_byte = line[len - 1];
	/* Every line ending counts as CRLF on the wire. */
	ps->size += len;
	ps->last_lf = whole && ps->last_byte == '\n';
	if (ps->last_lf && (len >= 2 ? line[len - 2] != '\r' : len == 1 && (first || before != '\r')))
		ps->size++;
	if (first && whole)
		uidl_digest_line(ps->d, line, len);
	else
		uidl_digest_part(ps->d, line, len, whole);
}

/* Past the header, the lines that neither start a message nor are
 * quoted need only their size counted: most of a mailbox is such lines.
 * Consumes the whole ones in the buffer up to the first line starting
 * with 'F' or '>', leaving that one (and a partial line) to the caller,
 * with the same effect on size, last_lf, *off and *prev_blank as
 * message_line would have. */
static void skip_body(struct parse *ps, struct reader *rd, off_t *off, size_t *prev_blank)
{
	const char *p = rd->buf + rd->pos, *e = rd->buf + rd->len, *lf;
	uint64_t size = ps->size;
	size_t len = 0;

	while (p < e && *p != 'F' && *p != '>' && (lf = memchr(p, '\n', (size_t)(e - p)))) {
		len = (size_t)(lf - p) + 1;
		size += len + (len < 2 || lf[-1] != '\r');
		p = lf + 1;
	}
	if (p == rd->buf + rd->pos)
		return;
	*off += p - (rd->buf + rd->pos);
	*prev_blank = is_blank(p - len, len) ? len : 0;
	rd->pos = (size_t)(p - rd->buf);
	ps->size = size;
	ps->last_lf = true;
}

int mbox_parse(struct mbox *m, off_t limit, struct msginfo **ret_info)
{
	struct parse ps = { .m = m, .check = !ret_info, .lanes = md5_lanes_width() };
	struct reader rd = { .fd = m->fd, .left = limit, .cap = SCAN_BLOCK };
	const char *line;
	size_t len, prev_blank = 0;
	off_t off = 0;
	bool in_msg = false, whole = true, at_start = true, in_from = false;
	int r;

	if (!(rd.buf = malloc(rd.cap)))
		return -ENOMEM;
	/* popa3d's header may go on past ours (uidl_popa3d.h): it sees every line. */
	for (;;) {
		bool from;

		if (at_start && in_msg && !ps.d->in_header && !(m->uidl_popa3d && !ps.check))
			skip_body(&ps, &rd, &off, &prev_blank);
		if ((r = reader_line(&rd, &line, &len, &whole)) <= 0)
			break;
		if (!at_start) {
			/* More of a long line: of the From_ line, or of the message. */
			if (in_from) {
				uidl_digest_raw(ps.d, line, len);
				ps.cur.body += (off_t)len;
			} else {
				message_line(&ps, line, len, false, whole);
			}
			off += (off_t)len;
			at_start = whole;
			in_from = in_from && !whole;
			continue;
		}
		/* line points into bytes pread() filled; the analyzer cannot see that. */
		from = len >= 5 && line[0] == 'F' && // NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult)
		            memcmp(line, "From ", 5) == 0 &&
		            (off == 0 || prev_blank);

		if (off == 0 && !from) {
			r = -EINVAL;        /* not an mbox */
			break;
		}
		if (from) {
			if (in_msg && (r = end_message(&ps, off, prev_blank)) < 0)
				break;
			start_message(&ps, off, line, len);
			in_msg = true;
			in_from = !whole;
		} else {
			message_line(&ps, line, len, true, whole);
		}
		prev_blank = whole && is_blank(line, len) ? len : 0;
		off += (off_t)len;
		at_start = whole;
	}
	/* A last blank line is the final separator, as MDAs write it. */
	if (r == 0 && in_msg)
		r = end_message(&ps, off, prev_blank);
	if (r == 0 && ps.npending)
		flush_pending(&ps);
	free(rd.buf);
	if (r == 0 && !ret_info && (ps.count != m->count || off != limit))
		r = -ESTALE;        /* messages gone, or the file shorter */
	if (!ret_info)
		return r;
	if (r < 0) {
		free(ps.info);
		return r;
	}
	m->count = ps.count;
	m->scan_size = off;
	*ret_info = ps.info;
	return 0;
}
