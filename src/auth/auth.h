/* Authentication sources behind one interface (--auth=SPEC). */
#ifndef ONEPOP_AUTH_H
#define ONEPOP_AUTH_H

#include <stdbool.h>
#include <sys/types.h>

/* Who a login turned out to be. */
struct user_info {
	char *name;
	uid_t uid;          /* valid when has_ids */
	gid_t gid;
	bool has_ids;       /* false: keep the current identity */
	bool system_user;   /* from the system user database: its groups apply */
	char *home;         /* may be "" */
};
void user_info_clear(struct user_info *u);

struct auth;

struct auth_ops {
	const char *name;   /* the SPEC prefix, e.g. "passwd-file" */
	/* Parse the part of SPEC after "name:" (may be NULL). */
	int (*init)(const char *arg, struct auth **ret);
	/* Look a user up without a password (for --preauth). -ENOENT. */
	int (*lookup)(struct auth *a, const char *user, struct user_info *ret);
	/* Check a password. 0, -EACCES for a wrong user or password, other
	 * negative errno when the source itself failed. Runs the same work for
	 * unknown users as for known ones. */
	int (*verify)(struct auth *a, const char *user, const char *pass,
	              struct user_info *ret);
	/* The user's plaintext secret (APOP, CRAM-MD5), malloc'd; the caller
	 * wipes and frees it. -ENOTSUP when this source has none for the user. */
	int (*secret)(struct auth *a, const char *user, char **ret);
	/* Whether every user of this source has a plaintext secret, so that
	 * APOP and CRAM-MD5 succeed for whoever uses them. */
	bool (*has_secrets)(struct auth *a);
	void (*free)(struct auth *a);
};

struct auth {
	const struct auth_ops *ops;
	/* The client's address for the next check (PAM's PAM_RHOST), set by
	 * the verifier (login.c); NULL when unknown. */
	const char *rhost;
};

/* Set up the source named by SPEC ("passwd-file:PATH", ...). */
int auth_open(const char *spec, struct auth **ret);
void auth_close(struct auth *a);

/* Look up a system user in passwd (for --preauth without --auth). */
int auth_system_lookup(const char *user, struct user_info *ret);
/* The same, as an auth_ops.lookup for sources of system users. */
int auth_lookup_system(struct auth *a, const char *user, struct user_info *ret);

/* checkpassword's reply mode: onepop run as CHECKPASSWORD_REPLY_ARG by
 * the checkpassword program prints "uid gid home" and exits 0. */
#define CHECKPASSWORD_REPLY_ARG "--checkpassword-reply"
int checkpassword_reply_main(void);

/* APOP (RFC 1939 §7): digest is hex MD5 of timestamp followed by secret. */
int auth_apop(struct auth *a, const char *user, const char *timestamp,
              const char *digest, struct user_info *ret);

/* Hex MD5 of the concatenation of a and b into out[33]. */
void auth_md5_hex(const char *a, const char *b, char out[33]);

#endif
