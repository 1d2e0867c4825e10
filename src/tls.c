/* TLS with OpenSSL 3 behind io's transport hooks: the line reader, the
 * reply writer and the idle timeout work unchanged on top of it.
 * Built as the loadable module onepop-tls.so (see tls_loader.c), so a
 * plaintext session never maps libssl or libcrypto. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "tls.h"

static SSL_CTX *ctx;
static SSL *ssl;
static bool active;
static bool ktls;           /* --tls-ktls=on */

/* --tls-ticket-key: RFC 5077 (TLS 1.2) and RFC 8446 §4.6.1 (TLS 1.3)
 * session tickets sealed with keys that every onepop process on the host
 * reads at start, so a client that reconnects to a new process resumes.
 * The file is 1 to TICKET_KEYS_MAX keys of 80 octets each: a 16-octet
 * name (sent in the ticket), a 32-octet HMAC-SHA256 key, a 32-octet
 * AES-256-CBC key. The first key seals new tickets; the others are only
 * accepted, and a ticket opened with one of them is replaced by a ticket
 * under the first. */
#define TICKET_KEY_LEN ((size_t)80)
#define TICKET_KEYS_MAX ((size_t)4)
struct ticket_key {
	unsigned char name[16];
	unsigned char hmac[32];
	unsigned char aes[32];
};
static struct ticket_key ticket_keys[TICKET_KEYS_MAX];
static size_t n_ticket_keys;

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

/* The private key, decoded for the certificate's key type: OpenSSL 3
 * builds its decoder chain from every decoder that might apply, and
 * naming the type (the key must match the certificate anyway) leaves out
 * most of them: 3.3 M of the 22 M instructions TLS adds to a process
 * (callgrind, ECDSA P-256). Anything this path cannot read (a key of
 * another type, an encrypted key) goes the general way, with its errors
 * and passphrase prompt. */
static int use_key(const char *path)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	EVP_PKEY *pub = cert ? X509_get0_pubkey(cert) : NULL;
	const char *type = pub ? EVP_PKEY_get0_type_name(pub) : NULL;
	EVP_PKEY *key = NULL;
	OSSL_DECODER_CTX *dec = NULL;
	BIO *in = NULL;
	int ok = 0;

	if (type)
		dec = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", NULL, type,
		                                    EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dec)
		in = BIO_new_file(path, "r");
	if (in && OSSL_DECODER_from_bio(dec, in) == 1 && key)
		ok = SSL_CTX_use_PrivateKey(ctx, key);
	EVP_PKEY_free(key);
	BIO_free(in);
	OSSL_DECODER_CTX_free(dec);
	if (ok == 1)
		return 1;
	ERR_clear_error();
	return SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM);
}

/* Read the key file (as root, before the greeting, like the certificate);
 * refuse one that is not a regular file, is readable by group or others,
 * or is not a whole number of keys. */
static int ticket_keys_load(const char *path, char *err, size_t errlen)
{
	unsigned char buf[TICKET_KEY_LEN * TICKET_KEYS_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, r = -EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open --tls-ticket-key %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--tls-ticket-key %s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "--tls-ticket-key %s: readable by group or others "
		         "(it unseals every session's ticket): chmod 600", path);
		goto out;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			snprintf(err, errlen, "cannot read --tls-ticket-key %s: %s", path,
			         strerror(-r));
			goto out;
		}
		len += (size_t)n;
	}
	if (len == 0 || len % TICKET_KEY_LEN || len > TICKET_KEY_LEN * TICKET_KEYS_MAX) {
		snprintf(err, errlen, "--tls-ticket-key %s: %zu octets, not 1 to %zu keys of %zu "
		         "(e.g. head -c %zu /dev/urandom)", path, len, TICKET_KEYS_MAX,
		         TICKET_KEY_LEN, TICKET_KEY_LEN);
		goto out;
	}
	n_ticket_keys = len / TICKET_KEY_LEN;
	for (size_t i = 0; i < n_ticket_keys; i++) {
		const unsigned char *k = buf + i * TICKET_KEY_LEN;

		memcpy(ticket_keys[i].name, k, 16);
		memcpy(ticket_keys[i].hmac, k + 16, 32);
		memcpy(ticket_keys[i].aes, k + 48, 32);
	}
	r = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return r;
}

static int ticket_mac_init(EVP_MAC_CTX *hctx, const struct ticket_key *k)
{
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac,
	                                              sizeof(k->hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, params) == 1 ? 0 : -1;
}

static void ticket_keys_wipe(void)
{
	explicit_bzero(ticket_keys, sizeof(ticket_keys));
	n_ticket_keys = 0;
}

/* OpenSSL's ticket callback (SSL_CTX_set_tlsext_ticket_key_evp_cb): seal
 * with the first key; open with whichever key the ticket names: 1, or 2
 * (renew) for an older key, 0 (full handshake) for an unknown one. A
 * ticket is opened (ClientHello) before the session's one ticket is
 * sealed, so the keys are wiped once it is: the rest of the session,
 * whatever runs it, holds no key to other sessions' tickets. */
static int ticket_cb(SSL *s, unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                     EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	(void)s;
	if (enc) {
		const struct ticket_key *k = &ticket_keys[0];
		int r = -1;

		if (!n_ticket_keys)
			return 0;
		if (RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) != 1)
			goto out;
		memcpy(key_name, k->name, sizeof(k->name));
		if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1 ||
		    ticket_mac_init(hctx, k) < 0)
			goto out;
		r = 1;
out:
		ticket_keys_wipe();
		return r;
	}
	for (size_t i = 0; i < n_ticket_keys; i++) {
		const struct ticket_key *k = &ticket_keys[i];

		if (memcmp(key_name, k->name, sizeof(k->name)) != 0)
			continue;
		if (ticket_mac_init(hctx, k) < 0 ||
		    EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1)
			return -1;
		return i == 0 ? 1 : 2;
	}
	return 0;
}

static int impl_configure(const struct options *opt, char *err, size_t errlen)
{
	const char *key = opt->tls_key ? opt->tls_key : opt->tls_cert;

	if (!opt->tls_cert) {
		snprintf(err, errlen, "--tls=%s needs --tls-cert",
		         opt->tls == TLS_IMPLICIT ? "implicit" : "starttls");
		return -EINVAL;
	}
	/* The process ends with the session: OpenSSL's clean-up at exit
	 * would only free memory (1.3 M instructions a connection). */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT, NULL);
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		last_error(err, errlen, "cannot create a TLS context", "");
		return -ENOMEM;
	}
	/* TLS 1.2 and 1.3 only; ciphers stay the system's policy
	 * (openssl.cnf), which OpenSSL loads by default. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* One process per connection: a session cache could never be used
	 * again, and tickets only with keys every process shares. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (opt->tls_ticket_key) {
		if (ticket_keys_load(opt->tls_ticket_key, err, errlen) < 0)
			goto fail;
		/* One ticket: a POP3 client reconnects once per poll, and each
		 * resumed session is handed a fresh ticket. */
		SSL_CTX_set_num_tickets(ctx, 1);
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	} else {
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* SSL_OP_ENABLE_KTLS itself is set per connection, in impl_start,
	 * once the connection has taken the kernel's TLS layer. */
	ktls = opt->tls_ktls;
	if (SSL_CTX_use_certificate_chain_file(ctx, opt->tls_cert) != 1) {
		last_error(err, errlen, "cannot load certificate", opt->tls_cert);
		goto fail;
	}
	if (use_key(key) != 1) {
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
	ticket_keys_wipe();
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

/* --tls-ktls: attach the kernel's TLS layer (the TCP_ULP "tls") to the
 * connection before the handshake, so that OpenSSL can hand it the
 * record keys once they are agreed. NULL when the connection took it,
 * else why not, for the log. */
static const char *ktls_attach(const struct io *io)
{
#ifdef OPENSSL_NO_KTLS
	(void)io;
	return "OpenSSL built without kTLS";
#else
	static char why[128];
	const int fds[2] = { io->in_fd, io->out_fd };

	for (size_t i = 0; i < 2; i++) {
		struct stat st;

		if (fstat(fds[i], &st) < 0 || !S_ISSOCK(st.st_mode))
			return "the connection is not a socket";
		/* stdin and stdout are most often one socket: EEXIST the
		 * second time. */
		if (setsockopt(fds[i], IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) < 0 &&
		    errno != EEXIST) {
			if (errno == ENOENT)
				return "kernel offers no TLS ULP";
			snprintf(why, sizeof(why), "cannot attach the TLS ULP: %s", strerror(errno));
			return why;
		}
	}
	return NULL;
#endif
}

static int impl_start(struct io *io)
{
	const char *no_ktls;
	BIO *rbio, *wbio;
	int r;

	if (!ctx || ssl)
		return -EINVAL;
	no_ktls = ktls ? ktls_attach(io) : "off";
	ssl = SSL_new(ctx);
	if (!no_ktls) {
		/* Only a socket BIO passes the keys to the kernel; from then
		 * on SSL_write's records are the kernel's to encrypt. */
		rbio = BIO_new_socket(io->in_fd, BIO_NOCLOSE);
		wbio = BIO_new_socket(io->out_fd, BIO_NOCLOSE);
		if (ssl)
			SSL_set_options(ssl, SSL_OP_ENABLE_KTLS);
	} else {
		/* fd BIOs, not socket BIOs: inetd may hand over a pipe pair
		 * too. Without kTLS this is the whole path, as if it were off. */
		rbio = BIO_new_fd(io->in_fd, BIO_NOCLOSE);
		wbio = BIO_new_fd(io->out_fd, BIO_NOCLOSE);
	}
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
	/* Whether the kernel took the records over: with the ULP on, a
	 * cipher the kernel lacks keeps both directions in OpenSSL, and
	 * OpenSSL 3.0 receives TLS 1.3 itself. */
	if (ktls && no_ktls)
		log_msg(LOG_INFO, "kTLS: unavailable (%s)", no_ktls);
	else if (ktls)
		log_msg(LOG_INFO, "kTLS: send %s, recv %s",
		        BIO_get_ktls_send(SSL_get_wbio(ssl)) ? "on" : "off",
		        BIO_get_ktls_recv(SSL_get_rbio(ssl)) ? "on" : "off");
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
	ticket_keys_wipe();
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
				if (fd_write_all(fd, buf, n) < 0)
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
	/* The TLS close is out: hang up now, not when the last process
	 * holding the connection has exited (not a socket: nothing to do). */
	shutdown(io->out_fd, SHUT_WR);
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
