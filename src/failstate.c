/* Failed logins per client, across connections.
 *
 * One table file, DIR/failures: a header line (format and a random salt),
 * then FAILSTATE_SETS sets of FAILSTATE_WAYS fixed-width records
 * "KEY COUNT LAST". A client's key picks its set by a hash salted with
 * the table's own secret, so an attacker cannot aim addresses at another
 * client's set. A failure costs a fixed number of file operations (open,
 * flock, two preads, one pwrite, close) however many clients are known;
 * a full set gives up its oldest record, never the newest, so the table
 * keeps recording under a flood and the clients over the limit, being
 * the most recent, stay. A damaged table counts as no failures and is
 * started again at the next failure; a crash leaves each record old or
 * new (one pwrite). IPv6 clients count per /64 (FAILSTATE_V6_PREFIX). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "failstate.h"
#include "onepop_limits.h"
#include "log.h"

/* 16,384 clients (1 MiB, sparse until used): far more than guess at once
 * from distinct networks without the firewall's help. */
#define FAILSTATE_SETS 4096
#define FAILSTATE_WAYS 4
#define REC_LEN 64
#define KEY_LEN 31
#define REC_FMT "%-31s %10u %20" PRId64 "\n"
#define HEADER_FMT "onepop-failstate 1 %016" PRIx64
#define TABLE "failures"
/* IPv6 clients get a /64 each from their provider: one guesser, many
 * addresses. Counting per /64 keeps that one client (Dovecot's auth
 * penalty counts IPv6 per /48; a /64 still tells neighbours apart). */
#define FAILSTATE_V6_PREFIX 64

int failstate_key(const char *addr, char *out, size_t size)
{
	static const char allowed[] = "0123456789abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ.:-";
	unsigned char a6[16];
	size_t n = strlen(addr);

	if (inet_pton(AF_INET6, addr, a6) == 1) {
		char buf[INET6_ADDRSTRLEN];
		static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(a6, v4mapped, sizeof(v4mapped)) == 0)
			return inet_ntop(AF_INET, a6 + 12, out, (socklen_t)size) ? 0 : -EINVAL;
		memset(a6 + FAILSTATE_V6_PREFIX / 8, 0, 16 - FAILSTATE_V6_PREFIX / 8);
		if (!inet_ntop(AF_INET6, a6, buf, sizeof(buf)))
			return -EINVAL;
		return snprintf(out, size, "%s/%d", buf, FAILSTATE_V6_PREFIX) < (int)size ? 0 : -EINVAL;
	}
	if (n == 0 || n >= size || n > KEY_LEN || strspn(addr, allowed) != n)
		return -EINVAL;
	memcpy(out, addr, n + 1);
	return 0;
}

/* FNV-1a over the salt and the key. */
static size_t set_of(uint64_t salt, const char *key)
{
	uint64_t h = 14695981039346656037ULL;

	for (int i = 0; i < 8; i++)
		h = (h ^ ((salt >> (8 * i)) & 0xff)) * 1099511628211ULL;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)(h % FAILSTATE_SETS);
}

static off_t set_offset(size_t set)
{
	return (off_t)REC_LEN + (off_t)set * FAILSTATE_WAYS * REC_LEN;
}

static int read_salt(int fd, uint64_t *ret)
{
	char buf[REC_LEN + 1];
	char want[REC_LEN];
	uint64_t salt;

	if (pread(fd, buf, REC_LEN, 0) != REC_LEN)
		return -EBADMSG;
	buf[REC_LEN] = '\0';
	if (sscanf(buf, "onepop-failstate 1 %16" SCNx64, &salt) != 1)
		return -EBADMSG;
	snprintf(want, sizeof(want), HEADER_FMT, salt);
	if (strncmp(buf, want, strlen(want)) != 0)
		return -EBADMSG;
	*ret = salt;
	return 0;
}

struct rec {
	char key[KEY_LEN + 1];
	unsigned count;
	int64_t last;
};

/* One record; a damaged or empty one reads as unused. */
static void parse_rec(const char *p, struct rec *r)
{
	char buf[REC_LEN + 1], key[KEY_LEN + 1];

	memset(r, 0, sizeof(*r));
	memcpy(buf, p, REC_LEN);
	buf[REC_LEN] = '\0';
	if (buf[REC_LEN - 1] != '\n' ||
	    sscanf(buf, "%31s %10u %20" SCNd64, key, &r->count, &r->last) != 3 || r->last < 0) {
		r->count = 0;
		r->last = 0;
		return;
	}
	memcpy(r->key, key, sizeof(key));
}

static unsigned decayed(const struct rec *r, unsigned window)
{
	return (int64_t)time(NULL) - r->last < (int64_t)window ? r->count : 0;
}

/* The set of key in the open table: its records in set[]. */
static int read_set(int fd, const char *key, size_t *ret_set, struct rec set[FAILSTATE_WAYS])
{
	char buf[FAILSTATE_WAYS * REC_LEN];
	uint64_t salt;
	ssize_t n;

	if (read_salt(fd, &salt) < 0)
		return -EBADMSG;
	*ret_set = set_of(salt, key);
	n = pread(fd, buf, sizeof(buf), set_offset(*ret_set));
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(buf))
		memset(buf + n, 0, sizeof(buf) - (size_t)n);
	for (int i = 0; i < FAILSTATE_WAYS; i++)
		parse_rec(buf + (size_t)i * REC_LEN, &set[i]);
	return 0;
}

int failstate_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		snprintf(err, errlen, "--fail-state %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--fail-state %s: not a directory", dir);
		return -ENOTDIR;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "--fail-state %s: cannot write there: %s (under systemd, "
		         "give the unit StateDirectory= or ReadWritePaths=)", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

unsigned failstate_recent(const char *dir, const char *addr, unsigned window, int64_t *ret_last)
{
	struct rec set[FAILSTATE_WAYS] = { 0 };
	char key[KEY_LEN + 1], path[MAX_PATH];
	unsigned count = 0;
	size_t s;
	int fd;

	*ret_last = 0;
	if (!dir || failstate_key(addr, key, sizeof(key)) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/" TABLE, dir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH) == 0 && read_set(fd, key, &s, set) == 0)
		for (int i = 0; i < FAILSTATE_WAYS; i++)
			if (strcmp(set[i].key, key) == 0) {
				count = decayed(&set[i], window);
				*ret_last = set[i].last;
			}
	close(fd);
	return count;
}

/* A new table (or one that was damaged): a fresh salt, all records unused. */
static int start_table(int fd)
{
	char header[REC_LEN + 1];
	uint64_t salt = (uint64_t)arc4random() << 32 | arc4random();
	int n = snprintf(header, sizeof(header), HEADER_FMT, salt);

	memset(header + n, ' ', REC_LEN - 1 - (size_t)n);
	header[REC_LEN - 1] = '\n';
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, set_offset(FAILSTATE_SETS)) < 0 ||
	    pwrite(fd, header, REC_LEN, 0) != REC_LEN)
		return -errno ? -errno : -EIO;
	return 0;
}

static unsigned note_failed(const char *path, const char *what)
{
	log_msg(LOG_ERR, "fail-state %s: %s: %s (this failure is not remembered)", path, what,
	        strerror(errno));
	return 0;
}

unsigned failstate_note(const char *dir, const char *addr, unsigned window)
{
	struct rec set[FAILSTATE_WAYS] = { 0 };
	char key[KEY_LEN + 1], path[MAX_PATH], line[REC_LEN + 1];
	int64_t now = (int64_t)time(NULL);
	unsigned count;
	int fd, way = -1;
	size_t s;

	if (!dir || failstate_key(addr, key, sizeof(key)) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/" TABLE, dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return note_failed(path, "open");
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return note_failed(path, "lock");
	}
	if (read_set(fd, key, &s, set) < 0 &&
	    (start_table(fd) < 0 || read_set(fd, key, &s, set) < 0)) {
		close(fd);
		return note_failed(path, "cannot start the table");
	}
	/* The client's own record, else an unused or expired one, else the
	 * oldest: a flood of new clients evicts the stalest first. */
	for (int i = 0; i < FAILSTATE_WAYS && way < 0; i++)
		if (strcmp(set[i].key, key) == 0)
			way = i;
	for (int i = 0; i < FAILSTATE_WAYS && way < 0; i++)
		if (!set[i].key[0] || !decayed(&set[i], window))
			way = i;
	if (way < 0) {
		way = 0;
		for (int i = 1; i < FAILSTATE_WAYS; i++)
			if (set[i].last < set[way].last)
				way = i;
		set[way].key[0] = '\0';
	}
	count = strcmp(set[way].key, key) == 0 ? decayed(&set[way], window) : 0;
	if (count < 999999999)
		count++;
	snprintf(line, sizeof(line), REC_FMT, key, count, now);
	if (pwrite(fd, line, REC_LEN, set_offset(s) + (off_t)way * REC_LEN) != REC_LEN) {
		close(fd);
		return note_failed(path, "write");
	}
	close(fd);
	return count;
}
