/* The command table: name, handler, states it is allowed in, arity. */
#ifndef ONEPOP_COMMANDS_H
#define ONEPOP_COMMANDS_H

#include "session.h"

#define CMD_MAX_ARGS 2

enum cmd_flags {
	CMDF_RAW = 1 << 0,      /* the whole rest of the line is one argument */
	CMDF_SECRET = 1 << 1,   /* arguments never logged */
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

#endif
