#!/bin/sh
# vmlaunch test --exit-status: the status of the last --send decides the
# run, also when an --expect follows it.
. "$(dirname "$0")/lib.sh"
smoke_setup

vmtest --send 'sh -c "exit 3"' --exit-status
[ "$status" -eq 1 ] || fail "exit 3: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -Eq '^FAIL +images/busybox\.conf \([0-9.]+ s\): .*status 3$' ||
	fail "exit 3: the reason does not give status 3: $(cat "$tmp/out")"

vmtest --send true --exit-status
[ "$status" -eq 0 ] || fail "true: status $status, want 0: $(cat "$tmp/out" "$tmp/err")"
grep -Eq '^PASS +images/busybox\.conf ' "$tmp/out" || fail "true: no PASS line: $(cat "$tmp/out")"

# The status is the last --send's even with an --expect after it (and the
# earlier --send's success does not count).
vmtest --send true --send 'echo "half=$((2*3))"; sh -c "exit 4"' --expect 'half=6' --exit-status --timeout 30
[ "$status" -eq 1 ] || fail "exit 4 then --expect: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -Eq '^FAIL .*status 4$' ||
	fail "exit 4 then --expect: the reason does not give status 4: $(cat "$tmp/out")"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
exit 0
