/* TLS for the session with OpenSSL 3: RFC 2595 STLS and RFC 8314
 * implicit TLS. OpenSSL is not initialised unless --tls is on, so a
 * plaintext session does no TLS work at all. */
#ifndef ONEPOP_TLS_H
#define ONEPOP_TLS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "io.h"
#include "options.h"

#ifdef HAVE_TLS
/* What the module onepop-tls.so exports as onepop_tls_module; the
 * functions below forward to it once tls_configure has loaded it. The
 * module reads struct options too: 3 since it reads tls_ktls. */
#define TLS_MODULE_VERSION 3
struct tls_module {
	int version;
	int (*configure)(const struct options *opt, char *err, size_t errlen);
	int (*start)(struct io *io);
	bool (*active)(void);
	void (*end)(void);
	int (*relay)(struct io *io, int fd);
};

/* Load the module (next to the binary, else in the install directory),
 * then build the server context from --tls-cert/--tls-key before anything is
 * sent. On failure writes a reason (for stderr and the log) to err and
 * returns a negative errno. */
int tls_configure(const struct options *opt, char *err, size_t errlen);

/* Handshake on io's fds (bounded by io's idle timeout), then move io's
 * reads and writes onto TLS. Logs its own failure. 0, -ETIMEDOUT,
 * -EPROTO or -EIO. */
int tls_start(struct io *io);

/* True once a handshake succeeded. */
bool tls_active(void);

/* True once tls_configure succeeded with --tls-ktls=on: each handshake
 * will then offer the connection to the kernel's TLS (setsockopt
 * TCP_ULP, then SOL_TLS with the keys), which the pre-auth sandbox
 * (sandbox.c) must let through. */
bool tls_ktls(void);

/* Send close_notify if a session is up and free everything. */
void tls_end(void);

/* The pre-auth process after login (privsep.h): carry the session
 * between the TLS connection on io's fds and the plain stream fd, until
 * fd's other end closes; then close_notify and free everything. 0 or a
 * negative errno. */
int tls_relay(struct io *io, int fd);
#else
static inline int tls_configure(const struct options *opt, char *err, size_t errlen)
{
	(void)opt;
	if (errlen)
		*err = '\0';
	return -ENOTSUP;
}
static inline int tls_start(struct io *io) { (void)io; return -ENOTSUP; }
static inline bool tls_active(void) { return false; }
static inline bool tls_ktls(void) { return false; }
static inline void tls_end(void) { }
static inline int tls_relay(struct io *io, int fd) { (void)io; (void)fd; return -ENOTSUP; }
#endif

#endif
