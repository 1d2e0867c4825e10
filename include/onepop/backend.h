/* The mailbox backend interface: the only header a new backend needs.
 *
 * A backend serves one user's mailbox for one session. The core calls,
 * in order: open (lock it) → scan (the messages present now) → any
 * number of msg_open/msg_read/msg_close → commit (only after QUIT, with
 * the deletions) → close (always; unlock, free, roll back anything not
 * committed). Message numbering and deleted flags live in the core:
 * backends see 0-based indexes into the list their scan returned.
 *
 * Every function returns 0 (or a count) on success, a negative errno on
 * failure. The core maps errors to replies:
 *   -EWOULDBLOCK           "-ERR [IN-USE]"   another session has the lock
 *   -ENOENT -ENOTDIR -EACCES -EPERM -ELOOP
 *                          "-ERR [SYS/PERM]" no such mailbox / not allowed
 *   anything else          "-ERR [SYS/TEMP]" try again later
 * Backends do not log; the core logs what they return.
 *
 * backends/memory/memory.c is a small example that uses nothing else.
 * To add a backend: write backends/NAME.c defining
 * `const struct backend_ops backend_NAME`, add it to backends/registry.c
 * and to the list in meson.build. Embed struct mailbox first in your
 * private state and cast back in each function. */
#ifndef ONEPOP_BACKEND_H
#define ONEPOP_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "onepop_limits.h"

struct backend_ops;

/* Longest description of a lock's holder ("from ADDR since TIME"). */
#define BACKEND_HOLDER_MAX 160

/* What a backend needs from the options, filled once by the core
 * (options_backend_config) so that no backend reads the option struct. */
struct backend_config {
	/* RFC 2449 §6.5/§6.7, for backends with BACKEND_EXPIRY */
	bool expire;                /* --expire given */
	unsigned expire_days;
	unsigned login_delay;       /* seconds between logins; 0: off */
	const char *uidl_format;    /* --uidl-format; NULL: the default */
	unsigned timeout;           /* seconds a helper may stay silent; 0: none */
	/* --exec and its --exec-arg, NULL-terminated; [0] NULL: not given */
	const char *exec_argv[MAX_EXEC_ARGS + 2];
	bool helper_stderr;         /* the log goes to stderr (--debug): a
	                             * helper may write there too */
};

/* What the core tells a backend about the session at open. Never NULL;
 * lives until close, so a backend may keep the pointer. */
struct backend_session {
	const struct backend_config *config;   /* never NULL */
	const char *remote;         /* the client's address (for the lock record) */
	bool readonly;              /* --scan: no lock, write nothing at all */
	bool uidl_hold;             /* do not record changed UIDLs: the core
	                             * refuses such a login (--uidl-guard=refuse) */
	/* set by the core after scan (NULL before): retrieved[i] is true
	 * once message i was sent whole by RETR; with --expire, commit marks
	 * those seen (Maildir: the S flag; mbox: Status RO; MH: the sequence
	 * onepopretrieved) */
	const bool *retrieved;
};

/* UIDL continuity across sessions, as a backend with a UIDL ledger
 * (Maildir's onepop-uidl) found it at scan. */
struct backend_uidl_report {
	bool known;         /* a ledger from an earlier session was read */
	bool lost;          /* there was one, unusable: rebuilt */
	size_t kept;        /* messages whose UIDL the ledger supplied */
	size_t renamed;     /* of those, found again under another name */
	size_t gone;        /* ledger entries with no message now */
	size_t changed;     /* messages seen before that got a new UIDL */
};

/* What a backend reports back, from open and scan. Never NULL; zeroed by
 * the core before open and valid until close. */
struct backend_report {
	/* on -EAGAIN from open, set when --login-delay refused the login:
	 * seconds until the next login is allowed (at least 1) */
	unsigned login_wait;
	/* from scan: messages --expire removed */
	size_t expired;
	/* from open: the file system had no block or inode left, so the
	 * backend locks without a file of its own and writes none of its
	 * caches, ledger or login-delay record this session */
	bool store_full;
	/* on -EWOULDBLOCK, who holds the lock, e.g. "from 192.0.2.1 since
	 * 2024-05-01T10:00:00Z" (our own text: safe to send), or "" */
	char holder[BACKEND_HOLDER_MAX];
	/* from scan: UIDL continuity (a backend with a UIDL ledger) */
	struct backend_uidl_report uidl;
	/* Printable ASCII explaining the last error a call returned, or "":
	 * logged, and sent to the client only with --transmit-errors. A
	 * backend clears it before each call it may fill it in. */
	char error[MAX_EXEC_ERROR + 1];
};

/* Octets a message takes on the wire before dot-stuffing (RFC 1939 §3):
 * a bare LF counts 2, CRLF 2, and a last line without LF gets 2 more.
 * Feed the raw bytes in any chunks, then read the total with
 * wire_size_end(). (backends/common/wire_size.c) */
struct wire_size {
	uint64_t octets;
	bool last_cr;   /* previous chunk ended in CR */
	bool last_lf;   /* previous byte was LF (or nothing was fed) */
};
void wire_size_init(struct wire_size *ws);
void wire_size_feed(struct wire_size *ws, const char *buf, size_t len);
/* Returns 0, or -EOVERFLOW if the total does not fit. */
int wire_size_end(struct wire_size *ws, uint64_t *ret_octets);

/* What a backend can do (backend_ops.flags). */
enum {
	/* open honours session->readonly: no lock, nothing written (--scan) */
	BACKEND_READONLY = 1 << 0,
	/* enforces --expire and --login-delay (RFC 2449 §6.5, §6.7) through
	 * backend_config; main refuses those options for the others */
	BACKEND_EXPIRY = 1 << 1,
	/* may serve a test stand-in byte for byte (--faithful) */
	BACKEND_FAITHFUL = 1 << 2,
};

/* The start of every backend's private state. */
struct mailbox {
	const struct backend_ops *ops;
};

/* What scan reports for each message. */
struct msginfo {
	uint64_t size;              /* octets RETR sends before dot-stuffing:
	                             * every line ending counted as CRLF;
	                             * use wire_size_*() above */
	/* 1-70 chars 0x21-0x7E, unique, stable; points into the backend's
	 * own storage (no copy per message), valid until close. */
	const char *uidl;
};

struct backend_ops {
	const char *name;
	/* --mailbox template used when none is given. */
	const char *default_mailbox;
	/* Group kept as the saved gid after the privilege drop unless
	 * --mail-group says otherwise (NULL: none). The backend switches
	 * to it with setegid() only around the steps that need it; the
	 * core gives it up for good after close. */
	const char *privileged_group;
	unsigned flags;             /* BACKEND_* */
	/* The --uidl-format values it takes, NULL-terminated (an entry
	 * ending in ':' takes any text after it); NULL: none. The core
	 * checks the option against it once, before configure. */
	const char *const *uidl_formats;
	/* Why another value is refused: appended to "--uidl-format=VALUE". */
	const char *uidl_format_refusal;

	/* Open and lock the mailbox at path for this session (none with
	 * session->readonly). session and report stay valid until close. */
	int (*open)(const char *path, const struct backend_session *session,
	            struct backend_report *report, struct mailbox **ret_mb);

	/* List the messages present now, in a stable order. *ret_msgs is
	 * malloc'd and owned by the caller. Called once, right after open. */
	int (*scan)(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count);

	/* Stream message idx as raw bytes (LF or CRLF line endings, no
	 * dot-stuffing, mbox quoting already undone): msg_read returns the
	 * bytes read, 0 at the end, or a negative errno. One message is open
	 * at a time; msg_close is called after every successful msg_open. */
	int (*msg_open)(struct mailbox *mb, size_t idx);
	ssize_t (*msg_read)(struct mailbox *mb, void *buf, size_t len);
	void (*msg_close)(struct mailbox *mb);
	/* Optional: RETR read message idx whole (after msg_close) and it was
	 * not the size scan listed; the core drops the connection next. A
	 * backend that took the size on trust (Maildir's ,W=) corrects it
	 * for the next session. */
	void (*msg_size_wrong)(struct mailbox *mb, size_t idx);

	/* UPDATE state (RFC 1939 §6): remove the messages whose deleted[i] is
	 * true, crash-safely. Mail that arrived since scan must survive. */
	int (*commit)(struct mailbox *mb, const bool *deleted, size_t count);

	/* Optional: after a successful commit, before the QUIT reply, give
	 * up the session lock, so that a client that logs in again as soon
	 * as it has "+OK" is not refused [IN-USE]. What close does after it
	 * must need no lock. */
	void (*release)(struct mailbox *mb);

	/* Unlock and free. Must accept NULL. Nothing not committed changes. */
	void (*close)(struct mailbox *mb);

	/* Optional. Called once in main, before any session; returns 0 or
	 * -EINVAL after printing why to stderr. */
	int (*configure)(const struct backend_config *config);
};

/* The compiled-in backends, NULL-terminated; the first is the default. */
extern const struct backend_ops *const backends[];

/* The backend called name, or NULL. */
const struct backend_ops *backend_find(const char *name);

/* The names of the compiled-in backends with every flag in flags, as
 * "a, b, c" ("" for none), malloc'd; NULL when out of memory. */
char *backend_names(unsigned flags);

/* 0 when b takes --uidl-format=fmt (fmt NULL: the default, always);
 * otherwise prints why to stderr and returns -EINVAL. */
int backend_uidl_format_check(const struct backend_ops *b, const char *fmt);

#endif
