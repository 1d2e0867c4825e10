/* The few libsystemd calls onepop makes, resolved from libsystemd.so.0
 * at the first use: only sessions started by systemd pay for loading it
 * (with its compression and crypto libraries). */
#ifndef ONEPOP_SD_H
#define ONEPOP_SD_H

#include <sys/uio.h>

struct sd_api {
	int (*listen_fds)(int unset_environment);
	int (*is_socket)(int fd, int family, int type, int listening);
	int (*journal_sendv)(const struct iovec *iov, int n);
};

/* The calls, or NULL when libsystemd cannot be loaded. */
const struct sd_api *sd_api(void);

#endif
