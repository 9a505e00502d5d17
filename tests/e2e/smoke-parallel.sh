#!/bin/sh
# Several runs of one image at once: two vmlaunch test processes on the same
# base disk, and one vmlaunch test -j 2 of two configs on it.  The VMs really
# run side by side, each run talks only to its own VM (private sockets and
# overlays), all pass, and the shared base image is unchanged.
. "$(dirname "$0")/lib.sh"
smoke_setup
command -v pgrep >/dev/null || skip "pgrep is not installed"
pids=
# Whatever happens, no QEMU of ours (its command line names our disk) outlives the test.
trap 'kill $pids 2>/dev/null; for p in $(pgrep -f "filename=$rootfs,"); do kill -9 "$p"; done; cleanup' EXIT

# most_qemus: wait for the background vmlaunch runs in $pids; $most is the
# most QEMUs seen on our disk at one time meanwhile.
most_qemus() {
	most=0 i=0
	while :; do
		n=$(pgrep -c -f "filename=$rootfs,")
		[ "$n" -gt "$most" ] && most=$n
		running=0
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && running=1
		done
		[ "$running" -eq 0 ] && break
		i=$((i + 1))
		[ "$i" -gt 900 ] && fail "the runs took over 90 s"
		sleep 0.1
	done
}

# Two processes, each with its own answer to find.
for n in 1 2; do
	"$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --timeout 60 \
		--send "echo \"run=\$(($n*111))\" >/root/f && sync && cat /root/f" --expect "run=$((n * 111))" \
		--transcript "$tmp/transcript$n" images/busybox.conf >"$tmp/out$n" 2>"$tmp/err$n" &
	pids="$pids $!"
done
most_qemus
set -- $pids
for n in 1 2; do
	wait "$1"
	status=$?
	shift
	[ "$status" -eq 0 ] || fail "run $n: status $status, want 0: $(cat "$tmp/out$n" "$tmp/err$n")"
	grep -Eq '^PASS +images/busybox\.conf \([0-9.]+ s\)$' "$tmp/out$n" || fail "run $n: no PASS: $(cat "$tmp/out$n")"
done
pids=
[ "$most" -eq 2 ] || fail "two vmlaunch processes: at most $most QEMU at a time, want 2"
grep -q 'run=111' "$tmp/transcript1" && ! grep -q 'run=222' "$tmp/transcript1" ||
	fail "run 1 did not see exactly its own VM"
grep -q 'run=222' "$tmp/transcript2" && ! grep -q 'run=111' "$tmp/transcript2" ||
	fail "run 2 did not see exactly its own VM"

# One process, two configs, two jobs.
for c in a b; do
	printf 'kernel = %s\nrootfs = %s\nmemory = 256M\naccel = tcg\n' \
		"$top/images/out/bzImage" "$rootfs" >"$tmp/$c.conf"
done
"$VMLAUNCH" test -j 2 --timeout 60 --send 'echo "both=$((5*5))"' --expect 'both=25' \
	"$tmp/a.conf" "$tmp/b.conf" >"$tmp/out" 2>"$tmp/err" &
pids=$!
most_qemus
wait "$pids"
status=$?
pids=
[ "$status" -eq 0 ] || fail "-j 2: status $status, want 0: $(cat "$tmp/out" "$tmp/err")"
[ "$(grep -c '^PASS ' "$tmp/out")" -eq 2 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] ||
	fail "-j 2: want two PASS lines: $(cat "$tmp/out")"
for c in a b; do
	grep -Eq "^PASS +$tmp/$c\\.conf \\(" "$tmp/out" || fail "-j 2: no PASS for $c.conf: $(cat "$tmp/out")"
done
[ "$most" -eq 2 ] || fail "-j 2: at most $most QEMU at a time, want 2"

[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the base image changed"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
pgrep -f "filename=$rootfs," >/dev/null && fail "a QEMU on $rootfs is still running"
exit 0
