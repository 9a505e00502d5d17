#!/bin/sh
# e2e-exclusive: may useradd vmlaunch-other (as serial-other-user does)
# The boot log SOCKET.log in a directory others can write (/tmp, a group
# directory): run opens it itself and hands QEMU /proc/self/fd/N, so
# nothing planted at the name redirects the console.  A symlink, a hard
# link, a FIFO or another user's file there is refused by check and run
# alike (66, the same message), and nothing is written; an own log of an
# earlier boot becomes owner-only and empty.  As root, another user
# (vmlaunch-other) plants the files.
. "$(dirname "$0")/lib.sh"
files=$top/tests/golden/files
chmod 755 "$tmp"                      # the other user plants in $tmp/shared
shared=$tmp/shared
mkdir "$shared" && chmod 1777 "$shared" || fail "cannot make $shared"
sock=$shared/vm.sock
log=$sock.log
# A QEMU that opens the chardev's logfile as QEMU does (by name, created and
# truncated, following symlinks) and writes the console into it.
fake=$tmp/fake-qemu
cat >"$fake" <<'SH'
#!/bin/sh
for a; do case $a in socket,id=serial0,*) log=${a##*,logfile=} ;; esac; done
printf '%s\n' "$log" >"$FAKE_LOGARG"
printf 'root console\n' >"$log"
SH
chmod 755 "$fake"
conf=$tmp/vm.conf
printf 'kernel = %s\naccel = tcg\nqemu = %s\nserial = %s\n' "$files/bzImage" "$fake" "$sock" >"$conf"
echo precious >"$tmp/victim"
chmod 644 "$tmp/victim"

other=
if [ "$(id -u)" -eq 0 ]; then
	id vmlaunch-other >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin vmlaunch-other ||
		fail "cannot create the user vmlaunch-other"
	other="setpriv --reuid=vmlaunch-other --regid=$(id -g vmlaunch-other) --clear-groups"
fi
as_other() { if [ -n "$other" ]; then $other "$@"; else "$@"; fi; }

# refused WHAT PATTERN: check and run both fail with 66 and the same message
# (naming the log), within 10 s, and QEMU is not started.
refused() {
	rm -f "$tmp/logarg"
	FAKE_LOGARG=$tmp/logarg timeout 10 "$VMLAUNCH" check "$conf" >/dev/null 2>"$tmp/check.err"
	st_check=$?
	FAKE_LOGARG=$tmp/logarg timeout 10 "$VMLAUNCH" run "$conf" >/dev/null 2>"$tmp/run.err"
	st_run=$?
	[ $st_check -eq 66 ] && [ $st_run -eq 66 ] ||
		fail "$1: check gave $st_check, run $st_run, want 66: $(cat "$tmp/check.err" "$tmp/run.err")"
	cmp -s "$tmp/check.err" "$tmp/run.err" ||
		fail "$1: check and run say different things: $(cat "$tmp/check.err") VS $(cat "$tmp/run.err")"
	grep -qF "'$log' $2" "$tmp/run.err" || fail "$1: no '$2' for $log: $(cat "$tmp/run.err")"
	[ -e "$tmp/logarg" ] && fail "$1: run started QEMU"
	[ "$(cat "$tmp/victim")" = precious ] || fail "$1: the victim file was overwritten"
}

# A symlink to one of the user's files.
as_other ln -s "$tmp/victim" "$log" || fail "cannot plant a symlink"
refused "a symlink" "is a symbolic link"
rm -f "$log"

# A hard link to one of the user's files (planted by root where the kernel's
# protected_hardlinks keeps the other user from doing it).
as_other ln "$tmp/victim" "$log" 2>/dev/null || ln "$tmp/victim" "$log" || fail "cannot link"
refused "a hard link" "has 2 hard links"
rm -f "$log"

# A FIFO: refused at once, not opened and waited on.
as_other mkfifo -m 666 "$log" || fail "cannot make a FIFO"
refused "a FIFO" "exists and is not a regular file"
rm -f "$log"

# Another user's log, writable by all: the (root) console must not go into it.
if [ -n "$other" ]; then
	as_other sh -c 'umask 0; echo theirs >"$1"' sh "$log" || fail "cannot plant a log"
	refused "another user's log" "belongs to user 'vmlaunch-other'"
	[ "$(cat "$log")" = theirs ] && [ "$(stat -c %a "$log")" = 666 ] ||
		fail "another user's log was changed"
	rm -f "$log"
fi

# An own log of an earlier boot, readable by others: owner-only and emptied.
echo "an earlier boot" >"$log"
chmod 644 "$log"
FAKE_LOGARG=$tmp/logarg "$VMLAUNCH" run "$conf" 2>"$tmp/err" || fail "run failed: $(cat "$tmp/err")"
grep -qx '/proc/self/fd/[0-9][0-9]*' "$tmp/logarg" ||
	fail "QEMU got the log as '$(cat "$tmp/logarg")', not as /proc/self/fd/N"
[ "$(cat "$log")" = "root console" ] || fail "the log holds '$(cat "$log")', want only this boot's console"
[ "$(stat -c %a "$log")" = 600 ] || fail "the log is mode $(stat -c %a "$log"), want 600"
# A new log: created owner-only.
rm -f "$log"
FAKE_LOGARG=$tmp/logarg "$VMLAUNCH" run "$conf" 2>"$tmp/err" || fail "run failed: $(cat "$tmp/err")"
[ "$(cat "$log")" = "root console" ] && [ "$(stat -c %a "$log")" = 600 ] ||
	fail "a new log is mode $(stat -c %a "$log") with '$(cat "$log")'"
exit 0
