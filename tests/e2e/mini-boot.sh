#!/bin/sh
# The fast profile (images/mini.conf: microvm, PVH vmlinux, no ACPI) boots
# under TCG to the marker, a shell command works, and a guest reboot ends
# the VM (no ACPI: reboot is the way out).
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
[ -f "$top/images/out/vmlinux" ] || fail "images/out/vmlinux is not built (make images)"
copy_rootfs "$tmp/rootfs.ext4"
"$VMLAUNCH" print -o accel=tcg "$top/images/mini.conf" >"$tmp/cmd" || fail "print failed"
grep -q -- '-machine microvm,acpi=off -no-reboot' "$tmp/cmd" || fail "not the microvm profile: $(cat "$tmp/cmd")"
grep -q -- '-device virtio-blk-device,drive=rootfs' "$tmp/cmd" || fail "microvm without the virtio-mmio disk"
start_vm -o rootfs="$tmp/rootfs.ext4" "$top/images/mini.conf"
console_wait 'vmlaunch: boot ok'
console_send 'echo "fast=$((6*7)) $(cat /proc/cmdline)"'
console_wait 'fast=42 .*quiet' 30
console_send 'reboot'
wait_vm_exit 60
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status after the guest's reboot"
exit 0
