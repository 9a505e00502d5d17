#!/bin/sh
# vmlaunch console against a fake serial socket (a python listener): the
# --replay log comes first, then the live bytes, then "connection closed by
# the VM" (exit 0); no log is a warning; pipe mode sends its input as is
# (no escapes); --timeout ends a silent session with 124.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the fake serial socket"
fake_pid=
trap '[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; cleanup' EXIT

sock=$tmp/fake.sock

# --replay: the log first, then what the "VM" sends, then its EOF.
printf 'old line 1\r\nold line 2\r\n' >"$sock.log"
fake_vm "$sock" 'live line\r\n' /dev/null 1
"$VMLAUNCH" console --replay --timeout 20 "$sock" </dev/null >"$tmp/out" 2>"$tmp/err"
status=$?
[ $status -eq 0 ] || fail "replay session: status $status: $(cat "$tmp/err")"
printf 'old line 1\r\nold line 2\r\nlive line\r\n' | cmp -s - "$tmp/out" ||
	fail "replay output is not log then live: $(od -c "$tmp/out" | head)"
grep -q "^vmlaunch: connection closed by the VM$" "$tmp/err" ||
	fail "no 'connection closed by the VM': $(cat "$tmp/err")"
wait "$fake_pid"

# --replay without a log: one warning, and the session goes on.
rm -f "$sock.log"
fake_vm "$sock" 'live only\r\n' /dev/null 1
"$VMLAUNCH" console --replay --timeout 20 "$sock" </dev/null >"$tmp/out" 2>"$tmp/err"
status=$?
[ $status -eq 0 ] || fail "replay without log: status $status: $(cat "$tmp/err")"
grep -q "^vmlaunch: warning: no boot log at $sock.log$" "$tmp/err" ||
	fail "no warning about the missing log: $(cat "$tmp/err")"
grep -q "live only" "$tmp/out" || fail "no live output after the warning: $(cat "$tmp/out")"
wait "$fake_pid"

# Pipe mode: input goes to the socket byte for byte, escapes included; after
# the input ends, output that stays quiet ends the session with 0.
fake_vm "$sock" 'hello\r\n' "$tmp/record" 0
printf 'one\n~.\n\035two\n' | "$VMLAUNCH" console --timeout 20 "$sock" >"$tmp/out" 2>"$tmp/err"
status=$?
[ $status -eq 0 ] || fail "pipe mode: status $status: $(cat "$tmp/err")"
grep -q hello "$tmp/out" || fail "pipe mode did not print the greeting: $(cat "$tmp/out")"
[ -s "$tmp/err" ] && fail "pipe mode wrote to stderr: $(cat "$tmp/err")"
wait "$fake_pid"
printf 'one\n~.\n\035two\n' | cmp -s - "$tmp/record" ||
	fail "the socket got other bytes than the input: $(od -c "$tmp/record" | head)"

# --timeout: a silent VM and an input that never ends.
fake_vm "$sock" '' "$tmp/record" 0
mkfifo "$tmp/in"
exec 4<>"$tmp/in"
start=$(date +%s)
"$VMLAUNCH" console --timeout 1 "$sock" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
status=$?
secs=$(( $(date +%s) - start ))
exec 4>&-
[ $status -eq 124 ] || fail "--timeout 1: status $status, want 124: $(cat "$tmp/err")"
grep -q "^vmlaunch: console: timeout after 1 s$" "$tmp/err" ||
	fail "no timeout message: $(cat "$tmp/err")"
[ $secs -le 5 ] || fail "--timeout 1 took $secs s"
wait "$fake_pid"
fake_pid=
exit 0
