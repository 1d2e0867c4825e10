/* The command table: name, handler, states it is allowed in, arity. */
#ifndef ONEPOP_COMMANDS_H
#define ONEPOP_COMMANDS_H

#include "session.h"

#define CMD_MAX_ARGS 2

enum cmd_flags {
	CMDF_RAW = 1 << 0,      /* the whole rest of the line is one argument */
	CMDF_SECRET = 1 << 1,   /* arguments never logged */
	/* Modes switch commands off by these flags (command_disabled_mask):
	 * no handler checks a mode itself. */
	CMDF_EXTENSION = 1 << 2, /* not in --commands=minimal (seed 003's list) */
	CMDF_USERPASS = 1 << 3, /* refused by --apop-only */
	CMDF_TEST = 1 << 4,     /* BREAK, EXIT: only with --test-commands */
};

struct command {
	const char *name;
	enum cmd_result (*handler)(struct session *s, int argc, char **argv);
	unsigned states;        /* mask of enum state */
	unsigned char min_args, max_args;
	unsigned flags;
};

/* The entry for name (case-insensitive), or NULL. */
const struct command *command_find(const char *name);

/* The CMDF_* flags whose commands opt switches off for the session. */
unsigned command_disabled_mask(const struct options *opt);

/* The table as an array, for per-command statistics: entries 0..n-1
 * (n <= MAX_COMMANDS), and the index of an entry command_find gave. */
size_t command_table_size(void);
const char *command_name(size_t i);
size_t command_index(const struct command *c);

#endif
