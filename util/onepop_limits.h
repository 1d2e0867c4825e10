/* Every limit onepop enforces, each with the reason for its value. */
#ifndef ONEPOP_LIMITS_H
#define ONEPOP_LIMITS_H

/* RFC 2449 §4: a command line is at most 255 octets including CRLF. */
#define MAX_LINE 255
/* RFC 2449 §4: a response line is at most 512 octets including CRLF. */
#define MAX_RESPONSE_LINE 512
/* RFC 1939 §7: a unique-id is 1 to 70 characters 0x21-0x7E. */
#define MAX_UIDL 70
/* Longest user name we look up; longer ones cannot match any account. */
#define MAX_USER 128
/* Input buffer: several pipelined commands, never grows (RFC 2449 §6.6). */
#define IN_BUF_SIZE 4096
/* Output buffer: replies are flushed once per batch of commands. */
#define OUT_BUF_SIZE 65536
/* Bytes read from a message per backend call. */
#define MSG_CHUNK 65536
/* Bad commands in a row before the session is ended (as Dovecot does). */
#define MAX_BAD_COMMANDS 10
/* Failed logins per session before disconnecting. */
#define MAX_AUTH_FAILURES 3
/* RFC 1939 §3: the autologout timer must be at least 10 minutes. */
#define DEFAULT_TIMEOUT 600
/* --timeout, --fail-ban: at most a week of seconds; a longer idle timer
 * or ban is a typo (and stays far inside alarm(2)'s unsigned range). */
#define MAX_TIMEOUT (86400 * 7)
#define MAX_FAIL_BAN (86400 * 7)
/* Delay before a failed-login reply, in milliseconds; at most a minute
 * (a longer one only holds connections open). */
#define DEFAULT_FAIL_DELAY_MS 1000
#define MAX_FAIL_DELAY_MS 60000
/* --fail-state: failures of one address (over all its connections)
 * before it is refused, and for how long they count (fail2ban's usual
 * maxretry and bantime order of magnitude). */
#define DEFAULT_FAIL_LIMIT 10
#define DEFAULT_FAIL_BAN 900
/* --fail-limit: a larger count is no limit at all. */
#define MAX_FAIL_LIMIT 100000
/* --expire: a century of days; --login-delay: a week of seconds. */
#define MAX_EXPIRE_DAYS 36500
#define MAX_LOGIN_DELAY (86400 * 7)
/* --login-delay's grace: after a session that retrieved messages, one
 * more login this many seconds after it ended is let through, for the
 * clients (old Outlook) that reconnect at once only to delete them. */
#define LOGIN_DELAY_GRACE 60
/* After an idle timeout fires, how long the -ERR line may take to write. */
#define TIMEOUT_GRACE 2
/* Longest mailbox path after template expansion (PATH_MAX is 4096). */
#define MAX_PATH 4096
/* Seconds the mbox backend waits for an MDA's dotlock or fcntl lock
 * (deliveries take well under a second; procmail's own wait is 8 s). */
#define MBOX_LOCK_WAIT 5
/* Privilege separation (privsep.h): the pre-auth process's own system
 * user, as popa3d and Dovecot have theirs, and the empty directory it is
 * chrooted to (systemd's RuntimeDirectory= makes it in the shipped unit;
 * onepop makes it when missing). */
#define DEFAULT_PRIVSEP_USER "onepop"
#define DEFAULT_PRIVSEP_DIR "/run/onepop/empty"
/* Longest configuration-file line. */
#define MAX_CONFIG_LINE 1024
/* Configuration files including others: how deep (stops an include
 * loop long before the open files or the stack run out). */
#define MAX_CONFIG_DEPTH 4

/* The summary log line: the UIDL list's MD5 is shown by its first
 * octets (8 hex digits tell one list from another at a glance), and
 * each command's "NAME:count," entry has room for a 10-octet name and a
 * 20-digit count. */
#define SUMMARY_DIGEST_OCTETS 4
#define SUMMARY_STAT_SIZE 32

/* mbox: times the open + flock is tried again when the file was replaced
 * (another session's rewrite) between the two; each retry means a whole
 * rewrite finished in that window. */
#define MBOX_OPEN_TRIES 5

/* Entries the command table may hold: per-command counters are a fixed
 * array of this size (the summary line's statistics). */
#define MAX_COMMANDS 32
/* --exec-arg may be given this many times; argv stays small and fixed. */
#define MAX_EXEC_ARGS 32
/* Longest line an exec helper may send (a LIST entry is ~92 octets). */
#define MAX_EXEC_LINE 1024
/* Error text from an exec helper kept for the log (and, if allowed, the
 * client): well inside RFC 2449's 512-octet response line. */
#define MAX_EXEC_ERROR 200
/* Messages an exec helper may list: bounds the memory its LIST can cost. */
#define MAX_EXEC_MESSAGES 1000000
/* Largest message or size a helper may announce (1 TiB): a million of
 * them still add up without overflow. */
#define EXEC_MAX_SIZE (UINT64_C(1) << 40)
/* Bytes read from a helper at a time: a few lines (or a part of a
 * message) per read(2). */
#define EXEC_BUF_SIZE (MAX_EXEC_LINE * 4)
/* Longest single poll(2) while waiting for a helper, in milliseconds:
 * the timeout argument is an int, so a longer wait is several polls. */
#define EXEC_POLL_MAX_MS 60000
/* After its pipes close, how long a helper gets to exit before SIGKILL,
 * and how often it is checked meanwhile (milliseconds). */
#define EXEC_REAP_MS 1000
#define EXEC_REAP_STEP_MS 10
/* The deleted numbers are sent to the helper in writes of this size. */
#define EXEC_COMMIT_CHUNK 4096

#endif
