#!/usr/bin/env bats
# UPDATE all or nothing under random kills (issue 16.3): a session marks
# half of a Maildir's messages deleted and sends QUIT; it is killed with
# SIGKILL at a random moment of its commit. After the next login, either
# none or all of the marked messages are gone, never some.

setup() {
	load ../../helpers
	common_setup
	rm -f "$MAILDIR"/new/* "$MAILDIR"/cur/*
	"$PYTHON" - "$MAILDIR" <<-'PY'
	import os, sys
	for i in range(400):
	    with open(os.path.join(sys.argv[1], "new", "%d.M%dP1.kill" % (1700003000 + i, i)), "w") as f:
	        f.write("Subject: %d\n\nbody\n" % i)
	PY
	fix_owner "$MAILDIR"
	cp -a "$MAILDIR" "$BATS_TEST_TMPDIR/template"
}

@test "update: SIGKILL at random moments of a 200-message UPDATE leaves none or all deleted" {
	local -a std
	mapfile -t std < <(pop_std_args)
	run "$PYTHON" - "$MAILDIR" "$BATS_TEST_TMPDIR/template" "$ONEPOP" "${std[@]}" --preauth=alice <<-'PY'
	import os, random, shutil, signal, subprocess, sys, time
	maildir, template, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
	def count():
	    return len(os.listdir(maildir + "/new")) + len(os.listdir(maildir + "/cur"))
	random.seed(16)
	partial = killed_mid = 0
	for r in range(30):
	    shutil.rmtree(maildir)
	    shutil.copytree(template, maildir, symlinks=True)
	    for root, dirs, files in os.walk(maildir):
	        for n in dirs + files:
	            os.chown(os.path.join(root, n), os.stat(template).st_uid, os.stat(template).st_gid)
	    os.chown(maildir, os.stat(template).st_uid, os.stat(template).st_gid)
	    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
	                         stderr=subprocess.DEVNULL)
	    p.stdin.write(b"".join(b"DELE %d\r\n" % i for i in range(1, 401, 2)))
	    p.stdin.flush()
	    # every DELE answered: the session is at QUIT's door
	    got = 0
	    p.stdout.readline()
	    while got < 200:
	        p.stdout.readline()
	        got += 1
	    p.stdin.write(b"QUIT\r\n")
	    p.stdin.flush()
	    time.sleep(random.uniform(0, 0.03))
	    p.send_signal(signal.SIGKILL)
	    p.wait()
	    left = count()
	    if left not in (200, 400):
	        killed_mid += 1
	    out = subprocess.run(cmd, input=b"STAT\r\nQUIT\r\n", capture_output=True, timeout=60)
	    after = count()
	    print("round %d: after the kill %d files, after the next login %d" % (r, left, after))
	    if after not in (200, 400):
	        partial += 1
	print("partial %d killed-mid-commit %d" % (partial, killed_mid))
	PY
	assert_success
	echo "# ${lines[-1]}" >&3
	assert_line --partial "partial 0 "
}
