#!/bin/sh
# A config with relative paths, run from another directory: paths are taken
# from the config file's directory, not the caller's.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
mkdir -p "$tmp/vm/files" "$tmp/elsewhere"
cp "$top/images/out/bzImage" "$tmp/vm/files/kernel"
copy_rootfs "$tmp/vm/files/disk.ext4"
cat >"$tmp/vm/relative.conf" <<CONF
kernel = files/kernel
rootfs = ./files/disk.ext4
memory = 128M
CONF
cd "$tmp/elsewhere" || fail "cd"
start_vm ../vm/relative.conf
console_wait 'vmlaunch: boot ok'
console_send 'echo "mem=$(grep MemTotal /proc/meminfo | tr -s " ")"'
console_wait 'mem=MemTotal: 1[0-2][0-9]{4} kB' 30
console_send 'poweroff'
wait_vm_exit 60
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status"
exit 0
