/* --login-delay (RFC 2449 §6.7) for every backend that enforces it: a
 * small record of the user's last counted login, kept by the backend in
 * its store (Maildir and MH: DIR/onepop-login; mbox: PATH.onepop-login
 * beside the mailbox). The record is "onepop-login 1 START END RETR
 * GRACE": when the last counted login started, when its session ended
 * (0 while it runs, or if it crashed), whether it retrieved any message,
 * and whether that login was a grace login. It is read and replaced (a
 * temporary file NAME.tmp, then rename) only under the session lock. */
#ifndef ONEPOP_LOGIN_DELAY_H
#define ONEPOP_LOGIN_DELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend_report;
struct backend_session;

struct login_record {
	int64_t start;      /* when it began */
	int64_t end;        /* when its session ended; 0 while it runs */
	bool retrieved;     /* that session sent some message whole */
	bool grace;         /* it was the grace login */
};

/* This session's record, kept by the backend from open to close. */
struct login_delay {
	struct login_record rec;
	bool counted;       /* recorded at open: save the end at close */
};

/* May the user log in now, with delay seconds between logins? 0 and *ret
 * (the record to save for this session), or the seconds left to wait.
 * A missing or damaged record never locks anybody out. */
unsigned login_delay_check(int dir_fd, const char *name, unsigned delay, int64_t now,
                           struct login_record *ret);
/* Replace the record dir_fd/name; failures are ignored (fails open). */
void login_delay_save(int dir_fd, const char *name, const struct login_record *rec);

/* At open, under the session lock: with --login-delay on in the
 * session's config, check and record this login. 0, or -EAGAIN with
 * report->login_wait set. */
int login_delay_begin(const struct backend_session *session, struct backend_report *report,
                      int dir_fd, const char *name, struct login_delay *ld);
/* At close: record when the session ended and whether any of its count
 * messages was retrieved (session->retrieved; NULL: none). */
void login_delay_end(const struct backend_session *session, int dir_fd, const char *name,
                     struct login_delay *ld, size_t count);

#endif
