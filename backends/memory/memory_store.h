/* The memory backend (memory.c): an example of backend.h, for the tests. */
#ifndef ONEPOP_MEMORY_STORE_H
#define ONEPOP_MEMORY_STORE_H

#include <stdbool.h>
#include <stddef.h>

/* The one mailbox it serves, opened as MEMORY_PATH. */
#define MEMORY_PATH "memory:"

struct memory_msg {
	const char *uidl;       /* 1-70 chars 0x21-0x7E, unique */
	const char *text;       /* the message, LF or CRLF line ends */
};

/* Set by the caller; commit removes the deleted from msgs. */
struct memory_store {
	struct memory_msg *msgs;
	size_t count;
	bool locked;            /* a session has it open (not read-only) */
};
extern struct memory_store memory_store;

#endif
