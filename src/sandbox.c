/* The pre-auth sandbox (sandbox.h). */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "sandbox.h"
#include "tls.h"

#ifdef HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* Descriptors the pre-auth process holds (stdin, stdout, stderr, the
 * control and relay channels) and a little room: it opens none. poll()
 * needs its count below the limit. */
#define SANDBOX_MAX_FDS 8

/* The user from /etc/passwd itself, as useradd --system makes it: every
 * session looks it up, and getpwnam() would load the NSS modules
 * (libnss_systemd and what it links) into each one. The name service is
 * asked only when the file has no such line. */
static struct passwd *privsep_user(const char *user)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw = NULL;

	if (f) {
		while ((pw = fgetpwent(f)))
			if (strcmp(pw->pw_name, user) == 0)
				break;
		fclose(f);
	}
	return pw ? pw : getpwnam(user);
}

int sandbox_prepare(const char *user, const char *dir, struct sandbox *ret,
                    char *err, size_t errlen)
{
	struct passwd *pw = privsep_user(user);
	char parent[MAX_PATH], *slash;
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (!pw) {
		snprintf(err, errlen, "privilege separation user '%s' does not exist; create it "
		         "with: useradd --system --no-create-home --home-dir /nonexistent "
		         "--shell /usr/sbin/nologin %s", user, user);
		return -ENOENT;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "privilege separation user '%s' must not be root "
		         "or in group root", user);
		return -EPERM;
	}
	if (strlen(dir) >= sizeof(ret->dir) || dir[0] != '/') {
		snprintf(err, errlen, "--privsep-dir %s: must be an absolute path", dir);
		return -EINVAL;
	}
	strlcpy(parent, dir, sizeof(parent));
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "--privsep-dir: cannot create %s: %s", parent,
			         strerror(errno));
			return -errno;
		}
	}
	if (mkdir(dir, 0555) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "--privsep-dir: cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022)) {
		snprintf(err, errlen, "--privsep-dir %s: must be a directory owned by root that "
		         "only root can write (mode 0555)", dir);
		return -EPERM;
	}
	d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "--privsep-dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			break;
	closedir(d);
	if (e) {
		snprintf(err, errlen, "--privsep-dir %s: must be empty", dir);
		return -ENOTEMPTY;
	}
	ret->uid = pw->pw_uid;
	ret->gid = pw->pw_gid;
	strlcpy(ret->dir, dir, sizeof(ret->dir));
	return 0;
}

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SECCOMP_ARCH
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define DENY(nr, err) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err))

/* Sanitizer builds: their runtime makes calls of its own (a report, the
 * leak check), so there an unlisted call fails instead of killing. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANDBOX_DEFAULT (SECCOMP_RET_ERRNO | ENOSYS)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_DEFAULT (SECCOMP_RET_ERRNO | ENOSYS)
#endif
#endif
#ifndef SANDBOX_DEFAULT
#define SANDBOX_DEFAULT SECCOMP_RET_KILL_PROCESS
#endif

/* The low 32 bits of a system call's argument n (both architectures
 * above are little-endian); an int argument is all the kernel reads. */
#define ARG_LO(n) ((unsigned)offsetof(struct seccomp_data, args[n]))

int sandbox_seccomp(bool ktls)
{
	static const struct sock_filter head[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	};
	/* Every path out of it but the first jump returns: it loads the
	 * arguments over the system call's number. */
	static const struct sock_filter ktls_rules[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setsockopt, 0, 7),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOL_TLS, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCP_ULP, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SANDBOX_DEFAULT),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	static const struct sock_filter rules[] = {
		/* the dialogue and the relay: the connection, the monitor */
		ALLOW(__NR_read), ALLOW(__NR_write), ALLOW(__NR_readv), ALLOW(__NR_writev),
		ALLOW(__NR_recvfrom), ALLOW(__NR_sendto), ALLOW(__NR_recvmsg), ALLOW(__NR_sendmsg),
		ALLOW(__NR_ppoll), ALLOW(__NR_shutdown), ALLOW(__NR_close),
		ALLOW(__NR_getpeername), ALLOW(__NR_getsockname),
#ifdef __NR_poll
		ALLOW(__NR_poll),
#endif
		/* the idle timer and the signal it sends */
		ALLOW(__NR_setitimer), ALLOW(__NR_getitimer), ALLOW(__NR_rt_sigreturn),
		ALLOW(__NR_rt_sigprocmask), ALLOW(__NR_rt_sigaction),
#ifdef __NR_alarm
		ALLOW(__NR_alarm),
#endif
		ALLOW(__NR_clock_gettime), ALLOW(__NR_clock_nanosleep), ALLOW(__NR_nanosleep),
		ALLOW(__NR_gettimeofday), ALLOW(__NR_getpid),
		/* memory and randomness (malloc, OpenSSL) */
		ALLOW(__NR_brk), ALLOW(__NR_mmap), ALLOW(__NR_munmap), ALLOW(__NR_mremap),
		ALLOW(__NR_madvise), ALLOW(__NR_futex), ALLOW(__NR_getrandom),
		ALLOW(__NR_fstat), ALLOW(__NR_newfstatat),
		ALLOW(__NR_exit), ALLOW(__NR_exit_group), ALLOW(__NR_sigaltstack),
		/* a library that looks for a file finds none (the root is
		 * empty anyway): refused, not fatal */
		DENY(__NR_openat, EACCES),
#ifdef __NR_open
		DENY(__NR_open, EACCES),
#endif
		BPF_STMT(BPF_RET | BPF_K, SANDBOX_DEFAULT),
	};
	struct sock_filter filter[sizeof(head) / sizeof(head[0]) +
	                         sizeof(ktls_rules) / sizeof(ktls_rules[0]) +
	                         sizeof(rules) / sizeof(rules[0])];
	struct sock_fprog prog = { .filter = filter };
	size_t n = 0;

	memcpy(filter, head, sizeof(head));
	n += sizeof(head) / sizeof(head[0]);
	if (ktls) {
		memcpy(filter + n, ktls_rules, sizeof(ktls_rules));
		n += sizeof(ktls_rules) / sizeof(ktls_rules[0]);
	}
	memcpy(filter + n, rules, sizeof(rules));
	n += sizeof(rules) / sizeof(rules[0]);
	prog.len = (unsigned short)n;

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? -errno : 0;
}
#else
int sandbox_seccomp(bool ktls)
{
	(void)ktls;
	return -ENOTSUP;   /* no filter written for this architecture */
}
#endif

int sandbox_enter(const struct sandbox *sb)
{
	struct rlimit nofile = { SANDBOX_MAX_FDS, SANDBOX_MAX_FDS };
	struct rlimit zero = { 0, 0 };

	if (setgroups(0, NULL) < 0 || chroot(sb->dir) < 0 || chdir("/") < 0)
		return -errno;
	if (setresgid(sb->gid, sb->gid, sb->gid) < 0 || setresuid(sb->uid, sb->uid, sb->uid) < 0)
		return -errno;
	/* Prove it: root cannot come back. */
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return -EPERM;
	/* No RLIMIT_FSIZE: stdout may be a file (a transcript test); the
	 * process can open none of its own. */
	/* memcheck keeps descriptors of its own above the limit and refuses
	 * to lower it (a real CPU answers 0 here). */
	if ((!RUNNING_ON_VALGRIND && setrlimit(RLIMIT_NOFILE, &nofile) < 0) ||
	    setrlimit(RLIMIT_NPROC, &zero) < 0 || setrlimit(RLIMIT_CORE, &zero) < 0)
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* memcheck makes system calls of its own on the program's behalf
	 * (a real CPU answers 0 here: no way to switch the filter off). */
	if (RUNNING_ON_VALGRIND)
		return 0;
	return sandbox_seccomp(tls_ktls());
}
