/* Privilege drop after authentication, before the mailbox is opened. */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privs.h"

int privs_drop(const struct user_info *u, bool allow_root, gid_t keep_gid)
{
	umask(077);
	if (geteuid() != 0) {
		if (u->has_ids && (u->uid != geteuid() || u->gid != getegid()))
			return -EPERM;
		return 0;
	}
	if (!u->has_ids || u->uid == 0)
		return allow_root ? 0 : -EPERM;
	/* A virtual user (passwd-file) gets its gid and nothing else: a
	 * system account that happens to share the name must not lend it
	 * its groups. It also keeps NSS (libnss_systemd, ~0.6 MB mapped)
	 * out of the session. */
	if (u->system_user ? initgroups(u->name, u->gid) < 0 && setgroups(1, &u->gid) < 0
	                   : setgroups(1, &u->gid) < 0)
		return -errno;
	/* keep_gid stays only as the saved gid: not in the supplementary
	 * list, not effective until a backend asks for it with setegid(). */
	if (setresgid(u->gid, u->gid, keep_gid == (gid_t)-1 ? u->gid : keep_gid) < 0)
		return -errno;
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	/* Prove it: getting root back must fail now. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		return -EPERM;
	return 0;
}

void privs_end(void)
{
	gid_t rgid, egid, sgid;

	if (getresgid(&rgid, &egid, &sgid) == 0 && (egid != rgid || sgid != rgid) &&
	    setresgid(rgid, rgid, rgid) < 0)
		abort();
}
