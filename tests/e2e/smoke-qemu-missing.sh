#!/bin/sh
# vmlaunch test when QEMU is missing (69, before anything starts) or dies at
# start-up (1, and the reason gives QEMU's last error line): both for a QEMU
# that fails at once and for one that fails after it took the console
# connection (QEMU checks most options only then).
. "$(dirname "$0")/lib.sh"
smoke_setup

nothing_left() {
	[ -z "$(ls -A "$TMPDIR")" ] || fail "$1: left behind in TMPDIR: $(ls -A "$TMPDIR")"
}

vmtest -o qemu=no-such-qemu
[ "$status" -eq 69 ] || fail "qemu=no-such-qemu: status $status, want 69: $(cat "$tmp/out" "$tmp/err")"
grep -q "no-such-qemu" "$tmp/err" || fail "qemu=no-such-qemu: the error does not name it: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "qemu=no-such-qemu: results on stdout: $(cat "$tmp/out")"
nothing_left qemu=no-such-qemu

vmtest -o qemu="$tmp/no/such/qemu"
[ "$status" -eq 69 ] || fail "qemu=$tmp/no/such/qemu: status $status, want 69: $(cat "$tmp/out" "$tmp/err")"
nothing_left "qemu=$tmp/no/such/qemu"

printf '#!/bin/sh\necho "qemu: something broke" >&2\nexit 1\n' >"$tmp/broken"
chmod +x "$tmp/broken" || fail "cannot make the QEMU stub"
vmtest -o qemu="$tmp/broken"
[ "$status" -eq 1 ] || fail "broken QEMU: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -Eq '^FAIL +images/busybox\.conf \([0-9.]+ s\): QEMU exited at start \(status 1\): qemu: something broke$' ||
	fail "broken QEMU: the reason lacks the start failure or its message: $(cat "$tmp/out")"
nothing_left "broken QEMU"

# The real QEMU with a bad device: it fails after vmlaunch connected to its console.
printf '#!/bin/sh\nexec qemu-system-x86_64 "$@" -device no-such-device\n' >"$tmp/baddev"
chmod +x "$tmp/baddev" || fail "cannot make the QEMU wrapper"
vmtest -o qemu="$tmp/baddev"
[ "$status" -eq 1 ] || fail "bad device: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -Eq "^FAIL +images/busybox\\.conf \\([0-9.]+ s\\): QEMU exited at start \\(status 1\\): .*'no-such-device' is not a valid device model name" ||
	fail "bad device: the reason lacks the start failure or QEMU's message: $(cat "$tmp/out")"
nothing_left "bad device"
exit 0
