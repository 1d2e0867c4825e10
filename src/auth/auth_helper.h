/* Time limits for the authentication sources that run other code: the
 * checkpassword program, and PAM's modules (run in a child process). */
#ifndef ONEPOP_AUTH_HELPER_H
#define ONEPOP_AUTH_HELPER_H

#include <stddef.h>
#include <sys/types.h>

/* Seconds a check may take in all (0: no limit). main sets it to the
 * idle --timeout; until then it is DEFAULT_TIMEOUT. */
void auth_helper_set_timeout(unsigned seconds);
unsigned auth_helper_timeout(void);

/* Collect the child pid, which runs in its own process group (it called
 * setpgid(0, 0)): read what it writes on fd into buf (at most size
 * octets; *ret_len) until EOF, then its exit status (*ret_status), all
 * within auth_helper_timeout() from now. Past that the whole process
 * group is killed (SIGKILL) and reaped: -ETIMEDOUT. 0 otherwise. */
int auth_helper_collect(pid_t pid, int fd, char *buf, size_t size, size_t *ret_len,
                        int *ret_status);

#endif
