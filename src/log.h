/* Logging: syslog (facility mail), and stderr with --debug when stderr is
 * not the client's connection. Never pass a password here. */
#ifndef ONEPOP_LOG_H
#define ONEPOP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* debug: also log LOG_DEBUG messages and copy everything to stderr
 * (unless stderr is the same file as stdin or stdout). */
void log_open(bool debug);
bool log_debugging(void);
/* True when stderr gets the log (debugging, and not the client's socket). */
bool log_to_stderr(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy client-supplied text into buf for a log line: non-printable bytes
 * and spaces become \xHH, at most size-1 bytes. Returns buf. */
const char *log_safe(const char *s, char *buf, size_t size);

#endif
