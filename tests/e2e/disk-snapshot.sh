#!/bin/sh
# snapshot = yes with three writable disks (the rootfs, a raw and a qcow2
# data disk): the guest writes to each and reads its writes back, yet after
# the run every image is byte-identical, and no overlay is left in TMPDIR.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
need_qemu_img
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR" || fail "cannot make $TMPDIR"
copy_rootfs "$tmp/rootfs.ext4"
data_disk "$tmp/raw.img" "raw base"
data_disk "$tmp/data.ext4" "qcow2 base"
qemu-img convert -O qcow2 "$tmp/data.ext4" "$tmp/data.qcow2" || fail "qemu-img convert failed"
sums() { sha256sum "$tmp/rootfs.ext4" "$tmp/raw.img" "$tmp/data.qcow2"; }
before=$(sums)
cat >"$tmp/vm.conf" <<CONF
kernel = $top/images/out/bzImage
rootfs = rootfs.ext4
disk = raw.img
disk = data.qcow2
snapshot = yes
CONF
start_vm "$tmp/vm.conf"
console_wait 'vmlaunch: boot ok' 60
guest 'echo "ro=$(cat /sys/block/vda/ro)$(cat /sys/block/vdb/ro)$(cat /sys/block/vdc/ro)"' 'ro=[01]{3}'
grep -q 'ro=000' "$tmp/console.log" || fail "a disk under snapshot is read-only to the guest"
guest 'echo on-root >/root/f && mkdir -p /mnt/b /mnt/c && mount /dev/vdb /mnt/b && mount /dev/vdc /mnt/c && echo on-b >/mnt/b/hello.txt && echo on-c >/mnt/c/new.txt && sync; echo "w=$?"' 'w=[0-9]'
grep -q 'w=0' "$tmp/console.log" || fail "the guest could not write its disks"
guest 'echo "back[$(cat /root/f /mnt/b/hello.txt /mnt/c/new.txt | tr "\n" " ")]"' 'back\[on-root on-b on-c \]'
console_send 'poweroff'
wait_vm_exit 30
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status: $(cat "$tmp/vm.err")"
[ "$(sums)" = "$before" ] || fail "a base image changed under snapshot = yes: $(sums)"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
exit 0
