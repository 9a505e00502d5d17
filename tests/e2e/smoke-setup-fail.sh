#!/bin/sh
# e2e-exclusive: looks for any fake QEMU of the tree (pgrep)
# A run whose snapshot overlay cannot be created is reported with the cause
# (not as "QEMU could not be started"), and `test` exits 71 as `run` does;
# nothing is started or left behind.
. "$(dirname "$0")/lib.sh"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
fake_conf "$tmp/fake.conf"
cp "$top/tests/golden/files/rootfs.ext4" "$tmp/disk.ext4"
echo "rootfs = $tmp/disk.ext4" >>"$tmp/fake.conf"
# The overlay is a few hundred KiB; a file size limit of 32 KiB refuses it.
(
	ulimit -f 64
	exec "$VMLAUNCH" test --timeout 20 "$tmp/fake.conf"
) >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 71 ] || fail "status $status, want 71: $(cat "$tmp/out" "$tmp/err")"
head -n 1 "$tmp/out" | grep -q "^FAIL .*snapshot of '$tmp/disk.ext4': cannot create the overlay in $TMPDIR: File too large" ||
	fail "the reason is not the overlay's: $(cat "$tmp/out")"
pgrep -f "$top/tests/e2e/fake-qemu" >/dev/null && fail "a fake QEMU was started"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
exit 0
