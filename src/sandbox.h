/* The pre-auth process's cell: its own unprivileged user, no groups, an
 * empty root it cannot write, no capabilities, no new privileges, few
 * file descriptors, no children, and a seccomp filter that allows only
 * the system calls the POP3 dialogue and the TLS relay make. */
#ifndef ONEPOP_SANDBOX_H
#define ONEPOP_SANDBOX_H

#include <stdbool.h>
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

/* sandbox_enter's last step, alone for the tests: the seccomp filter.
 * ktls (--tls-ktls=on) also lets OpenSSL attach the kernel's TLS to the
 * connection (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls")) and hand it
 * the keys (setsockopt(fd, SOL_TLS, ...)); no other socket option. Needs
 * no new privileges (or root). 0, or a negative errno (-ENOTSUP on an
 * architecture without a filter). */
int sandbox_seccomp(bool ktls);

#endif
