#!/bin/sh
# The default image boots from a qcow2 rootfs (QEMU is told qcow2, so a
# wrong format would leave the kernel without a root file system), and the
# guest's write lands in that qcow2.  Then a qcow2 overlay on a raw backing
# file (qemu-img create -b base.ext4 -F raw): the guest writes, the write
# is in the overlay, and the backing file stays byte-identical.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
command -v qemu-img >/dev/null || skip "qemu-img (qemu-utils) is not installed"
command -v debugfs >/dev/null || skip "debugfs (e2fsprogs) is not installed"

# boot_write ROOTFS WORD: boot from ROOTFS, write WORD to /root/f, power off.
boot_write() {
	rm -f "$tmp/serial.sock"
	start_vm -o rootfs="$1" "$top/images/busybox.conf"
	console_wait 'vmlaunch: boot ok' 60
	console_send "echo $2 >/root/f && sync && echo \"wrote=\$(cat /root/f)-\$((1+1))\""
	console_wait "wrote=$2-2" 30
	console_send 'poweroff'
	wait_vm_exit 30
	[ "$vm_status" -eq 0 ] || fail "$1: vmlaunch exited $vm_status: $(cat "$tmp/vm.err")"
}

# in_image QCOW2 FILE: FILE's contents in the guest's file system in QCOW2.
in_image() {
	rm -f "$tmp/flat.raw"
	qemu-img convert -O raw "$1" "$tmp/flat.raw" || fail "qemu-img cannot read $1"
	debugfs -R "cat $2" "$tmp/flat.raw" 2>/dev/null
}

# A plain qcow2 (no backing file).
copy_rootfs "$tmp/base.ext4"
qemu-img convert -O qcow2 "$tmp/base.ext4" "$tmp/root.qcow2" || fail "qemu-img convert failed"
boot_write "$tmp/root.qcow2" plain-qcow2
got=$(in_image "$tmp/root.qcow2" /root/f)
[ "$got" = plain-qcow2 ] || fail "the guest's write is not in root.qcow2 (got '$got')"

# An overlay on the raw image: the backing file is only read.
sum=$(sha256sum <"$tmp/base.ext4")
qemu-img create -q -f qcow2 -b "$tmp/base.ext4" -F raw "$tmp/overlay.qcow2" ||
	fail "qemu-img create failed"
boot_write "$tmp/overlay.qcow2" into-overlay
[ "$(sha256sum <"$tmp/base.ext4")" = "$sum" ] || fail "the guest's write changed the backing file"
got=$(in_image "$tmp/overlay.qcow2" /root/f)
[ "$got" = into-overlay ] || fail "the guest's write is not in the overlay (got '$got')"
exit 0
