#!/bin/sh
# e2e-timeout: 900
# vmlaunch-init's failure is run's status with debug_exit: the init writes 1
# to the port, so run exits 1, not QEMU's clean 0 after a power-off.  (On
# microvm the init reboots instead, which -no-reboot makes QEMU's end:
# tests/unit/test_initramfs.c checks the archive says so.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/distro-kernel.inc"
distro_setup
cat >"$tmp/vm.conf" <<CONF
kernel = $dkernel
modules = auto
rootfs = $rootfs
append = root=/dev/vdz
accel = tcg
CONF
timeout 600 "$VMLAUNCH" run -o debug_exit=yes "$tmp/vm.conf" </dev/null >"$tmp/out" 2>"$tmp/err"
status=$?
grep -q 'vmlaunch-init: root device /dev/vdz not found' "$tmp/out" ||
	fail "no init failure on the console (status $status): $(tail -n 5 "$tmp/out" "$tmp/err")"
[ "$status" -eq 1 ] || fail "status $status, not the guest's 1: $(cat "$tmp/err")"
exit 0
