/* Logging: syslog (facility mail), the systemd journal with structured
 * fields when started by systemd, and stderr with --debug when stderr is
 * not the client's connection. Never pass a password here. */
#ifndef ONEPOP_LOG_H
#define ONEPOP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* debug: also log LOG_DEBUG messages and copy everything to stderr
 * (unless stderr is the same file as stdin or stdout). Goes to the
 * journal instead of syslog when systemd started us (JOURNAL_STREAM or
 * INVOCATION_ID set) and onepop was built with libsystemd. */
void log_open(bool debug);
bool log_debugging(void);
/* Send every line to sink instead (the pre-auth process hands its lines
 * to the monitor, which logs them); NULL restores the default. */
void log_set_sink(void (*sink)(int prio, const char *text));
/* True when stderr gets the log (debugging, and not the client's socket). */
bool log_to_stderr(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The journal fields of a session line (SPEC "Logging"). Strings must
 * already be safe (log_safe); NULL leaves the field out. The numbers
 * are sent only when end_reason is set (the summary line). */
struct log_fields {
	const char *user;
	const char *remote_addr;
	const char *end_reason;
	unsigned long long retr_bytes;
	unsigned long deleted;
	unsigned long commands;
};

/* log_msg, plus f as structured fields when logging to the journal
 * (syslog and stderr get the text line only). */
void log_fields(int prio, const struct log_fields *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Copy client-supplied text into buf for a log line: non-printable bytes
 * and spaces become \xHH, at most size-1 bytes. Returns buf. */
const char *log_safe(const char *s, char *buf, size_t size);

#endif
