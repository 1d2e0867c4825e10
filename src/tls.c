/* TLS with OpenSSL 3 behind io's transport hooks: the line reader, the
 * reply writer and the idle timeout work unchanged on top of it.
 * Built as the loadable module onepop-tls.so (see tls_loader.c), so a
 * plaintext session never maps libssl or libcrypto. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tls.h"

static SSL_CTX *ctx;
static SSL *ssl;
static bool active;

static bool impl_active(void)
{
	return active;
}

static void last_error(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_peek_error();
	char reason[256] = "unknown error";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(err, errlen, "%s %s: %s", what, path, reason);
	ERR_clear_error();
}

static int impl_configure(const struct options *opt, char *err, size_t errlen)
{
	const char *key = opt->tls_key ? opt->tls_key : opt->tls_cert;

	if (!opt->tls_cert) {
		snprintf(err, errlen, "--tls=%s needs --tls-cert",
		         opt->tls == TLS_IMPLICIT ? "implicit" : "starttls");
		return -EINVAL;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		last_error(err, errlen, "cannot create a TLS context", "");
		return -ENOMEM;
	}
	/* TLS 1.2 and 1.3 only; ciphers stay the system's policy
	 * (openssl.cnf), which OpenSSL loads by default. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* One process per connection: no cache or tickets could ever be
	 * used again. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, opt->tls_cert) != 1) {
		last_error(err, errlen, "cannot load certificate", opt->tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		last_error(err, errlen, "cannot load private key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		last_error(err, errlen, "key does not match certificate", key);
		goto fail;
	}
	return 0;
fail:
	SSL_CTX_free(ctx);
	ctx = NULL;
	return -EINVAL;
}

/* A blocked read or write interrupted by the idle alarm comes back as
 * WANT_READ/WANT_WRITE (the fd BIO retries on EINTR): report EINTR so
 * io.c decides, as it does for plain fds. */
static ssize_t io_result(int r, size_t n)
{
	if (r > 0)
		return (ssize_t)n;
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EINTR;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			return 0;
		ERR_clear_error();
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

static ssize_t tls_read(void *c, void *buf, size_t len)
{
	size_t n = 0;

	int r;

	(void)c;
	errno = 0;
	r = SSL_read_ex(ssl, buf, len, &n);
	return io_result(r, n);
}

static ssize_t tls_write(void *c, const void *buf, size_t len)
{
	size_t n = 0;

	int r;

	(void)c;
	errno = 0;
	r = SSL_write_ex(ssl, buf, len, &n);
	return io_result(r, n);
}

static int impl_start(struct io *io)
{
	BIO *rbio, *wbio;
	int r;

	if (!ctx || ssl)
		return -EINVAL;
	ssl = SSL_new(ctx);
	/* fd BIOs, not socket BIOs: inetd may hand over a pipe pair too. */
	rbio = BIO_new_fd(io->in_fd, BIO_NOCLOSE);
	wbio = BIO_new_fd(io->out_fd, BIO_NOCLOSE);
	if (!ssl || !rbio || !wbio) {
		BIO_free(rbio);
		BIO_free(wbio);
		log_msg(LOG_ERR, "TLS: out of memory");
		return -ENOMEM;
	}
	SSL_set_bio(ssl, rbio, wbio);
	/* The whole handshake must fit in one idle period: a client that
	 * connects and sends nothing, or stalls halfway, is dropped. */
	if (io->timeout && !io_timed_out())
		alarm(io->timeout);
	while ((r = SSL_accept(ssl)) != 1) {
		int e = SSL_get_error(ssl, r);

		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && !io_timed_out())
			continue;
		if (io_timed_out()) {
			log_msg(LOG_NOTICE, "TLS handshake timed out");
			return -ETIMEDOUT;
		}
		if (e == SSL_ERROR_SSL) {
			char reason[256];
			ERR_error_string_n(ERR_peek_last_error(), reason, sizeof(reason));
			log_msg(LOG_NOTICE, "TLS handshake failed: %s", reason);
		} else {
			log_msg(LOG_NOTICE, "TLS handshake failed: connection closed");
		}
		ERR_clear_error();
		return e == SSL_ERROR_SSL ? -EPROTO : -EIO;
	}
	if (!io_timed_out())
		alarm(0);
	active = true;
	io->t = (struct io_transport){ .read = tls_read, .write = tls_write, .ctx = io };
	log_msg(LOG_INFO, "TLS: %s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	return 0;
}

static void impl_end(void)
{
	if (ssl && active)
		SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ssl = NULL;
	ctx = NULL;
	active = false;
}

/* All of buf to fd; 0 or -EIO. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The relay's copy loop: decrypted client bytes to fd, fd's bytes
 * encrypted to the client. The user's process keeps the idle timeout;
 * this ends when it closes fd (or the client goes). */
static int impl_relay(struct io *io, int fd)
{
	static unsigned char buf[16384];
	struct pollfd p[2] = { { .fd = io->in_fd, .events = POLLIN },
	                       { .fd = fd, .events = POLLIN } };
	int r = 0;

	if (!ssl || !active)
		return -EINVAL;
	alarm(0);
	for (;;) {
		bool pending = p[0].fd >= 0 && SSL_pending(ssl) > 0;
		size_t n = 0;

		if (!pending && poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (p[0].fd >= 0 && (pending || p[0].revents)) {
			if (SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1) {
				if (write_all(fd, buf, n) < 0)
					break;
			} else {
				int e = SSL_get_error(ssl, 0);

				ERR_clear_error();
				if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
					/* The client is gone: the user's process
					 * sees its EOF. */
					p[0].fd = -1;
					shutdown(fd, SHUT_WR);
				}
			}
		}
		if (p[1].revents) {
			ssize_t got = read(fd, buf, sizeof(buf));
			size_t done = 0;

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			while (p[0].fd >= 0 && done < (size_t)got) {
				if (SSL_write_ex(ssl, buf + done, (size_t)got - done, &n) != 1) {
					ERR_clear_error();
					p[0].fd = -1;
					break;
				}
				done += n;
			}
		}
	}
	explicit_bzero(buf, sizeof(buf));
	if (p[0].fd < 0)
		active = false;
	impl_end();
	return r;
}

/* The one symbol the loader looks up. */
const struct tls_module onepop_tls_module = {
	.version = TLS_MODULE_VERSION,
	.configure = impl_configure,
	.start = impl_start,
	.active = impl_active,
	.end = impl_end,
	.relay = impl_relay,
};
