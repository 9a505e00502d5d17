#!/bin/sh
# e2e-exclusive: its --timeout must cover a whole TCG boot
# The terminal's echo of a --send is not output of the guest: an --expect
# after it matches only what the guest printed (vmlaunch(1): the echo is
# skipped).  Under --exit-status the last --send reads end of file on its
# standard input, so a command that reads it cannot swallow the marker.
. "$(dirname "$0")/lib.sh"
smoke_setup

# ':' prints nothing; only the echo of the typed line holds the word.
vmtest --send ': hello_marker' --expect hello_marker --timeout 10
[ "$status" -eq 124 ] || fail "the echo satisfied --expect: status $status: $(cat "$tmp/out" "$tmp/err")"
grep -q "^TIMEOUT .*no 'hello_marker'" "$tmp/out" || fail "no TIMEOUT for hello_marker: $(cat "$tmp/out")"

# What the guest prints after the echo does match.
vmtest --send 'echo "hello_$((40+2))"' --expect hello_42 --timeout 30
[ "$status" -eq 0 ] || fail "echo hello_42: status $status: $(cat "$tmp/out" "$tmp/err")"

# A command that reads its input gets end of file: read fails (1), cat ends (0).
vmtest --send 'read x' --exit-status --timeout 30
[ "$status" -eq 1 ] || fail "read x: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -q '^FAIL .*exited with status 1$' ||
	fail "read x: the reason does not give status 1: $(cat "$tmp/out")"
vmtest --send 'cat' --exit-status --timeout 30
[ "$status" -eq 0 ] || fail "cat: status $status, want 0: $(cat "$tmp/out" "$tmp/err")"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the base image changed"
exit 0
