/* --auth=checkpassword:PROG, the qmail/DJB checkpassword interface
 * (https://cr.yp.to/checkpwd/interface.html): PROG reads
 * "user\0password\0timestamp\0" from fd 3 and, if they are right, runs
 * the program named by its remaining arguments, having changed to the
 * user's uid/gid, home directory and environment ($USER, $HOME); it exits
 * 1 for a bad password, 111 (or anything else) for a temporary failure.
 *
 * To learn who the user turned out to be, onepop names itself as that
 * next program in a reply mode (CHECKPASSWORD_REPLY_ARG): run with the
 * identity PROG gave it, it writes "uid gid home" on its stdout, which is
 * a pipe back to us. So uid, gid and home are the ones PROG chose (virtual
 * users included), not guessed from passwd afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "auth_helper.h"
#include "fdio.h"
#include "onepop_limits.h"
#include "numparse.h"

extern const struct auth_ops auth_checkpassword;

/* Largest reply we read back: two numbers and a path. */
#define CP_REPLY_MAX (MAX_PATH + 64)

struct checkpassword {
	struct auth base;
	char *prog;
	char self[MAX_PATH];    /* our own binary, the "next program" */
};

int checkpassword_reply_main(void)
{
	const char *home = getenv("HOME");
	char cwd[MAX_PATH];

	if (!home || home[0] != '/')
		home = getcwd(cwd, sizeof(cwd));
	if (!home || strchr(home, '\n'))
		return 111;
	if (printf("%lu %lu %s\n", (unsigned long)getuid(), (unsigned long)getgid(), home) < 0 ||
	    fflush(stdout) != 0)
		return 111;
	return 0;
}

/* Write all of buf to fd; a closed pipe is PROG's business, not an error. */
static void write_all(int fd, const char *buf, size_t len)
{
	(void)fd_write_all(fd, buf, len);
}

/* In the child: fd 3 = the credentials pipe, stdout = the reply pipe. */
static void child_exec(const struct checkpassword *cp, int cred_fd, int reply_fd)
{
	char *const argv[] = { cp->prog, (char *)cp->self, (char *)CHECKPASSWORD_REPLY_ARG, NULL };
	char *const envp[] = { (char *)"PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* stdin and stderr may be the client's socket (inetd hands it in
	 * as 0, 1 and 2): PROG gets neither. */
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(reply_fd, STDOUT_FILENO) < 0 ||
	    dup2(null, STDERR_FILENO) < 0)
		_exit(111);
	/* dup2 onto itself would keep O_CLOEXEC: clear it by hand then. */
	if (cred_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(cred_fd, 3) < 0)
		_exit(111);
	/* Everything else we hold (a listening socket, the journal) stays ours. */
	close_range(4, ~0U, 0);
	/* Its own process group: past the time limit, all of it is killed. */
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	execve(cp->prog, argv, envp);
	_exit(111);
}

static int parse_reply(char *buf, struct user_info *ret, const char *user)
{
	char *uid_s = buf, *gid_s, *home, *nl;
	uint64_t uid, gid;
	struct user_info u = { 0 };

	nl = strchr(buf, '\n');
	if (!nl || nl[1] != '\0')
		return -EPROTO;
	*nl = '\0';
	gid_s = strchr(uid_s, ' ');
	if (!gid_s)
		return -EPROTO;
	*gid_s++ = '\0';
	home = strchr(gid_s, ' ');
	if (!home)
		return -EPROTO;
	*home++ = '\0';
	if (num_parse(uid_s, 0, UINT32_MAX - 1, &uid) < 0 ||
	    num_parse(gid_s, 0, UINT32_MAX - 1, &gid) < 0 || home[0] != '/')
		return -EPROTO;
	u.uid = (uid_t)uid;
	u.gid = (gid_t)gid;
	u.has_ids = true;
	/* The identity is the one PROG chose: its uid and gid, not the
	 * groups of whatever system account has the name the client typed
	 * (a virtual user named like one must not get its groups). */
	u.system_user = false;
	u.name = strdup(user);
	u.home = strdup(home);
	if (!u.name || !u.home) {
		user_info_clear(&u);
		return -ENOMEM;
	}
	*ret = u;
	return 0;
}

static int cp_verify(struct auth *a, const char *user, const char *pass,
                     struct user_info *ret)
{
	struct checkpassword *cp = (struct checkpassword *)a;
	char reply[CP_REPLY_MAX];
	int cred[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t have = 0;
	int status, r = -EIO;
	pid_t pid;

	if (pipe2(cred, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		close(cred[1]);
		close(out[0]);
		child_exec(cp, cred[0], out[1]);
	}
	close(cred[0]);
	close(out[1]);
	cred[0] = out[1] = -1;
	/* Write the three fields with their NULs; the timestamp is empty
	 * for USER/PASS (the interface allows any string). The pipe holds far
	 * more than MAX_LINE * 2 + 3 octets, so this cannot block. */
	write_all(cred[1], user, strlen(user) + 1);
	write_all(cred[1], pass, strlen(pass) + 1);
	write_all(cred[1], "", 1);
	close(cred[1]);
	cred[1] = -1;
	/* Within the time limit, or PROG and all it started are killed: a
	 * program that hangs must not hold the session. */
	if (auth_helper_collect(pid, out[0], reply, sizeof(reply) - 1, &have, &status) < 0)
		status = -1;
	reply[have] = '\0';
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1)
		r = -EACCES;
	else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		r = parse_reply(reply, ret, user);
	else
		r = -EIO;   /* 111, a signal, or anything else: try again later */
	explicit_bzero(reply, sizeof(reply));
out:
	for (int i = 0; i < 2; i++) {
		if (cred[i] >= 0)
			close(cred[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return r;
}

static void cp_free(struct auth *a)
{
	struct checkpassword *cp = (struct checkpassword *)a;

	if (!cp)
		return;
	free(cp->prog);
	free(cp);
}

static int cp_init(const char *arg, struct auth **ret)
{
	struct checkpassword *cp;
	ssize_t n;

	if (!arg || arg[0] != '/')
		return -EINVAL;   /* an absolute path: no PATH search */
	if (access(arg, X_OK) < 0)
		return -errno;
	cp = calloc(1, sizeof(*cp));
	if (!cp)
		return -ENOMEM;
	cp->base.ops = &auth_checkpassword;
	n = readlink("/proc/self/exe", cp->self, sizeof(cp->self) - 1);
	cp->prog = strdup(arg);
	if (n <= 0 || !cp->prog) {
		cp_free(&cp->base);
		return n <= 0 ? -ENOEXEC : -ENOMEM;
	}
	cp->self[n] = '\0';
	*ret = &cp->base;
	return 0;
}

const struct auth_ops auth_checkpassword = {
	.name = "checkpassword",
	.init = cp_init,
	/* --preauth has no password to give PROG: the system's passwd. */
	.lookup = auth_lookup_system,
	.verify = cp_verify,
	.free = cp_free,
};
