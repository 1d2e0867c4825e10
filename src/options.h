/* The command line and the configuration file (same keys). */
#ifndef ONEPOP_OPTIONS_H
#define ONEPOP_OPTIONS_H

#include <stdbool.h>

struct options {
	const char *backend;
	const char *mailbox;        /* template; NULL: the backend's default */
	const char *auth;
	const char *preauth;
	const char *greeting;
	const char *goodbye;
	const char *mail_group;     /* NULL: the backend's default; "": none */
	unsigned timeout;
	unsigned fail_delay_ms;
	bool debug;
	bool allow_root;
	bool list_backends;
	bool help;
	bool version;
};

/* Fill o from argv (and any --config file it names). On error, prints
 * the reason to stderr and returns -EINVAL. */
int options_parse(struct options *o, int argc, char **argv);

void options_usage(void);

#endif
