/* MH: --expire (RFC 2449 §6.5).
 *
 * Retrieved: at UPDATE, a message sent whole by RETR joins the sequence
 * onepopretrieved and leaves unseen (as nmh's show takes a message it
 * shows out of unseen, so MH readers see it read) in .mh_sequences.
 *
 * Expired at a later login: a message in onepopretrieved, not in unseen,
 * whose file's mtime is DAYS * 86400 seconds ago or earlier (MH keeps no
 * delivery time of its own; refile and inc keep the file). Why both
 * sequences and not "not in unseen" alone, the usual MH meaning of read:
 * a folder whose MDA keeps no unseen sequence (none configured, a plain
 * procmail folder) would have every message "read", and --expire=0 would
 * empty it at the first login. Onepop's own sequence says what onepop
 * sent; unseen still being off guards against a number reused by a new
 * message that a tool deleting outside MH left in the sequence (the MDA
 * puts new mail in unseen). So unlike Maildir's S flag, a message read
 * only in an MH reader does not expire: never delete what we did not
 * send, when the store cannot say it surely. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mh_expire.h"
#include "mh_sequences.h"

int mh_expire_run(int dir_fd, unsigned long *nums, size_t *count, unsigned days, int64_t now,
                  size_t *ret_removed)
{
	const int64_t age = (int64_t)days * 86400;
	size_t n = *count, out = 0, ngone = 0;
	bool *ours = calloc(n ? n : 1, sizeof(bool)), *unseen = calloc(n ? n : 1, sizeof(bool));
	unsigned long *gone = calloc(n ? n : 1, sizeof(*gone));
	int r = 0;

	if (!ours || !unseen || !gone)
		r = -ENOMEM;
	/* Sequences that cannot be read expire nothing (and lock nobody out). */
	if (r == 0 && (mh_sequences_members(dir_fd, MH_SEQ_RETRIEVED, nums, n, ours) < 0 ||
	               mh_sequences_members(dir_fd, MH_SEQ_UNSEEN, nums, n, unseen) < 0))
		n = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		char name[16];
		struct stat st;

		snprintf(name, sizeof(name), "%lu", nums[i]);
		if (ours[i] && !unseen[i] && fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && (int64_t)st.st_mtime <= now &&
		    now - (int64_t)st.st_mtime >= age && unlinkat(dir_fd, name, 0) == 0) {
			gone[ngone++] = nums[i];
			continue;
		}
		nums[out++] = nums[i];
	}
	if (r == 0 && ngone) {
		*count = out;
		*ret_removed = ngone;
		if (fsync(dir_fd) < 0 && errno != EINVAL)
			r = -errno;
		/* The files are gone whatever happens to the sequences; numbers
		 * left in them are harmless (a new message reusing one is in
		 * unseen), so that does not fail the login. */
		if (r == 0)
			(void)mh_sequences_remove(dir_fd, gone, ngone);
	}
	free(ours);
	free(unseen);
	free(gone);
	return r;
}

int mh_mark_retrieved(int dir_fd, const unsigned long *nums, size_t count, const bool *deleted,
                      const bool *retrieved, const unsigned long *gone, size_t ngone)
{
	unsigned long *seen = calloc(count ? count : 1, sizeof(*seen));
	size_t nseen = 0;
	int r;

	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; retrieved && i < count; i++)
		if (retrieved[i] && !deleted[i])
			seen[nseen++] = nums[i];
	r = ngone || nseen ? mh_sequences_update(dir_fd, gone, ngone, seen, nseen) : 0;
	free(seen);
	/* Marking alone failed: those messages only expire later; nothing
	 * the client asked for was lost. */
	return ngone ? r : 0;
}
