#!/bin/sh
# e2e-exclusive: a wall-clock bound on a TCG boot
# vmlaunch test fails fast on a kernel panic: status 1 within seconds (not
# at the 60 s default timeout), the reason names the panic, and the console
# tail shows how the boot ended.
. "$(dirname "$0")/lib.sh"
smoke_setup

t0=$(date +%s%N)
"$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" -o append=init=/nonexistent \
	images/busybox.conf >"$tmp/out" 2>"$tmp/err"
status=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))

[ "$status" -eq 1 ] || fail "status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
[ "$ms" -lt 20000 ] || fail "the panic was reported after $ms ms, want under 20 s"
head -n 1 "$tmp/out" | grep -Eq '^FAIL +images/busybox\.conf \([0-9.]+ s\): .*Kernel panic' ||
	fail "first line is not a FAIL naming the kernel panic: $(cat "$tmp/out")"
# The tail: indented console lines, with the panic (what follows it in the
# same read may come too).
[ "$(grep -c '^    | ' "$tmp/out")" -ge 5 ] || fail "no console tail: $(cat "$tmp/out")"
grep -v '^    | ' "$tmp/out" | tail -n +2 | grep -q . && fail "stray lines after the result: $(cat "$tmp/out")"
grep -q '^    | Kernel panic - not syncing' "$tmp/out" ||
	fail "the console tail lacks the panic line: $(cat "$tmp/out")"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
exit 0
