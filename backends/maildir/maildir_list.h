/* The Maildir message list (maildir_list.c): names, sizes, UIDLs and the
 * delivery order of the messages of new/ and cur/. The leaf of the
 * Maildir backend: every other Maildir file may use it, it uses none. */
#ifndef ONEPOP_MAILDIR_LIST_H
#define ONEPOP_MAILDIR_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
	 * renamed it during the session (maildir_relocate). Kept apart so
	 * that the names arena never moves once UIDLs point into it. */
	char **moved;
};

/* A directory's state: a cache made when new/ and cur/ looked like
 * this still lists exactly their files. */
struct maildir_stamp {
	uint64_t dev, ino;
	int64_t sec;
	int64_t nsec;
};

/* The two subdirectories, in the order of maildir_stamp arrays. */
extern const char *const maildir_subdirs[2];

/* Longest file name (NAME_MAX). */
#define MAILDIR_MAX_NAME 255

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
/* The same order between message a of list la and message b of list lb. */
int maildir_list_cmp2(const struct maildir_list *la, size_t a, const struct maildir_list *lb,
                      size_t b);
/* Whether messages a and b have the same place in the order
 * (maildir_list_cmp() == 0), told quickly for the usual names. */
bool maildir_list_same(const struct maildir_list *l, size_t a, size_t b);
/* Sort the list in delivery order: 0 or -ENOMEM. */
int maildir_list_sort(struct maildir_list *l);
/* The value of a base name's leading number when it has 1-19 digits
 * (true): then names whose values differ are in the order of the values
 * (maildir_list_cmp), which is quicker to compare. */
bool maildir_lead_number(const char *base, size_t len, uint64_t *ret);
/* True when wire is possible for a file of raw octets (every LF may
 * become CRLF, and a last line without LF gets CRLF). */
bool maildir_wire_plausible(uint64_t raw, uint64_t wire);

void maildir_stamp_of(const struct stat *st, struct maildir_stamp *ret);

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

#endif
