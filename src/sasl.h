/* RFC 5034 AUTH: SASL PLAIN (RFC 4616) and CRAM-MD5 (RFC 2195). */
#ifndef ONEPOP_SASL_H
#define ONEPOP_SASL_H

#include "session.h"

/* The AUTH command (table entry in commands.c): bare AUTH lists the
 * mechanisms usable now; "AUTH MECH [initial-response]" runs one. */
enum cmd_result cmd_auth(struct session *s, int argc, char **argv);

/* Write the CAPA "SASL ..." line naming exactly the mechanisms usable
 * now; nothing when there are none. */
void sasl_capa(struct session *s);

#endif
