/* The login-delay record shared by the Maildir, mbox and MH backends
 * (login_delay.h). The grace: clients such as old Outlook log in again
 * at once after a session that downloaded mail, only to delete it; one
 * such login right after a session that retrieved something is let in. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "onepop/backend.h"
#include "fdio.h"
#include "onepop_limits.h"
#include "login_delay.h"

/* The record in the file, or all zeros when it is missing or damaged. */
static void record_read(int dir_fd, const char *name, struct login_record *ret)
{
	char buf[128];
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	struct login_record st = { 0 };
	int retr = 0, grace = 0;

	if (fd >= 0)
		close(fd);
	*ret = st;
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "onepop-login 1 %" SCNd64 " %" SCNd64 " %d %d", &st.start, &st.end,
	           &retr, &grace) != 4 || st.start < 0 || st.end < 0)
		return;
	st.retrieved = retr != 0;
	st.grace = grace != 0;
	*ret = st;
}

void login_delay_save(int dir_fd, const char *name, const struct login_record *rec)
{
	char line[128], want[300], tmp[320];   /* a file name (NAME_MAX) and ".tmp" */
	int fd, len;

	if ((size_t)snprintf(want, sizeof(want), "%s.tmp", name) >= sizeof(want))
		return;
	fd = atomic_file_create(dir_fd, want, tmp, sizeof(tmp));
	if (fd < 0)
		return;
	len = snprintf(line, sizeof(line), "onepop-login 1 %" PRId64 " %" PRId64 " %d %d\n",
	               rec->start, rec->end, rec->retrieved, rec->grace);
	if (fd_write_all(fd, line, (size_t)len) < 0) {
		atomic_file_discard(dir_fd, fd, NULL, tmp);
		return;
	}
	/* No sync: a record lost or emptied by a crash only lets the next
	 * login through early (an unreadable record is no record). */
	(void)atomic_file_commit(dir_fd, fd, NULL, tmp, name, ATOMIC_SYNC_NONE);
}

unsigned login_delay_check(int dir_fd, const char *name, unsigned delay, int64_t now,
                           struct login_record *ret)
{
	struct login_record last;

	record_read(dir_fd, name, &last);
	/* Long enough ago, never, or in the future (the clock went back:
	 * no lock-out by error). */
	if (now - last.start >= (int64_t)delay || now < last.start) {
		*ret = (struct login_record){ .start = now };
		return 0;
	}
	/* The grace: once, right after a session that retrieved mail. The
	 * delay still counts from the login before it. */
	if (last.end && last.retrieved && !last.grace && now >= last.end &&
	    now - last.end <= LOGIN_DELAY_GRACE) {
		*ret = (struct login_record){ .start = last.start, .grace = true };
		return 0;
	}
	return (unsigned)((int64_t)delay - (now - last.start));
}

int login_delay_begin(const struct backend_session *session, struct backend_report *report,
                      int dir_fd, const char *name, struct login_delay *ld)
{
	if (session->readonly || !session->config->login_delay)
		return 0;
	report->login_wait = login_delay_check(dir_fd, name, session->config->login_delay,
	                                       (int64_t)time(NULL), &ld->rec);
	if (report->login_wait)
		return -EAGAIN;
	login_delay_save(dir_fd, name, &ld->rec);
	ld->counted = true;
	return 0;
}

void login_delay_end(const struct backend_session *session, int dir_fd, const char *name,
                     struct login_delay *ld, size_t count)
{
	if (!ld->counted)
		return;
	ld->rec.end = (int64_t)time(NULL);
	for (size_t i = 0; session->retrieved && i < count; i++)
		ld->rec.retrieved = ld->rec.retrieved || session->retrieved[i];
	login_delay_save(dir_fd, name, &ld->rec);
	ld->counted = false;
}
