/* Test-only LD_PRELOAD shim: once a file whose name holds ".onepop-" is
 * opened (the mbox rewrite's new file), SIGKILL the process at the Nth
 * call (ONEPOP_KILL_AT=N) of write, fsync, fchmod, fchown, rename,
 * close or unlink, before the call runs. Lets a test stop the rewrite at
 * every step and check what a crash there leaves. */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int armed;
static long calls;

static void step(void)
{
	const char *at = getenv("ONEPOP_KILL_AT");

	if (armed && at && ++calls == atol(at))
		raise(SIGKILL);
}

static void arm(const char *path)
{
	if (path && strstr(path, ".onepop-"))
		armed = 1;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/* open and open64 take a mode only with O_CREAT; passing the va_arg on
 * regardless is what glibc's own wrappers do. */
#define WRAP_OPEN(fn) \
	int fn(const char *path, int flags, ...) \
	{ \
		va_list ap; \
		mode_t mode; \
		va_start(ap, flags); \
		mode = va_arg(ap, mode_t); \
		va_end(ap); \
		arm(path); \
		return NEXT(fn)(path, flags, mode); \
	}
WRAP_OPEN(open)
WRAP_OPEN(open64)

ssize_t write(int fd, const void *buf, size_t len)
{
	step();
	return NEXT(write)(fd, buf, len);
}

int fsync(int fd) { step(); return NEXT(fsync)(fd); }
int fchmod(int fd, mode_t m) { step(); return NEXT(fchmod)(fd, m); }
int fchown(int fd, uid_t u, gid_t g) { step(); return NEXT(fchown)(fd, u, g); }
int rename(const char *a, const char *b) { step(); return NEXT(rename)(a, b); }
int close(int fd) { step(); return NEXT(close)(fd); }
int unlink(const char *p) { step(); return NEXT(unlink)(p); }
