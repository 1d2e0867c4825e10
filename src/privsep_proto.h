/* The records that cross between the pre-auth process and the monitor
 * (privilege separation, see privsep.h): one record per SOCK_SEQPACKET
 * message, a type octet then length-prefixed fields. The monitor parses
 * what the other side sends as hostile input: every field is bounded,
 * counted and checked here, before anything else looks at it. */
#ifndef ONEPOP_PRIVSEP_PROTO_H
#define ONEPOP_PRIVSEP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onepop_limits.h"
#include "options.h"   /* MECHS_*, sent in PS_HELLO_REPLY */

enum ps_type {
	/* pre-auth -> monitor */
	PS_HELLO = 1,           /* addr: the client, once known (after PROXY) */
	PS_AUTH,                /* mech, user, response, addr */
	PS_CHALLENGE,           /* (none): a CRAM-MD5 challenge, please */
	PS_LOG,                 /* prio, text */
	PS_END,                 /* reason, stats: the session ended before login */
	PS_HANDOFF,             /* relay flag, stats, input not yet read */
	/* monitor -> pre-auth */
	PS_HELLO_REPLY = 0x81,  /* verdict, seconds, APOP stamp, mechanisms */
	PS_CHALLENGE_REPLY,     /* challenge */
	PS_AUTH_REPLY,          /* verdict, close */
};

/* How a login was asked for (one routine serves them all: login.h). */
enum login_mech {
	MECH_PASS = 1,          /* USER + PASS */
	MECH_APOP,              /* RFC 1939 §7: response is the hex digest */
	MECH_PLAIN,             /* RFC 4616: user is the authcid */
	MECH_CRAM_MD5,          /* RFC 2195: response is the hex digest */
	MECH_PREAUTH,           /* --preauth: no credentials from the client */
	MECH_NONE,              /* cannot succeed (PLAIN authzid != authcid) */
};
#define MECH_LAST MECH_NONE

/* The monitor's answers. */
enum login_verdict {
	VERDICT_OK = 1,
	VERDICT_AUTH,           /* wrong user or password: -ERR [AUTH] */
	VERDICT_TEMP,           /* the source failed: -ERR [SYS/TEMP] */
	VERDICT_REFUSED,        /* the address is over --fail-limit */
};


/* A record is at most the input buffer plus its small fields. */
#define PS_MAX_RECORD (IN_BUF_SIZE + 1024)
#define PS_MAX_FIELDS 8
/* An address as inet_ntop writes it (INET6_ADDRSTRLEN is 46). */
#define PS_MAX_ADDR 63
/* A forwarded log line: client text in it is already escaped. */
#define PS_MAX_LOG 1024
/* An APOP stamp or CRAM-MD5 challenge, "<...@host>". */
#define PS_MAX_STAMP 127

/* ps_stats.flags */
enum {
	PS_STATS_EXIT = 1 << 0,         /* EXIT seen (--test-commands) */
};

struct ps_stats {
	uint32_t commands;
	uint32_t flags;                 /* PS_STATS_* */
	uint32_t ncounts;               /* entries used in counts */
	uint32_t counts[MAX_COMMANDS];  /* by command table index */
};

/* A record from the pre-auth side, checked and copied out. */
struct ps_request {
	enum ps_type type;
	enum login_mech mech;
	char user[MAX_USER + 1];
	char response[MAX_LINE + 1];
	char addr[PS_MAX_ADDR + 1];
	int prio;
	char text[PS_MAX_LOG + 1];
	uint32_t reason;
	bool relay;
	struct ps_stats stats;
	size_t input_len;
	unsigned char input[IN_BUF_SIZE];
};

/* A reply from the monitor. */
struct ps_reply {
	enum ps_type type;
	enum login_verdict verdict;
	uint32_t seconds;       /* HELLO_REPLY: refused for this long */
	uint32_t mechs;         /* HELLO_REPLY: MECHS_* */
	bool close;             /* AUTH_REPLY: no more attempts */
	char stamp[PS_MAX_STAMP + 1];
};

/* A record being built; overflow is sticky and checked at the end. */
struct ps_buf {
	size_t len;
	bool overflow;
	unsigned char b[PS_MAX_RECORD];
};

void ps_begin(struct ps_buf *b, enum ps_type type);
void ps_put(struct ps_buf *b, const void *data, size_t len);
void ps_put_str(struct ps_buf *b, const char *s);
void ps_put_u32(struct ps_buf *b, uint32_t v);
void ps_put_stats(struct ps_buf *b, const struct ps_stats *st);

/* Parse one record from the pre-auth side (hostile). 0, or -EBADMSG for
 * anything malformed: an unknown type, a wrong field count, a field
 * over its bound, a NUL in a string, a number out of range, trailing
 * octets. ret is written only on success. */
int ps_request_parse(const void *buf, size_t len, struct ps_request *ret);

/* Parse one reply from the monitor. 0 or -EBADMSG, as above. */
int ps_reply_parse(const void *buf, size_t len, struct ps_reply *ret);

#endif
