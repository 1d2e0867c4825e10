/* The memory backend: the whole backend contract (backend.h) in one
 * small file, for a newcomer to read and for the unit tests
 * (test/unit/test_backend.c). It serves memory_store, a mailbox held in
 * memory, so it is not compiled into onepop and --backend never finds it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "onepop/backend.h"
#include "memory_store.h"

struct memory_store memory_store;

extern const struct backend_ops backend_memory;

/* The private state embeds struct mailbox first: the core holds a
 * struct mailbox *, each function casts it back. */
struct memory_mailbox {
	struct mailbox base;
	const struct backend_session *session;  /* valid until close */
	const char *text;       /* the open message: unread bytes */
	size_t left;
};

static int memory_open(const char *path, const struct backend_session *session,
                       struct backend_report *report, struct mailbox **ret_mb)
{
	struct memory_mailbox *m;

	if (strcmp(path, MEMORY_PATH) != 0)
		return -ENOENT;                 /* "-ERR [SYS/PERM]" */
	if (memory_store.locked && !session->readonly) {
		/* Our own text, never the client's: the core may send it. */
		strcpy(report->holder, "from the test");
		return -EWOULDBLOCK;            /* "-ERR [IN-USE]" */
	}
	if (!(m = calloc(1, sizeof(*m))))
		return -ENOMEM;
	m->base.ops = &backend_memory;
	m->session = session;
	memory_store.locked |= !session->readonly;   /* --scan takes no lock */
	*ret_mb = &m->base;
	return 0;
}

static int memory_scan(struct mailbox *mb, struct msginfo **ret_msgs, size_t *ret_count)
{
	struct msginfo *info = calloc(memory_store.count + 1, sizeof(*info));

	(void)mb;
	if (!info)
		return -ENOMEM;
	for (size_t i = 0; i < memory_store.count; i++) {
		struct wire_size ws;
		int r;

		/* The size RETR will send: every line end counted as CRLF. */
		wire_size_init(&ws);
		wire_size_feed(&ws, memory_store.msgs[i].text, strlen(memory_store.msgs[i].text));
		if ((r = wire_size_end(&ws, &info[i].size)) < 0) {
			free(info);
			return r;
		}
		info[i].uidl = memory_store.msgs[i].uidl;   /* ours, valid until close */
	}
	*ret_msgs = info;
	*ret_count = memory_store.count;
	return 0;
}

static int memory_msg_open(struct mailbox *mb, size_t idx)
{
	struct memory_mailbox *m = (struct memory_mailbox *)mb;

	if (idx >= memory_store.count)
		return -EINVAL;
	m->text = memory_store.msgs[idx].text;
	m->left = strlen(m->text);
	return 0;
}

static ssize_t memory_msg_read(struct mailbox *mb, void *buf, size_t len)
{
	struct memory_mailbox *m = (struct memory_mailbox *)mb;
	size_t n = len < m->left ? len : m->left;

	memcpy(buf, m->text, n);
	m->text += n;
	m->left -= n;
	return (ssize_t)n;
}

static void memory_msg_close(struct mailbox *mb)
{
	((struct memory_mailbox *)mb)->left = 0;
}

/* UPDATE: drop the deleted messages, keep the others in order. In
 * memory nothing can crash half-way; a real store makes this durable. */
static int memory_commit(struct mailbox *mb, const bool *deleted, size_t count)
{
	struct memory_mailbox *m = (struct memory_mailbox *)mb;
	size_t kept = 0;

	if (m->session->readonly)
		return -EROFS;
	for (size_t i = 0; i < memory_store.count; i++)
		if (i >= count || !deleted[i])
			memory_store.msgs[kept++] = memory_store.msgs[i];
	memory_store.count = kept;
	return 0;
}

static void memory_close(struct mailbox *mb)
{
	struct memory_mailbox *m = (struct memory_mailbox *)mb;

	if (!m)
		return;
	if (!m->session->readonly)
		memory_store.locked = false;
	free(m);
}

const struct backend_ops backend_memory = {
	.name = "memory",
	.default_mailbox = MEMORY_PATH,
	.flags = BACKEND_READONLY,
	.open = memory_open,
	.scan = memory_scan,
	.msg_open = memory_msg_open,
	.msg_read = memory_msg_read,
	.msg_close = memory_msg_close,
	.commit = memory_commit,
	.close = memory_close,
};
