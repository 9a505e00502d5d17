#!/bin/sh
# vmlaunch console --replay against a fake serial socket (a python listener).
# The boot log is shown raw, so only a regular file of our own that nobody
# else may write is shown: a log of mode 0666 or 0620, a symlink, a named
# pipe, a log owned by another user (as root) are refused with one warning
# naming the file and why, and the session goes on.  A VM that is not
# running (socket gone, or nobody listening; also through a CONFIG): the log
# is shown, one line says so, status 0.  Without --replay nothing changed.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the fake serial socket"
fake_pid=
trap '[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; cleanup' EXIT
kernel=$top/tests/golden/files/bzImage

sock=$tmp/fake.sock
log=$sock.log

# console ARGS...: vmlaunch console ARGS, no input; $status, $tmp/out, $tmp/err.
console() {
	"$VMLAUNCH" console "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	status=$?
}

# own_log: a log only we can write, with a marker that must be shown.
own_log() {
	rm -f "$log"
	(umask 077 && printf 'boot line 1\r\nmarker \033[1mOLD\033[0m\r\n' >"$log")
}

# refused WHAT REASON: with a live fake VM, the log is not shown, one warning
# says why, and the live bytes still come, status 0.
refused() {
	fake_vm "$sock" 'live line\r\n' /dev/null 1
	console --replay --timeout 20 "$sock"
	wait "$fake_pid"
	fake_pid=
	[ $status -eq 0 ] || fail "$1: status $status: $(cat "$tmp/err")"
	grep -q 'OLD' "$tmp/out" && fail "$1: the log was shown: $(od -c "$tmp/out" | head -3)"
	printf 'live line\r\n' | cmp -s - "$tmp/out" || fail "$1: no live output: $(cat "$tmp/out")"
	want="vmlaunch: warning: boot log $log $2: not shown"
	grep -qxF "$want" "$tmp/err" || fail "$1: no '$want' in: $(cat "$tmp/err")"
	[ "$(grep -c . "$tmp/err")" -eq 2 ] || fail "$1: more than the warning and the close: $(cat "$tmp/err")"
}

# Our own log, mode 0600: shown, then the live bytes.
own_log
fake_vm "$sock" 'live line\r\n' /dev/null 1
console --replay --timeout 20 "$sock"
wait "$fake_pid"
fake_pid=
[ $status -eq 0 ] || fail "own log: status $status: $(cat "$tmp/err")"
{ cat "$log"; printf 'live line\r\n'; } | cmp -s - "$tmp/out" ||
	fail "own log: not the log then the live bytes: $(od -c "$tmp/out" | head -5)"
grep -q 'warning' "$tmp/err" && fail "own log: a warning: $(cat "$tmp/err")"

own_log
chmod 0666 "$log"
refused "mode 0666" "is writable by group and others (mode 0666)"
chmod 0602 "$log"
refused "mode 0602" "is writable by others (mode 0602)"
chmod 0620 "$log"
refused "mode 0620" "is writable by group (mode 0620)"

own_log
mv "$log" "$tmp/real.log"
ln -s "$tmp/real.log" "$log"
refused "symlink" "is a symbolic link"

rm -f "$log"
mkfifo "$log"
refused "named pipe" "is a named pipe, not a regular file"

# The VM is not running: the log, then one line, status 0.
# not_running WHAT TARGET: console --replay TARGET shows the log and says so.
not_running() {
	console --replay --timeout 20 "$2"
	[ $status -eq 0 ] || fail "$1: status $status: $(cat "$tmp/err")"
	cmp -s "$log" "$tmp/out" || fail "$1: the log was not shown: $(od -c "$tmp/out" | head -5)"
	want="vmlaunch: $sock: the VM is not running; shown its boot log"
	[ "$(cat "$tmp/err")" = "$want" ] || fail "$1: stderr is not '$want': $(cat "$tmp/err")"
}
own_log
fake_vm "$sock" '' /dev/null 1
kill "$fake_pid"
{ wait "$fake_pid"; } 2>/dev/null
fake_pid=
[ -S "$sock" ] || fail "the fake VM's socket went with it"
not_running "nobody listening" "$sock"
printf 'kernel = %s\nserial = fake.sock\n' "$kernel" >"$tmp/vm.conf"
not_running "nobody listening, CONFIG" "$tmp/vm.conf"
rm -f "$sock"
not_running "socket gone" "$sock"
not_running "socket gone, CONFIG" "$tmp/vm.conf"

# Not running, and the log is refused: the usual error after the warning.
chmod 0644 "$log"
console --replay "$sock"
[ $status -eq 0 ] || fail "mode 0644 is not group- or world-writable: status $status: $(cat "$tmp/err")"
chmod 0666 "$log"
console --replay "$sock"
[ $status -eq 66 ] || fail "refused log, socket gone: status $status, want 66: $(cat "$tmp/err")"
grep -qx "vmlaunch: $sock: no such socket (is the VM running?)" "$tmp/err" ||
	fail "refused log, socket gone: $(cat "$tmp/err")"

# Without --replay, as before: a missing socket is 66, nobody listening 69.
own_log
console "$sock"
[ $status -eq 66 ] || fail "no --replay, socket gone: status $status, want 66"
grep -qx "vmlaunch: $sock: no such socket or config file" "$tmp/err" ||
	fail "no --replay, socket gone: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "no --replay: the log was shown"
console "$tmp/vm.conf"
[ $status -eq 66 ] || fail "no --replay, CONFIG, socket gone: status $status, want 66"
# --replay with neither socket nor log: as before.
rm -f "$log"
console --replay "$sock"
[ $status -eq 66 ] && grep -qx "vmlaunch: $sock: no such socket or config file" "$tmp/err" ||
	fail "--replay, no socket, no log: status $status: $(cat "$tmp/err")"

# A log owned by someone else, even mode 0600, is not shown (as root: chown).
[ "$(id -u)" -eq 0 ] || skip "not root: cannot give a log to another user (the rest passed)"
id nobody >/dev/null 2>&1 || skip "no user 'nobody' (the rest passed)"
own_log
chown nobody "$log" || fail "cannot chown the log to nobody"
refused "owned by nobody" "is owned by nobody, not by you"
exit 0
