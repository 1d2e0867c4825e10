/* --scan USER: print the message list a session would see, change nothing. */
#ifndef ONEPOP_SCAN_H
#define ONEPOP_SCAN_H

#include "auth.h"
#include "onepop/backend.h"
#include "options.h"

/* Look opt->scan up (through auth, else the system's passwd), become that
 * user, open the mailbox read-only (bconfig: opt's part for the backend)
 * and print "N SIZE UIDL" per message on stdout. Returns the exit
 * status: 0, or 1 after saying why on stderr. */
int scan_run(const struct options *opt, const struct backend_config *bconfig,
             const struct backend_ops *backend, struct auth *auth);

#endif
