/* An LD_PRELOAD shim that makes one system call fail, for the fault
 * injection tests (test/backends/maildir/fault.bats). Environment:
 *   FAULT_CALL   the function to fail: open, openat, write, unlink,
 *                unlinkat, rename, renameat, fsync, flock
 *   FAULT_NTH    which call of it fails (1-based); 0 or unset: none
 *   FAULT_ERRNO  ENOSPC, EIO, EACCES, EINTR or KILL (SIGKILL the process
 *                at that call instead of failing it: a crash mid-step)
 *   FAULT_COUNT  a file to which, at exit, "CALL N" is appended for each
 *                wrapped function called N > 0 times (to plan the runs)
 *   FAULT_MATCH  if set, only calls on a path containing this string count
 *   FAULT_PROG   the program to act in (default "onepop"); every other
 *                process that inherits LD_PRELOAD (timeout, tr) is left alone
 * Only calls made by the program's own code count (not those of libc
 * internals or NSS modules it loads), only the call named fails, and only
 * once: the code under test sees a single fault and must cope with it. */
/* The fortified open() wrappers would stand in the way of defining open. */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { F_OPEN, F_OPENAT, F_WRITE, F_UNLINK, F_UNLINKAT, F_RENAME, F_RENAMEAT,
       F_FSYNC, F_FLOCK, F_MAX };
static const char *const names[F_MAX] = {
	"open", "openat", "write", "unlink", "unlinkat", "rename", "renameat",
	"fsync", "flock",
};
static unsigned long calls[F_MAX];
static int target = -1;
static unsigned long nth;
static int fault_errno;   /* 0: SIGKILL */
static int active;
static const char *match;
static uintptr_t prog_lo, prog_hi;   /* the program's loaded segments */

/* The first object dl_iterate_phdr reports is the program itself. */
static int find_program(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

		if (ph->p_type != PT_LOAD)
			continue;
		if (!prog_lo || lo < prog_lo)
			prog_lo = lo;
		if (hi > prog_hi)
			prog_hi = hi;
	}
	return 1;
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *call = getenv("FAULT_CALL"), *n = getenv("FAULT_NTH");
	const char *e = getenv("FAULT_ERRNO");
	static const struct { const char *name; int value; } errnos[] = {
		{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EACCES", EACCES },
		{ "EINTR", EINTR }, { "KILL", 0 },
	};

	const char *prog = getenv("FAULT_PROG");

	active = strcmp(program_invocation_short_name, prog ? prog : "onepop") == 0;
	if (!active)
		return;
	dl_iterate_phdr(find_program, NULL);
	match = getenv("FAULT_MATCH");
	for (int i = 0; call && i < F_MAX; i++)
		if (strcmp(call, names[i]) == 0)
			target = i;
	nth = n ? strtoul(n, NULL, 10) : 0;
	fault_errno = EIO;
	for (size_t i = 0; e && i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(e, errnos[i].name) == 0)
			fault_errno = errnos[i].value;
}

__attribute__((destructor)) static void shim_report(void)
{
	const char *path = getenv("FAULT_COUNT");
	char line[64];
	int fd;

	if (!path || !active)
		return;
	/* Raw syscalls only: this runs after the process dropped privileges,
	 * so the file must already be writable (the test makes it so). */
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT, 0666);
	if (fd < 0)
		return;
	for (int i = 0; i < F_MAX; i++)
		if (calls[i]) {
			int len = snprintf(line, sizeof(line), "%s %lu\n", names[i], calls[i]);
			if (syscall(SYS_write, fd, line, (size_t)len) < 0)
				break;
		}
	syscall(SYS_close, fd);
}

/* Count the call if the program made it (from); true when this one
 * must fail (errno is set). */
static int fault_at(int which, const char *path, uintptr_t from)
{
	if (!active || from < prog_lo || from >= prog_hi)
		return 0;
	if (match && (!path || !strstr(path, match)))
		return 0;
	if (++calls[which] != nth || which != target)
		return 0;
	if (fault_errno == 0)
		raise(SIGKILL);
	errno = fault_errno;
	return 1;
}

#define fault(which, path) fault_at((which), (path), (uintptr_t)__builtin_return_address(0))
/* NOLINTNEXTLINE(bugprone-macro-parentheses): name is an identifier */
#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (fault(F_OPEN, path))
		return -1;
	return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dir, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (fault(F_OPENAT, path))
		return -1;
	return REAL(openat)(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...) __attribute__((alias("openat")));

ssize_t write(int fd, const void *buf, size_t len)
{
	if (fault(F_WRITE, NULL))
		return -1;
	return REAL(write)(fd, buf, len);
}

int unlink(const char *path)
{
	if (fault(F_UNLINK, path))
		return -1;
	return REAL(unlink)(path);
}

int unlinkat(int dir, const char *path, int flags)
{
	if (fault(F_UNLINKAT, path))
		return -1;
	return REAL(unlinkat)(dir, path, flags);
}

int rename(const char *from, const char *to)
{
	if (fault(F_RENAME, from))
		return -1;
	return REAL(rename)(from, to);
}

int renameat(int fromdir, const char *from, int todir, const char *to)
{
	if (fault(F_RENAMEAT, from))
		return -1;
	return REAL(renameat)(fromdir, from, todir, to);
}

int fsync(int fd)
{
	if (fault(F_FSYNC, NULL))
		return -1;
	return REAL(fsync)(fd);
}

int flock(int fd, int op)
{
	if (fault(F_FLOCK, NULL))
		return -1;
	return REAL(flock)(fd, op);
}
