/* Helpers shared by the libFuzzer targets. */
#ifndef ONEPOP_FUZZ_UTIL_H
#define ONEPOP_FUZZ_UTIL_H

#include <signal.h>
#include <stddef.h>
#include <sys/time.h>

/* perror(what), then abort(): the fixture cannot be built. */
__attribute__((noreturn)) void fuzz_die(const char *what);

/* mkdtemp(top) (a template ending in XXXXXX), then an empty Maildir
 * (new, cur, tmp) at top/Maildir, whose path goes to maildir. */
void fuzz_maildir(char *top, char *maildir, size_t size);

/* libFuzzer's -timeout ticks SIGALRM once a second (an interval timer),
 * and io_init takes SIGALRM for the session's idle timeout: a tick landing
 * in onepop's code would end a session as a timeout, and the next one the
 * process (io.c's second expiry), a "crash" with no report. Blocking the
 * signal is not enough (libFuzzer's RSS thread would take it). Hold the
 * ticks around onepop's code, then give libFuzzer its handler and timer
 * back; a hang inside still fails the run at meson's test timeout. */
struct fuzz_alarm {
	struct sigaction handler;
	struct itimerval ticks;
};
void fuzz_alarm_hold(struct fuzz_alarm *saved);
void fuzz_alarm_give_back(const struct fuzz_alarm *saved);

#endif
