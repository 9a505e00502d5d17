#!/bin/sh
# Disks given ro, a raw one and a qcow2 one: the guest sees read-only
# devices.  A file system on them mounts read-only only: writing a file
# fails with "Read-only file system", a remount read-write and a write to
# the device itself fail too; afterwards both images are unchanged.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
need_qemu_img
copy_rootfs "$tmp/rootfs.ext4"
data_disk "$tmp/raw.img" "raw ro"
data_disk "$tmp/data.ext4" "qcow2 ro"
qemu-img convert -O qcow2 "$tmp/data.ext4" "$tmp/data.qcow2" || fail "qemu-img convert failed"
raw_sum=$(sha256sum <"$tmp/raw.img")
qcow_sum=$(sha256sum <"$tmp/data.qcow2")
start_vm -o rootfs="$tmp/rootfs.ext4" -o disk="$tmp/raw.img ro" -o disk="$tmp/data.qcow2 ro" \
	"$top/images/busybox.conf"
console_wait 'vmlaunch: boot ok' 60
guest 'echo "ro=$(cat /sys/block/vdb/ro)$(cat /sys/block/vdc/ro)"' 'ro=[01]{2}'
grep -q 'ro=11' "$tmp/console.log" || fail "the ro disks are writable devices in the guest"
for d in b c; do
	guest "mkdir -p /mnt/$d && mount /dev/vd$d /mnt/$d; echo \"vd$d-read[\$(cat /mnt/$d/hello.txt)]\"" \
		"vd$d-read\[(raw|qcow2) ro\]"
	guest "echo x >/mnt/$d/new; echo \"vd$d-write=\$?\"" "vd$d-write=[0-9]"
	grep -q "vd$d-write=0" "$tmp/console.log" && fail "the guest wrote a file on the ro disk vd$d"
	grep -q "can't create /mnt/$d/new: Read-only file system" "$tmp/console.log" ||
		fail "writing on vd$d did not fail with 'Read-only file system'"
	guest "mount -o remount,rw /mnt/$d; echo \"vd$d-remount=\$?\"" "vd$d-remount=[0-9]"
	grep -q "vd$d-remount=0" "$tmp/console.log" && fail "the guest remounted vd$d read-write"
	guest "umount /mnt/$d; dd if=/dev/zero of=/dev/vd$d bs=4096 count=1 conv=fsync; echo \"vd$d-dd=\$?\"" \
		"vd$d-dd=[0-9]"
	grep -q "vd$d-dd=0" "$tmp/console.log" && fail "the guest wrote the device vd$d"
done
console_send 'poweroff'
wait_vm_exit 30
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status: $(cat "$tmp/vm.err")"
[ "$(sha256sum <"$tmp/raw.img")" = "$raw_sum" ] || fail "the raw ro image changed"
[ "$(sha256sum <"$tmp/data.qcow2")" = "$qcow_sum" ] || fail "the qcow2 ro image changed"
exit 0
