#!/bin/sh
# A raw and a qcow2 data disk, one from the config file and one from
# -o disk=, come after the rootfs in that order (/dev/vdb, /dev/vdc): the
# guest mounts both and reads the files put there on the host.  A format
# QEMU was not told right would show no file system.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
need_qemu_img
copy_rootfs "$tmp/rootfs.ext4"
data_disk "$tmp/raw.img" "from the raw disk"
data_disk "$tmp/data.ext4" "from the qcow2 disk"
qemu-img convert -O qcow2 "$tmp/data.ext4" "$tmp/data.qcow2" || fail "qemu-img convert failed"
cat >"$tmp/vm.conf" <<CONF
kernel = $top/images/out/bzImage
rootfs = rootfs.ext4
disk = raw.img
memory = 256M
CONF
start_vm -o disk="$tmp/data.qcow2" "$tmp/vm.conf"
console_wait 'vmlaunch: boot ok' 60
guest 'mkdir -p /mnt/b /mnt/c && mount /dev/vdb /mnt/b && mount /dev/vdc /mnt/c && echo "mounted=$((1+1))"' \
	'mounted=2'
guest 'echo "vdb[$(cat /mnt/b/hello.txt)] vdc[$(cat /mnt/c/hello.txt)]"' \
	'vdb\[from the raw disk\] vdc\[from the qcow2 disk\]'
console_send 'poweroff'
wait_vm_exit 30
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status: $(cat "$tmp/vm.err")"
exit 0
