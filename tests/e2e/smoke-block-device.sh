#!/bin/sh
# A rootfs that is a block device (a loop device here) boots under
# vmlaunch test: its snapshot overlay is sized from the device, not from
# stat's st_size (0 for a device), and the device is left unchanged.
. "$(dirname "$0")/lib.sh"
smoke_setup
[ "$(id -u)" -eq 0 ] || skip "loop devices need root"
command -v losetup >/dev/null || skip "losetup (util-linux) is missing"
dev=$(losetup -f --show "$rootfs" 2>/dev/null) || skip "no loop device can be set up here"
trap 'losetup -d "$dev" 2>/dev/null; cleanup' EXIT
"$VMLAUNCH" test -o accel=tcg -o rootfs="$dev" --timeout 60 \
	--send 'echo x > /root/f && sync && echo "size=$(cat /sys/block/vda/size)"' --expect 'size=[1-9]' \
	images/busybox.conf >"$tmp/out" 2>"$tmp/err" || fail "test on $dev failed: $(cat "$tmp/out" "$tmp/err")"
losetup -d "$dev"
[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the guest's write reached the device"
exit 0
