#!/bin/sh
# vmlaunch test --fail: a console line matching the pattern fails the run at
# once, and the reason quotes the line; a pattern that never matches does not.
. "$(dirname "$0")/lib.sh"
smoke_setup

# The root file system is mounted before the boot marker: the run fails there.
vmtest --fail 'EXT4-fs \(vda\)'
[ "$status" -eq 1 ] || fail "status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -Eq '^FAIL +images/busybox\.conf \([0-9.]+ s\): --fail pattern matched: EXT4-fs \(vda\)' ||
	fail "not a FAIL quoting the matched line: $(cat "$tmp/out")"

vmtest --fail 'this-never-appears' --fail '^Oops-not-here$'
[ "$status" -eq 0 ] || fail "with patterns that never match: status $status, want 0: $(cat "$tmp/out" "$tmp/err")"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
exit 0
