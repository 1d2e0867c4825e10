/* UIDLs of the server a Maildir comes from (--uidl-format), so that moving
 * users to onepop does not make their clients download everything again.
 * Applied to the messages the UIDL ledger does not know yet (on the first
 * login after the move, all of them); the ledger keeps them from then on.
 *
 *   maildir       the base name: qmail-pop3d, Dovecot's %f, onepop
 *   dovecot       "%08Xu%08Xv" (Dovecot's old default) from DIR/dovecot-uidlist:
 *                 header "3 V<uidvalidity> N<next> ..." (v3) or "1 <uidv> <next>"
 *                 (v1), then "<uid> [fields] :<name>" (v3) or "<uid> <name>"
 *   courier       "UID<n>-<uidvalidity>" from DIR/courierimapuiddb:
 *                 "1 <uidvalidity> <next>", then "<uid> <name>"
 *   x-uidl        the X-UIDL: header qpopper (and others) put in each message
 *   map:FILE      FILE in the Maildir (a plain name), "<name> <uidl>" a line:
 *                 an offline import of any old server's list
 * A message these do not cover, or whose old UIDL is not 1-70 characters
 * 0x21-0x7E or is used by an earlier message, keeps the name's UIDL. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "maildir_migrate.h"

/* An old list bigger than this is not one. */
#define MIGRATE_MAX_LINES 10000000
/* How much of a message is searched for X-UIDL (the header only). */
#define XUIDL_HEAD 65536

struct pair {
	char *base;
	char uidl[MAX_UIDL + 1];
};

static bool uidl_ok(const char *s, size_t len)
{
	if (len == 0 || len > MAX_UIDL)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

static int by_base(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->base, ((const struct pair *)b)->base);
}

static void pairs_free(struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].base);
	free(p);
}

/* Read "name uidl" pairs from an old server's file in the Maildir.
 * format: 'd' dovecot-uidlist, 'c' courierimapuiddb, 'm' a map. */
static int pairs_load(int dir_fd, const char *file, char format, struct pair **ret, size_t *ret_n)
{
	char line[1024];
	unsigned long long uidv = 0;
	struct pair *p = NULL;
	size_t n = 0, cap = 0;
	int fd = openat(dir_fd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return -errno;
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return -ENOMEM;
	}
	if (format != 'm') {
		unsigned long long next;
		int ver;
		if (!fgets(line, sizeof(line), f) ||
		    !(sscanf(line, "3 V%llu", &uidv) == 1 ||
		      (sscanf(line, "%d %llu %llu", &ver, &uidv, &next) == 3 && ver == 1)))
			goto bad;
	}
	while (fgets(line, sizeof(line), f) && n < MIGRATE_MAX_LINES) {
		unsigned long long uid = 0;
		char *name, *end, *sp;
		size_t len = strcspn(line, "\n");

		line[len] = '\0';
		if (format == 'm') {
			/* "name uidl" */
			if (!(sp = strchr(line, ' ')))
				continue;
			*sp = '\0';
			name = line;
			end = sp + 1;
		} else {
			uid = strtoull(line, &end, 10);
			if (end == line || *end != ' ' || uid == 0 || uid > 0xffffffffULL)
				continue;
			/* v3 puts extension fields before " :name". */
			name = strstr(end, " :");
			name = name ? name + 2 : end + 1;
		}
		name[strcspn(name, ":")] = '\0';   /* the base name only */
		if (!*name)
			continue;
		if (n == cap) {
			void *q = reallocarray(p, cap ? cap * 2 : 256, sizeof(*p));
			if (!q)
				goto bad;
			p = q;
			cap = cap ? cap * 2 : 256;
		}
		if (format == 'm') {
			if (!uidl_ok(end, strlen(end)))
				continue;
			snprintf(p[n].uidl, sizeof(p[n].uidl), "%s", end);
		} else if (format == 'd') {
			snprintf(p[n].uidl, sizeof(p[n].uidl), "%08llX%08llX", uid, uidv);
		} else {
			snprintf(p[n].uidl, sizeof(p[n].uidl), "UID%llu-%llu", uid, uidv);
		}
		if (!(p[n].base = strdup(name)))
			goto bad;
		n++;
	}
	fclose(f);
	if (n)      /* a header-only list has no array: qsort(NULL) is UB */
		qsort(p, n, sizeof(*p), by_base);
	*ret = p;
	*ret_n = n;
	return 0;
bad:
	fclose(f);
	pairs_free(p, n);
	return -EBADMSG;
}

/* The X-UIDL header's value in the message's header, into out. */
static bool xuidl(int dir_fd, const char *name, char out[MAX_UIDL + 1])
{
	char *buf = malloc(XUIDL_HEAD + 1), *p, *v;
	size_t got = 0;
	ssize_t r;
	bool ok = false;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || !buf)
		goto out;
	while (got < XUIDL_HEAD && (r = read(fd, buf + got, XUIDL_HEAD - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	for (p = buf; *p && *p != '\n' && !(*p == '\r' && p[1] == '\n'); p = strchr(p, '\n') + 1) {
		if (!strchr(p, '\n'))
			break;
		if (strncasecmp(p, "X-UIDL:", 7) != 0)
			continue;
		v = p + 7;
		v += strspn(v, " \t");
		size_t len = strcspn(v, " \t\r\n");
		if ((ok = uidl_ok(v, len))) {
			memcpy(out, v, len);
			out[len] = '\0';
		}
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* Indexes of messages by UIDL, then by position. */
static int by_uidl_then_index(const void *a, const void *b, void *list)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(maildir_uidl(list, x), maildir_uidl(list, y));

	return c ? c : (x > y) - (x < y);
}

int maildir_migrate_uidls(int dir_fd, struct maildir_list *l, const bool *matched,
                          const char *fmt)
{
	struct pair *p = NULL;
	size_t n = 0, *order;
	int r = 0;

	if (!fmt || !strcmp(fmt, "maildir"))
		return 0;
	if (!strcmp(fmt, "dovecot"))
		r = pairs_load(dir_fd, "dovecot-uidlist", 'd', &p, &n);
	else if (!strcmp(fmt, "courier"))
		r = pairs_load(dir_fd, "courierimapuiddb", 'c', &p, &n);
	else if (!strncmp(fmt, "map:", 4))
		r = pairs_load(dir_fd, fmt + 4, 'm', &p, &n);
	/* A missing old list: the names' UIDLs (a user who never used it). */
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!(order = calloc(l->count + 1, sizeof(*order)))) {
		pairs_free(p, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->count && r == 0; i++) {
		/* The base name is a C string in the list (maildir_list.h). */
		struct pair key = { .base = (char *)maildir_base(l, i) }, *hit;
		char path[MAILDIR_PATH_MAX], uidl[MAX_UIDL + 1];

		order[i] = i;
		if (!matched || matched[i])   /* NULL: all matched */
			continue;
		if (!strcmp(fmt, "x-uidl")) {
			if (xuidl(dir_fd, maildir_path(l, i, path), uidl))
				r = maildir_uidl_set(l, i, uidl);
		} else if (p && (hit = bsearch(&key, p, n, sizeof(*p), by_base))) {
			r = maildir_uidl_set(l, i, hit->uidl);
		}
	}
	/* An old UIDL used twice (a message copied with its X-UIDL): the
	 * earlier message keeps it, later ones get their names'. Compared with
	 * the one that keeps it, not the previous: a third copy must not keep
	 * it because the second no longer has it. */
	if (r == 0)
		qsort_r(order, l->count, sizeof(*order), by_uidl_then_index, l);
	for (size_t k = 1, keep = order[0]; r == 0 && k < l->count; k++) {
		if (strcmp(maildir_uidl(l, keep), maildir_uidl(l, order[k])) != 0)
			keep = order[k];
		else if (matched && !matched[order[k]])
			r = maildir_uidl_reset(l, order[k]);
	}
	free(order);
	pairs_free(p, n);
	return r;
}
