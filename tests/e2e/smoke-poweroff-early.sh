#!/bin/sh
# e2e-exclusive: a wall-clock bound on a TCG boot and poweroff
# vmlaunch test: the guest powering off before the steps are done fails the
# run as soon as QEMU exits (not at the timeout), with a reason that says so.
. "$(dirname "$0")/lib.sh"
smoke_setup

t0=$(date +%s%N)
"$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --send poweroff --expect 'never-printed' \
	images/busybox.conf >"$tmp/out" 2>"$tmp/err"
status=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))

[ "$status" -eq 1 ] || fail "status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
[ "$ms" -lt 20000 ] || fail "reported after $ms ms, want well under the 60 s timeout"
line=$(head -n 1 "$tmp/out")
echo "$line" | grep -Eq '^FAIL +images/busybox\.conf \([0-9.]+ s\): the VM stopped \(QEMU exited with status 0\) before the test was done$' ||
	fail "not the VM-stopped reason: $line"
grep -q '^    | .*poweroff' "$tmp/out" || fail "the console tail lacks the poweroff: $(cat "$tmp/out")"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
exit 0
