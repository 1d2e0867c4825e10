/* Private to the Maildir backend: the message list shared by maildir.c
 * (scan, messages, commit) and maildir_cache.c (the size cache file). */
#ifndef ONEPOP_MAILDIR_H
#define ONEPOP_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "limits.h"

/* Names live in one arena (one allocation instead of one per message:
 * memory stays proportional to the count with a small constant). */
struct maildir_msg {
	uint32_t name_off;  /* "new/NAME" or "cur/NAME" in maildir_list.names */
	uint16_t base_len;  /* length of the base name (before ":") */
	uint64_t raw;       /* file size (st_size) */
	uint64_t wire;      /* octets RETR sends before dot-stuffing */
	uint64_t ino;       /* set by scan (0 until then) */
	int64_t mtime;      /* set by scan */
};

struct maildir_list {
	struct maildir_msg *msgs;
	size_t count, cap;
	char *names;
	size_t names_len, names_cap;
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

/* "new/NAME" or "cur/NAME" of message i. */
static inline const char *maildir_name(const struct maildir_list *l, size_t i)
{
	return l->names + l->msgs[i].name_off;
}

/* Append a message named sub/name (sub is "new" or "cur"); 0 or -ENOMEM,
 * -EINVAL for a name Maildir would never hold. */
int maildir_list_add(struct maildir_list *l, const char *sub, const char *name, size_t len,
                     uint64_t raw, uint64_t wire);
void maildir_list_free(struct maildir_list *l);
/* Delivery order of messages a and b (negative, 0 for the same base name,
 * positive). */
int maildir_list_cmp(const struct maildir_list *l, size_t a, size_t b);
/* True when wire is possible for a file of raw octets (every LF may
 * become CRLF, and a last line without LF gets CRLF). */
bool maildir_wire_plausible(uint64_t raw, uint64_t wire);

void maildir_stamp_of(const struct stat *st, struct maildir_stamp *ret);

/* Read the cache: 0 and *ret_list (in delivery order, every value checked)
 * with *ret_fresh true when stamps[0..1] (new/, cur/) match those it was
 * made with; -ENOENT when missing; -EBADMSG when it is not a valid cache. */
int maildir_cache_load(int dir_fd, const struct maildir_stamp stamps[2],
                       struct maildir_list *ret_list, bool *ret_fresh);
/* Replace the cache atomically (temporary file, then rename). The stamps
 * are written only when trusted; failures are ignored: it is a cache. */
void maildir_cache_save(int dir_fd, const struct maildir_stamp stamps[2], bool trusted,
                        const struct maildir_list *l);

/* One line of a cache or ledger file with its LF, which is replaced by
 * NUL: its length, or -EBADMSG when too long, holding a NUL or without LF. */
int maildir_get_line(FILE *f, char *buf, size_t size);

/* What the UIDL ledger knows of each listed message (maildir_ledger.c). */
struct maildir_ledger_meta_msg {
	unsigned char digest[16];   /* MD5 of the first 4 KB */
	bool have_digest;
	bool matched;               /* found in the ledger */
};
struct maildir_ledger_meta {
	struct maildir_ledger_meta_msg *msgs;   /* one per listed message */
	bool dirty;                 /* the ledger on disk differs: save it */
};

struct backend_ctx;
struct options;
/* The UIDL of a base name: itself, or "onepop-" + hex MD5 when it is not
 * 1-70 characters 0x21-0x7E. */
void maildir_name_uidl(const char *base, size_t len, char out[MAX_UIDL + 1]);
/* "onepop-" + the hex of an MD5 digest: a derived UIDL. */
void maildir_derived_uidl(const unsigned char d[16], char out[MAX_UIDL + 1]);
/* The backend's configure hook: refuses --uidl-format=popa3d, an mbox
 * scheme (maildir_migrate.c). 0 or -EINVAL after saying why. */
int maildir_migrate_configure(const struct options *opt);
/* Replace the UIDLs of the messages the ledger did not match with those
 * of the old server (--uidl-format, maildir_migrate.c). 0, -ENOMEM, or
 * -EBADMSG for an old list that cannot be read. */
int maildir_migrate_uidls(int dir_fd, const struct maildir_list *l, char (*uidls)[MAX_UIDL + 1],
                          const struct maildir_ledger_meta *meta, const struct options *opt);
/* Give the listed messages (uidls[i] holds each one's name-derived UIDL
 * on entry) the UIDLs the ledger remembers, fill meta (msgs calloc'd by
 * the caller) and ctx->uidl. 0 or -ENOMEM; a missing or bad ledger is
 * not an error (every message is then new). */
int maildir_ledger_apply(int dir_fd, const struct maildir_list *l, char (*uidls)[MAX_UIDL + 1],
                         struct maildir_ledger_meta *meta, struct backend_ctx *ctx);
/* Write the ledger atomically for the listed messages not deleted
 * (deleted may be NULL); since is when this session scanned. Failures
 * are ignored: the next session rebuilds what it can. */
void maildir_ledger_save(int dir_fd, const struct maildir_list *l,
                         const char (*uidls)[MAX_UIDL + 1], const struct maildir_ledger_meta *meta,
                         const bool *deleted, int64_t since);

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

/* Take DIR/onepop-session.lock for this session (maildir_lock.c): 0 and
 * *ret_fd, or -EWOULDBLOCK with holder (if holder_size) describing the
 * session that has it ("from ADDR since TIME", or "" if unknown). */
int maildir_lock(int dir_fd, const char *remote, int *ret_fd, char *holder, size_t holder_size);
/* Describe the holder of the lock file now in place ("" if none). */
void maildir_lock_holder(int dir_fd, char *holder, size_t holder_size);
/* Remove the lock if it is still ours, and close lock_fd (-1: nothing). */
void maildir_unlock(int dir_fd, int lock_fd);

#endif
