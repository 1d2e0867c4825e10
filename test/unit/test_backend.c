/* The backend contract (backend.h), driven the way the core drives it,
 * through the memory backend (backends/memory/memory.c); and the config the
 * core fills for backends from the options. */
#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include "onepop/backend.h"
#include "memory_store.h"
#include "options.h"
#include "unit.h"

extern const struct backend_ops backend_memory;

/* Read message idx whole, as RETR does. */
static int read_all(struct mailbox *mb, size_t idx, char *out, size_t size)
{
	const struct backend_ops *ops = mb->ops;
	size_t len = 0;
	ssize_t n;
	int r;

	if ((r = ops->msg_open(mb, idx)) < 0)
		return r;
	/* Chunks of 3 at most: a backend streams, whatever len it is given. */
	while (len + 3 < size && (n = ops->msg_read(mb, out + len, 3)) > 0)
		len += (size_t)n;
	ops->msg_close(mb);
	out[len] = '\0';
	return (int)len;
}

static void test_contract(void)
{
	struct memory_msg msgs[] = {
		{ "one", "Subject: a\n\nbody\n" },
		{ "two", "Subject: b\r\n\r\n.dot\r\n" },
		{ "three", "Subject: c\n\nno end" },
	};
	const struct backend_ops *ops = &backend_memory;
	struct backend_config config = { 0 };
	struct backend_session session = { .config = &config, .remote = "192.0.2.1" };
	struct backend_report report = { 0 }, report2 = { 0 };
	struct mailbox *mb = NULL, *mb2 = NULL;
	struct msginfo *info = NULL;
	size_t count = 0;
	bool deleted[3] = { false, true, false }, retrieved[3] = { 0 };
	char buf[64];

	memory_store = (struct memory_store){ .msgs = msgs, .count = 3 };
	CHECK(ops->open("elsewhere", &session, &report, &mb) == -ENOENT);
	CHECK(ops->open(MEMORY_PATH, &session, &report, &mb) == 0 && mb && mb->ops == ops);
	/* A second session is refused with the holder; a dry run is not. */
	CHECK(ops->open(MEMORY_PATH, &session, &report2, &mb2) == -EWOULDBLOCK);
	CHECK(strcmp(report2.holder, "from the test") == 0);
	CHECK(ops->scan(mb, &info, &count) == 0 && count == 3);
	session.retrieved = retrieved;   /* the core sets it after scan */
	/* Sizes as RETR sends them, before dot-stuffing: LF counts 2. */
	CHECK(info[0].size == 20 && strcmp(info[0].uidl, "one") == 0);
	CHECK(info[1].size == 20 && strcmp(info[1].uidl, "two") == 0);
	CHECK(info[2].size == 22 && strcmp(info[2].uidl, "three") == 0);   /* + a CRLF at the end */
	CHECK(read_all(mb, 1, buf, sizeof(buf)) == 20 && strcmp(buf, msgs[1].text) == 0);
	CHECK(ops->msg_open(mb, 3) == -EINVAL);
	CHECK(ops->commit(mb, deleted, 3) == 0);
	ops->close(mb);
	free(info);
	CHECK(memory_store.count == 2 && !memory_store.locked);

	/* The next session sees what commit kept; a dry run changes nothing. */
	session.readonly = true;
	report = (struct backend_report){ 0 };
	CHECK(ops->open(MEMORY_PATH, &session, &report, &mb) == 0);
	CHECK(ops->scan(mb, &info, &count) == 0 && count == 2);
	CHECK(strcmp(info[0].uidl, "one") == 0 && strcmp(info[1].uidl, "three") == 0);
	CHECK(read_all(mb, 1, buf, sizeof(buf)) == 18 && strcmp(buf, "Subject: c\n\nno end") == 0);
	CHECK(ops->commit(mb, deleted, 2) == -EROFS && memory_store.count == 2);
	ops->close(mb);
	free(info);
	ops->close(NULL);   /* close accepts NULL */
}

static void test_config(void)
{
	struct options o = { 0 };
	struct backend_config c;

	options_backend_config(&o, &c);
	CHECK(!c.expire && c.login_delay == 0 && !c.uidl_format && !c.exec_argv[0]);
	o.expire = true;
	o.expire_days = 30;
	o.login_delay = 900;
	o.uidl_format = "dovecot";
	o.timeout = 60;
	o.exec_prog = "/usr/lib/helper";
	o.exec_args[0] = "-v";
	o.exec_args[1] = "x";
	o.exec_argc = 2;
	options_backend_config(&o, &c);
	CHECK(c.expire && c.expire_days == 30 && c.login_delay == 900 && c.timeout == 60);
	CHECK(strcmp(c.uidl_format, "dovecot") == 0);
	CHECK(strcmp(c.exec_argv[0], "/usr/lib/helper") == 0 && strcmp(c.exec_argv[1], "-v") == 0 &&
	      strcmp(c.exec_argv[2], "x") == 0 && c.exec_argv[3] == NULL);
}

/* What the core asks of a backend's ops instead of its name. */
static void test_registry(void)
{
	static const char *const formats[] = { "x-uidl", "map:", NULL };
	struct backend_ops b = { .name = "t", .uidl_formats = formats };
	struct backend_ops none = { .name = "n", .uidl_format_refusal = ": none here" };
	char *names;

	CHECK(backend_uidl_format_check(&b, NULL) == 0);
	CHECK(backend_uidl_format_check(&b, "x-uidl") == 0);
	CHECK(backend_uidl_format_check(&b, "map:old.map") == 0);
	CHECK(backend_uidl_format_check(&b, "x-uid") == -EINVAL);
	CHECK(backend_uidl_format_check(&b, "x-uidl2") == -EINVAL);
	CHECK(backend_uidl_format_check(&b, "map") == -EINVAL);
	CHECK(backend_uidl_format_check(&none, NULL) == 0);
	CHECK(backend_uidl_format_check(&none, "x-uidl") == -EINVAL);
	/* No flag asked: every compiled-in backend, the default first. */
	names = backend_names(0);
	CHECK(names && backends[0] &&
	      strncmp(names, backends[0]->name, strlen(backends[0]->name)) == 0);
	CHECK(names && (!backends[1] || strchr(names, ',')));
	/* Every name, each but the last followed by ", ": never cut. */
	size_t want = 0;
	for (size_t i = 0; backends[i]; i++)
		want += strlen(backends[i]->name) + (backends[i + 1] ? 2 : 0);
	CHECK(names && strlen(names) == want);
	free(names);
	/* No backend both enforces --expire and serves --faithful. */
	names = backend_names(BACKEND_READONLY | BACKEND_EXPIRY | BACKEND_FAITHFUL);
	CHECK(names && names[0] == '\0');
	free(names);
}

int main(void)
{
	test_contract();
	test_config();
	test_registry();
	return unit_done("backend");
}
