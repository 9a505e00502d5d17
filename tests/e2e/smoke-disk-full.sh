#!/bin/sh
# e2e-exclusive: a wall-clock bound on a boot and the ENOSPC report
# TMPDIR fills while a guest writes its disk: QEMU pauses the VM (its
# default on ENOSPC), and `test` says so at once instead of a TIMEOUT with
# no hint.  Root only (a small tmpfs as TMPDIR).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs"
smoke_setup
mount -t tmpfs -o size=3m vmlaunch-e2e "$TMPDIR" || skip "cannot mount a tmpfs"
trap 'umount "$TMPDIR" 2>/dev/null; cleanup' EXIT
start=$(date +%s)
vmtest --send 'dd if=/dev/zero of=/root/big bs=1M count=24; sync; echo "wrote=$((1+1))"' \
	--expect never-printed --timeout 90
secs=$(( $(date +%s) - start ))
[ "$status" -eq 1 ] || fail "status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -q "^FAIL .*QEMU paused the VM on a disk write error: the file system of TMPDIR ($TMPDIR) is full" ||
	fail "the reason does not say the disk is full: $(head -n 3 "$tmp/out")"
[ "$secs" -lt 80 ] || fail "it took $secs s, as long as the timeout"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the base image changed"
exit 0
