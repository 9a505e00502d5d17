#!/bin/sh
# A disk file called "disk,format=qcow2.img" boots as a raw file of exactly
# that name: the comma is escaped, so the name cannot inject an option.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
disk="$tmp/disk,format=qcow2.img"
copy_rootfs "$disk"
start_vm -o rootfs="$disk" "$top/images/busybox.conf"
console_wait 'vmlaunch: boot ok'
console_send 'echo written-by-guest > /root/comma-test; sync; echo "done=$((1+1))"'
console_wait 'done=2' 30
console_send 'poweroff'
wait_vm_exit 60
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status"
# The guest wrote into that very file (a raw ext4 image), not elsewhere.
command -v debugfs >/dev/null || skip "debugfs (e2fsprogs) missing"
got=$(debugfs -R 'cat /root/comma-test' "$disk" 2>/dev/null)
[ "$got" = written-by-guest ] || fail "the guest's write is not in '$disk' (got '$got')"
[ ! -e "$tmp/disk" ] || fail "a file '$tmp/disk' appeared: the name was split at the comma"
exit 0
