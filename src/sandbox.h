/* The pre-auth process's cell: its own unprivileged user, no groups, an
 * empty root it cannot write, no capabilities, no new privileges, few
 * file descriptors, no children, and a seccomp filter that allows only
 * the system calls the POP3 dialogue and the TLS relay make. */
#ifndef ONEPOP_SANDBOX_H
#define ONEPOP_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#include "onepop_limits.h"

struct sandbox {
	uid_t uid;
	gid_t gid;
	char dir[MAX_PATH];
};

/* Before serving (as root): look the user up and make sure dir is an
 * empty directory owned by root that nobody else can write (creating it,
 * and its parent, when missing). On failure writes the reason, with how
 * to fix it, to err and returns a negative errno. */
int sandbox_prepare(const char *user, const char *dir, struct sandbox *ret,
                    char *err, size_t errlen);

/* In the forked child: become sb's user inside sb's directory and lock
 * the process down. Every step is checked; a failure returns a negative
 * errno and the child must exit. */
int sandbox_enter(const struct sandbox *sb);

#endif
