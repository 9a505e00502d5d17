#!/bin/sh
# Boot the default image under TCG through `vmlaunch run`, reach the boot
# marker on the serial socket, run a command in the guest, power it off:
# QEMU's exit status is vmlaunch's, and the console socket is owner-only.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
copy_rootfs "$tmp/rootfs.ext4"
start_vm -o rootfs="$tmp/rootfs.ext4" "$top/images/busybox.conf"
mode=$(stat -c %a "$sock")
case "$mode" in
?00) ;;
*) fail "serial socket mode is $mode: group or others could connect" ;;
esac
console_wait 'vmlaunch: boot ok'
console_send 'echo "sum=$((6*7)) kernel=$(uname -r)"'
console_wait 'sum=42 kernel=6\.1' 30
console_send 'grep -c vda /proc/partitions; cat /proc/cmdline'
console_wait 'root=/dev/vda console=ttyS0' 30
console_send 'poweroff'
wait_vm_exit 60
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status after poweroff, want 0 (QEMU's status)"
exit 0
