/* The command line and the configuration file (same keys). */
#ifndef ONEPOP_OPTIONS_H
#define ONEPOP_OPTIONS_H

#include <stdbool.h>

enum tls_mode { TLS_OFF, TLS_STARTTLS, TLS_IMPLICIT };
/* Login mechanisms besides USER/PASS (--auth-mechanisms). */
enum {
	MECHS_APOP = 1 << 0,
	MECHS_CRAM_MD5 = 1 << 1,
	MECHS_PLAIN = 1 << 2,   /* SASL PLAIN */
	MECHS_ALL = MECHS_APOP | MECHS_CRAM_MD5 | MECHS_PLAIN,
};
#include "onepop_limits.h"

struct backend_config;

struct options {
	const char *backend;
	const char *mailbox;        /* template; NULL: the backend's default */
	const char *auth;
	const char *preauth;
	const char *greeting;
	const char *goodbye;
	const char *mail_group;     /* NULL: the backend's default; "": none */
	const char *privsep_user;   /* started as root: the pre-auth process's
	                             * user; NULL: DEFAULT_PRIVSEP_USER */
	const char *privsep_dir;    /* ... and its empty root; NULL: the default */
	unsigned timeout;
	unsigned fail_delay_ms;
	const char *fail_state;     /* --fail-state DIR; NULL: off */
	unsigned fail_limit;        /* failures before an address is refused */
	unsigned fail_ban;          /* the window and the refusal, in seconds */
	/* RFC 2449 §6.5/§6.7, enforced by backends with .expiry (doc/operators.md
	 * "Expiry and login delay") */
	bool expire;                /* --expire given */
	unsigned expire_days;
	unsigned login_delay;       /* seconds between logins; 0: off */
	enum tls_mode tls;
	const char *tls_cert;       /* PEM, may hold the chain */
	const char *tls_key;        /* PEM; NULL: the key is in tls_cert */
	const char *tls_ticket_key; /* session ticket keys; NULL: no tickets */
	bool tls_ktls;              /* --tls-ktls=on: kernel TLS where offered */
	bool allow_plaintext;       /* USER/PASS, APOP, PLAIN before TLS */
	unsigned auth_mechanisms;   /* MECHS_*; 0: what works for every user */
	bool proxy_protocol;        /* expect a PROXY header first */
	const char *proxy_from;     /* CIDR list; NULL: from any peer */
	/* modes usable with every backend (doc/operators.md "Modes") */
	bool commands_minimal;      /* --commands=minimal */
	bool apop_only;
	bool autodelete;
	bool test_commands;         /* BREAK and EXIT, for the test stand-in */
	bool transmit_errors;       /* pass a backend's error text to the client */
	/* exec backend (onepop-exec(7)) */
	const char *exec_prog;
	const char *exec_args[MAX_EXEC_ARGS];
	unsigned exec_argc;
	enum { FAITHFUL_OFF, FAITHFUL_EXTRA, FAITHFUL_NOEXTRA } faithful;
	const char *uidl_format;    /* --uidl-format; NULL: maildir */
	enum { UIDL_GUARD_WARN, UIDL_GUARD_REFUSE } uidl_guard;
	const char *scan;           /* --scan USER: dry run, then exit */
	bool debug;
	bool allow_root;
	bool list_backends;
	bool check_config;          /* --check-config, -t: check and exit */
	bool help;
	bool version;
};

/* Fill o from argv (and any --config file it names). On error, prints
 * the reason to stderr and returns -EINVAL. */
int options_parse(struct options *o, int argc, char **argv);

void options_usage(void);

/* The part of o a backend sees (backend.h); pointers into o. Call it
 * after log_open: it notes where the log goes. */
void options_backend_config(const struct options *o, struct backend_config *ret);

#endif
