#!/bin/sh
# e2e-exclusive: may useradd vmlaunch-other (as serial-boot-log-safe does)
# Three users on one lab machine: another user (vmlaunch-other) left things
# in a sticky directory; the user (nobody) runs vmlaunch there.
#   - the other user's stale socket at the serial path: nobody may replace
#     it (sticky /tmp), so check and run both refuse it with the same
#     message (69) naming it and its owner, and QEMU is not started (it
#     used to fail unlinking it after check had said OK);
#   - a symlink SOCKET.log to the user's file, and the other user's own
#     world-writable SOCKET.log: refused (66), and nothing is written.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root, to act as two other users"
# The system python: the other users cannot reach one under /root.
py=/usr/bin/python3
[ -x "$py" ] || skip "/usr/bin/python3 is needed to make test sockets"
command -v setpriv >/dev/null || skip "setpriv is needed to act as another user"
id vmlaunch-other >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin vmlaunch-other ||
	fail "cannot create the user vmlaunch-other"
other="setpriv --reuid=vmlaunch-other --regid=$(id -g vmlaunch-other) --clear-groups"
user="setpriv --reuid=nobody --regid=nogroup --clear-groups"

# Everything the user needs, readable by them: vmlaunch, a kernel, a QEMU.
chmod 755 "$tmp"
pub=$tmp/pub
mkdir -p "$pub/shared" "$pub/out" || fail "cannot make $pub"
chmod 1777 "$pub/shared"
chmod 777 "$pub/out"
cp "$VMLAUNCH" "$pub/vmlaunch" && cp "$top/tests/golden/files/bzImage" "$pub/" || fail "copy failed"
# A QEMU that records its start and, like QEMU, writes the console into the
# chardev's logfile by name (following symlinks).
cat >"$pub/qemu" <<'SH'
#!/bin/sh
for a; do case $a in socket,id=serial0,*) log=${a##*,logfile=} ;; esac; done
echo started >"$STARTED"
[ -n "${log:-}" ] && printf 'root console\n' >"$log"
exit 0
SH
chmod 755 "$pub/vmlaunch" "$pub/qemu"
chmod 644 "$pub/bzImage"
conf=$pub/vm.conf
printf 'kernel = bzImage\naccel = tcg\nqemu = %s\n' "$pub/qemu" >"$conf"
chmod 644 "$conf"
cd "$pub" || fail "cannot cd to $pub"

# as_user CMD SERIAL: vmlaunch CMD as the user; status in $st, stderr in $tmp/CMD.err.
as_user() {
	rm -f "$pub/out/started"
	STARTED=$pub/out/started timeout 10 $user "$pub/vmlaunch" "$1" -o serial="$2" "$conf" \
		>/dev/null 2>"$pub/out/$1.err"
	st=$?
	cp "$pub/out/$1.err" "$tmp/$1.err"
}

# same_refusal WHAT SERIAL STATUS PATTERN: check and run agree, run starts nothing.
same_refusal() {
	as_user check "$2"
	st_check=$st
	as_user run "$2"
	[ $st_check -eq "$3" ] && [ $st -eq "$3" ] ||
		fail "$1: check gave $st_check, run $st, want $3: $(cat "$tmp/check.err" "$tmp/run.err")"
	cmp -s "$tmp/check.err" "$tmp/run.err" ||
		fail "$1: check and run say different things: $(cat "$tmp/check.err") VS $(cat "$tmp/run.err")"
	grep -qF -- "$4" "$tmp/run.err" || fail "$1: no \"$4\": $(cat "$tmp/run.err")"
	[ -e "$pub/out/started" ] && fail "$1: run started QEMU"
	return 0
}

# The other user's stale sockets: one anyone may connect to (mode 777), so
# a probe sees nobody listening; one the user cannot even probe (755).
mksock='import os, socket, sys; os.umask(int(sys.argv[2], 8)); socket.socket(socket.AF_UNIX).bind(sys.argv[1])'
$other "$py" -c "$mksock" "$pub/shared/a.sock" 0 || fail "cannot make a stale socket"
$other "$py" -c "$mksock" "$pub/shared/b.sock" 022 || fail "cannot make a stale socket"
[ -S "$pub/shared/a.sock" ] && [ -S "$pub/shared/b.sock" ] || fail "no stale sockets"
same_refusal "a stale socket of another user" "$pub/shared/a.sock" 69 \
	"serial socket '$pub/shared/a.sock' belongs to user 'vmlaunch-other' (uid $(id -u vmlaunch-other)), nobody listens on it, and vmlaunch cannot replace it: its directory is sticky"
same_refusal "another user's socket we cannot probe" "$pub/shared/b.sock" 69 \
	"serial socket '$pub/shared/b.sock' belongs to user 'vmlaunch-other' (uid $(id -u vmlaunch-other)) (it cannot be probed: Permission denied) and vmlaunch cannot replace it"
[ -S "$pub/shared/a.sock" ] && [ -S "$pub/shared/b.sock" ] || fail "a socket was removed"

# The user's own stale socket in the same directory is replaced as before.
$user "$py" -c "$mksock" "$pub/shared/mine.sock" 077 || fail "cannot make the user's socket"
as_user check "$pub/shared/mine.sock"
[ $st -eq 0 ] || fail "the user's own stale socket was refused ($st): $(cat "$tmp/check.err")"

# The user's file, and what the other user plants at the log's name.
$user sh -c 'echo precious >"$1"; chmod 600 "$1"' sh "$pub/out/victim" || fail "no victim file"
$other ln -s "$pub/out/victim" "$pub/shared/c.sock.log" || fail "cannot plant a symlink"
same_refusal "a symlink planted at the log" "$pub/shared/c.sock" 66 \
	"boot log path '$pub/shared/c.sock.log' is a symbolic link; refusing to write through it"
$other sh -c 'umask 0; echo theirs >"$1"' sh "$pub/shared/d.sock.log" || fail "cannot plant a log"
same_refusal "another user's log" "$pub/shared/d.sock" 66 \
	"boot log '$pub/shared/d.sock.log' belongs to user 'vmlaunch-other' (uid $(id -u vmlaunch-other)), not to you"
[ "$(cat "$pub/out/victim")" = precious ] || fail "the user's file was overwritten through the symlink"
[ "$(cat "$pub/shared/d.sock.log")" = theirs ] || fail "the console went into the other user's log"
[ "$(stat -c %a "$pub/shared/d.sock.log")" = 666 ] || fail "the other user's log was changed"
exit 0
