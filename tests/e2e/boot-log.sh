#!/bin/sh
# A VM booted with nobody attached: its boot messages are in SOCKET.log, and
# `console --replay` shows them before attaching (the lab loses them today).
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
copy_rootfs "$tmp/rootfs.ext4"
sock=$tmp/serial.sock
"$VMLAUNCH" run -o accel=tcg -o serial="$sock" -o rootfs="$tmp/rootfs.ext4" \
	"$top/images/busybox.conf" >"$tmp/vm.out" 2>"$tmp/vm.err" &
vm_pid=$!
i=0
until grep -q 'vmlaunch: boot ok' "$sock.log" 2>/dev/null; do
	kill -0 "$vm_pid" 2>/dev/null || fail "the VM exited: $(cat "$tmp/vm.err")"
	i=$((i + 1))
	[ $i -gt $((BOOT_TIMEOUT * 10)) ] && fail "no boot marker in $sock.log"
	sleep 0.1
done
mode=$(stat -c %a "$sock.log")
case "$mode" in ?00) ;; *) fail "boot log mode is $mode: others may read the console" ;; esac
printf 'echo "r=$((2+3))"\n' | "$VMLAUNCH" console --replay --timeout 30 "$sock" >"$tmp/out" 2>&1 ||
	fail "console --replay failed: $(cat "$tmp/out")"
grep -q 'Linux version 6\.1' "$tmp/out" || fail "the replay lacks the kernel's first lines"
grep -q 'vmlaunch: boot ok' "$tmp/out" || fail "the replay lacks the boot marker"
grep -q 'r=5' "$tmp/out" || fail "the command after the replay did not run: $(tail -5 "$tmp/out")"
printf 'poweroff\n' | "$VMLAUNCH" console --timeout 30 "$sock" >/dev/null 2>&1
wait_vm_exit 60
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status"
exit 0
