#!/bin/sh
# vmlaunch test of the default image with a data disk and a share (both
# from -o): --send steps read the disk and the share, --expect their
# contents; the guest also writes the disk, which vmlaunch test's default
# snapshot keeps off the image (byte-identical afterwards), and nothing is
# left in TMPDIR.
. "$(dirname "$0")/lib.sh"
smoke_setup
data_disk "$tmp/data.img" "disk says hi"
disk_sum=$(sha256sum <"$tmp/data.img")
mkdir "$tmp/shared" || fail "cannot make $tmp/shared"
echo "share says hi" >"$tmp/shared/hello.txt"
vmtest -o disk="$tmp/data.img" -o share="$tmp/shared" \
	--send 'mkdir -p /mnt/d && mount /dev/vdb /mnt/d && echo "disk[$(cat /mnt/d/hello.txt)]"' \
	--expect 'disk\[disk says hi\]' \
	--send 'echo "share[$(cat /mnt/shared/hello.txt)]"' --expect 'share\[share says hi\]' \
	--send 'echo changed >/mnt/d/hello.txt && sync && echo "now[$(cat /mnt/d/hello.txt)]"' \
	--expect 'now\[changed\]'
[ "$status" -eq 0 ] || fail "status $status, want 0: $(cat "$tmp/out" "$tmp/err")"
grep -Eq '^PASS +images/busybox\.conf ' "$tmp/out" || fail "no PASS line: $(cat "$tmp/out")"
[ "$(sha256sum <"$tmp/data.img")" = "$disk_sum" ] || fail "the guest's write reached the data disk"
[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the guest's boot changed the rootfs"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
exit 0
