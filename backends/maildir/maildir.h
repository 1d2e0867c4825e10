/* Private to the Maildir backend: the message list shared by maildir.c
 * (scan, messages, commit) and maildir_cache.c (the size cache file). */
#ifndef ONEPOP_MAILDIR_H
#define ONEPOP_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "onepop_limits.h"

/* Names live in one arena (one allocation instead of one per message:
 * memory stays proportional to the count with a small constant). Each is
 * stored as "BASE\0", followed by "INFO\0" (what followed the ":") only
 * when that is not one of the usual ones, which a code says; new/ or cur/
 * is a bit. So the base name is a C string: it is the UIDL of almost
 * every message, and msginfo.uidl points at it rather than at a copy. */
enum maildir_info {
	MAILDIR_INFO_NONE,      /* no ":" */
	MAILDIR_INFO_TEXT,      /* ":INFO", INFO stored after the base name */
	MAILDIR_INFO_2,         /* ":2," */
	MAILDIR_INFO_2S,        /* ":2,S" (read by a client: the usual one) */
};
struct maildir_msg {
	uint64_t raw : 53;      /* file size (st_size; 8 PiB is beyond any file system) */
	uint64_t cur : 1;       /* in cur/ (else new/) */
	uint64_t info : 2;      /* enum maildir_info */
	uint64_t base_len : 8;  /* length of the base name (at most NAME_MAX, 255) */
	uint64_t wire;          /* octets RETR sends before dot-stuffing */
	uint64_t ino;           /* set by scan (0 until then) */
	uint32_t name_off;      /* in maildir_list.names */
	uint32_t uidl_off;      /* MAILDIR_UIDL_BASE, or in maildir_list.uidls */
};

/* uidl_off of a message whose UIDL is its base name. */
#define MAILDIR_UIDL_BASE UINT32_MAX
/* Largest file size a message may have (the raw bit-field). */
#define MAILDIR_RAW_MAX ((1ULL << 53) - 1)

struct maildir_list {
	struct maildir_msg *msgs;
	size_t count, cap;
	char *names;
	size_t names_len, names_cap;
	/* UIDLs other than the base name (derived, from the ledger or the
	 * old server), NUL-terminated; rare, so usually empty. */
	char *uidls;
	size_t uidls_len, uidls_cap;
	/* NULL, or per message its current "sub/NAME" after another process
	 * renamed it during the session (relocate in maildir.c). Kept apart
	 * so that the names arena never moves once UIDLs point into it. */
	char **moved;
};

/* A directory's state: a cache made when new/ and cur/ looked like
 * this still lists exactly their files. */
struct maildir_stamp {
	uint64_t dev, ino;
	int64_t sec;
	int64_t nsec;
};

/* Longest file name (NAME_MAX). */
#define MAILDIR_MAX_NAME 255
/* Cache file and its temporary, in the Maildir. */
#define MAILDIR_CACHE "onepop.cache"
#define MAILDIR_CACHE_TMP "onepop.cache.tmp"
/* A cache bigger than this is not ours (100 M messages would not fit). */
#define MAILDIR_CACHE_MAX (1ULL << 32)

/* "sub/NAME" (NAME with its ":INFO") of message i, at most this long. */
#define MAILDIR_PATH_MAX (4 + MAILDIR_MAX_NAME + 1)

/* The base name of message i (NUL-terminated, base_len octets). */
static inline const char *maildir_base(const struct maildir_list *l, size_t i)
{
	return l->names + l->msgs[i].name_off;
}

/* "new/NAME" or "cur/NAME" of message i: built in buf (or the name it
 * was found under again, kept in the list). */
const char *maildir_path(const struct maildir_list *l, size_t i, char buf[MAILDIR_PATH_MAX]);

/* The UIDL of message i (valid until the list is freed or the UIDL set). */
static inline const char *maildir_uidl(const struct maildir_list *l, size_t i)
{
	const struct maildir_msg *m = &l->msgs[i];

	return m->uidl_off == MAILDIR_UIDL_BASE ? l->names + m->name_off : l->uidls + m->uidl_off;
}
/* Give message i the UIDL uidl (1-70 octets 0x21-0x7E): 0 or -ENOMEM.
 * Pointers from maildir_uidl() to other messages' UIDLs may move. */
int maildir_uidl_set(struct maildir_list *l, size_t i, const char *uidl);
/* Give message i the UIDL of its name (maildir_name_uidl): 0 or -ENOMEM. */
int maildir_uidl_reset(struct maildir_list *l, size_t i);

/* Append a message named sub/name (sub is "new" or "cur"); 0 or -ENOMEM,
 * -EINVAL for a name Maildir would never hold. */
int maildir_list_add(struct maildir_list *l, const char *sub, const char *name, size_t len,
                     uint64_t raw, uint64_t wire);
void maildir_list_free(struct maildir_list *l);
/* Delivery order of messages a and b (negative, 0 for the same base name,
 * positive). */
int maildir_list_cmp(const struct maildir_list *l, size_t a, size_t b);
/* The value of a base name's leading number when it has 1-19 digits
 * (true): then names whose values differ are in the order of the values
 * (maildir_list_cmp), which is quicker to compare. */
bool maildir_lead_number(const char *base, size_t len, uint64_t *ret);
/* True when wire is possible for a file of raw octets (every LF may
 * become CRLF, and a last line without LF gets CRLF). */
bool maildir_wire_plausible(uint64_t raw, uint64_t wire);

void maildir_stamp_of(const struct stat *st, struct maildir_stamp *ret);

/* Read the cache: 0 and *ret_list (in delivery order, every value checked)
 * with *ret_fresh true when stamps[0..1] (new/, cur/) match those it was
 * made with; -ENOENT when missing; -EBADMSG when it is not a valid cache.
 * What a hostile file can cost is bounded before anything is built: with
 * fresh_only, a cache whose stamps do not match is -ESTALE after its
 * first three lines; a cache bigger than max_count messages can take
 * (the count listed in the directories, or SIZE_MAX) is -EBADMSG unread. */
int maildir_cache_load(int dir_fd, const struct maildir_stamp stamps[2], size_t max_count,
                       bool fresh_only, struct maildir_list *ret_list, bool *ret_fresh);
/* Replace the cache atomically (temporary file, then rename). The stamps
 * are written only when trusted; failures are ignored: it is a cache. */
void maildir_cache_save(int dir_fd, const struct maildir_stamp stamps[2], bool trusted,
                        const struct maildir_list *l);

/* The lines of a cache or ledger file, read in large blocks (stdio's
 * fgets went through 4 KB reads and a copy of every line). */
#define MAILDIR_LINES_BUF 32768
struct maildir_lines {
	int fd;
	size_t start, end;
	bool eof, bad;      /* bad: a NUL was read */
	char buf[MAILDIR_LINES_BUF];
};
void maildir_lines_init(struct maildir_lines *r, int fd);
/* The next line with its LF, which is replaced by NUL, in *ret (valid
 * until the next call): its length, or -EBADMSG when it would not fit in
 * size octets with LF and NUL (as for fgets), holds a NUL or has no LF. */
int maildir_lines_next(struct maildir_lines *r, char **ret, size_t size);
/* Whether nothing follows the lines read. */
bool maildir_lines_end(struct maildir_lines *r);

/* What the UIDL ledger knows of each listed message (maildir_ledger.c). */
struct maildir_ledger_meta_msg {
	unsigned char digest[16];   /* MD5 of the first 4 KB */
	bool have_digest;
	bool matched;               /* found in the ledger */
};
struct maildir_ledger_meta {
	/* One per listed message; NULL when the ledger on disk lists exactly
	 * these messages (its fast path, the usual login): a rewrite then
	 * copies its lines rather than keeping 18 octets a message. */
	struct maildir_ledger_meta_msg *msgs;
	bool dirty;                 /* the ledger on disk differs: save it */
	bool applied;               /* maildir_ledger_apply succeeded */
};

struct backend_report;
/* Whether a base name is its own UIDL: 1-70 characters 0x21-0x7E. */
bool maildir_uidl_plain(const char *base, size_t len);
/* Whether s holds only 0x21-0x7E. */
bool maildir_printable(const char *s, size_t len);
/* Give every listed message the UIDL of its name (the base name, or the
 * derived one when that is not plain): 0 or -ENOMEM. */
int maildir_name_uidls(struct maildir_list *l);
/* The UIDL of a base name: itself, or "onepop-" + hex MD5 when it is not
 * 1-70 characters 0x21-0x7E. */
void maildir_name_uidl(const char *base, size_t len, char out[MAX_UIDL + 1]);
/* "onepop-" + the hex of an MD5 digest: a derived UIDL. */
void maildir_derived_uidl(const unsigned char d[16], char out[MAX_UIDL + 1]);
/* Replace the UIDLs of the messages the ledger did not match with those
 * of the old server (--uidl-format fmt; NULL: none; maildir_migrate.c).
 * 0, -ENOMEM, or -EBADMSG for an old list that cannot be read. */
int maildir_migrate_uidls(int dir_fd, struct maildir_list *l, const struct maildir_ledger_meta *meta,
                          const char *fmt);
/* Give the listed messages (each with its name's UIDL on entry) the UIDLs the ledger remembers, fill meta (msgs calloc'd by
 * the caller) and report->uidl; uidl_format as maildir_migrate_uidls.
 * 0 or -ENOMEM; a missing or bad ledger is not an error (every message
 * is then new). */
int maildir_ledger_apply(int dir_fd, struct maildir_list *l, struct maildir_ledger_meta *meta,
                         const char *uidl_format, struct backend_report *report);
/* Write the ledger atomically for the listed messages not deleted
 * (deleted may be NULL); since is when this session scanned. Failures
 * are ignored: the next session rebuilds what it can. */
void maildir_ledger_save(int dir_fd, const struct maildir_list *l,
                         const struct maildir_ledger_meta *meta, const bool *deleted,
                         int64_t since);

/* --expire and --login-delay (maildir_expire.c). */
/* The name message name ("new/X" or "cur/X:2,FLAGS") gets once seen: 1
 * and out ("cur/X:2,FLAGS" with S added, flags in ASCII order), 0 when it
 * has it already, -EINVAL for other info than ":2,". */
int maildir_seen_name(const char *name, char *out, size_t size);
/* Unlink the messages in cur/ with the S flag delivered days * 86400
 * seconds before now or earlier; 0 and *ret_removed, or a negative errno. */
int maildir_expire_run(int dir_fd, unsigned days, int64_t now, size_t *ret_removed);
/* The --login-delay record in the Maildir (login_delay.h). */
#define MAILDIR_LOGIN "onepop-login"

/* Where the files of new/ and cur/ are, by base name (maildir_find.c). */
struct maildir_find {
	char *names;            /* "sub/NAME\0"... */
	size_t len, cap;
	uint32_t *offs;         /* into names, sorted by base name */
	size_t count, offs_cap;
	bool built;
};
/* Read new/ and cur/ (again): 0 or -ENOMEM. */
int maildir_find_build(int dir_fd, struct maildir_find *f);
/* "sub/NAME" of a file whose base name is base (blen octets), or NULL. */
const char *maildir_find(const struct maildir_find *f, const char *base, size_t blen);
void maildir_find_free(struct maildir_find *f);

/* Take DIR/onepop-session.lock for this session (maildir_lock.c): 0 and
 * *ret_fd, or -EWOULDBLOCK with holder (if holder_size) describing the
 * session that has it ("from ADDR since TIME", or "" if unknown). */
int maildir_lock(int dir_fd, const char *remote, int *ret_fd, char *holder, size_t holder_size);
/* Describe the holder of the lock file now in place ("" if none). */
void maildir_lock_holder(int dir_fd, char *holder, size_t holder_size);
/* Remove the lock if it is still ours, and close lock_fd (-1: nothing). */
void maildir_unlock(int dir_fd, int lock_fd);

#endif
