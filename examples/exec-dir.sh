#!/bin/bash
# An onepop exec helper (protocol 1, onepop-exec(7)) serving a directory
# of message files, one message a file, names sorted. The UIDL is the file
# name, so only names of 1-70 characters from [A-Za-z0-9._=+-] are served.
#
#   onepop --backend=exec --exec=/path/exec-dir.sh --mailbox=/srv/pop/%u ...
#   onepop --backend=exec --exec=/path/exec-dir.sh --exec-arg=/srv/pop/shared ...
#
# The directory is the argument if one is given, else the mailbox onepop
# names in HELLO. Deleted files go only at COMMIT; anything else rolls back.
set -u
export LC_ALL=C

err() { printf 'ERR %s %s\n' "$1" "$2"; }

read -r hello version mailbox || exit 0
if [ "$hello" != HELLO ] || [ "$version" != 1 ]; then
	err PERM "this helper speaks protocol 1"
	exit 0
fi
dir=${1:-$mailbox}
if [ ! -d "$dir" ] || [ ! -r "$dir" ]; then
	err PERM "no such mailbox"
	exit 0
fi
# One session at a time: a second one gets [IN-USE].
exec 9<"$dir"
if ! flock -n 9; then
	err INUSE "mailbox is in use"
	exit 0
fi
echo "OK 1 exec-dir.sh"

files=()
for f in "$dir"/*; do
	name=${f##*/}
	[ -f "$f" ] && [[ $name =~ ^[A-Za-z0-9._=+-]{1,70}$ ]] && files+=("$name")
done

# Octets RETR sends before dot-stuffing: every line ending as CRLF, and a
# last line without one gets it added.
wire_size() {
	awk '{ sub(/\r$/, ""); n += length($0) + 2 } END { print n + 0 }' "$1"
}

while read -r cmd arg; do
	case $cmd in
	LIST)
		echo "OK ${#files[@]}"
		for name in "${files[@]}"; do
			echo "$(wire_size "$dir/$name") $name"
		done
		echo .
		;;
	RETR)
		name=${files[arg - 1]:-}
		if [ -z "$name" ] || [ ! -r "$dir/$name" ]; then
			err PERM "message $arg is gone"
			continue
		fi
		# Length-prefixed: exactly these octets follow, then END.
		echo "OK $(wc -c <"$dir/$name")"
		cat "$dir/$name"
		echo END
		;;
	COMMIT)
		doomed=()
		for ((i = 0; i < arg; i++)); do
			read -r n || exit 1
			doomed+=("${files[n - 1]}")
		done
		for name in "${doomed[@]}"; do
			rm -f -- "$dir/$name" || { err TEMP "cannot delete $name"; continue 2; }
		done
		echo OK
		;;
	QUIT | ROLLBACK)
		exit 0
		;;
	*)
		err PERM "unknown request"
		;;
	esac
done
