#!/bin/sh
# e2e-timeout: 900
# rootfstype=ext3 on Debian's kernel: there is no ext3.ko, ext4.ko provides
# the type (alias fs-ext3), so vmlaunch puts ext4 in the initramfs and
# vmlaunch-init mounts the root as ext3.  (Refused before aliases were read.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/distro-kernel.inc"
distro_setup
mkdir "$tmp/root" && debugfs -R "rdump / $tmp/root" "$rootfs" >"$tmp/debugfs.log" 2>&1 &&
	mkfs.ext3 -q -d "$tmp/root" "$tmp/root.ext3" 64M >"$tmp/mkfs.log" 2>&1 ||
	fail "cannot make an ext3 image: $(cat "$tmp/debugfs.log" "$tmp/mkfs.log")"
cat >"$tmp/vm.conf" <<CONF
kernel = $dkernel
modules = auto
rootfs = $tmp/root.ext3
append = rootfstype=ext3
memory = 256M
CONF
"$VMLAUNCH" -v test -o accel=tcg --timeout 300 \
	--send 'echo fs=$(grep "^/dev/vda / " /proc/mounts | cut -d " " -f 3)' --expect 'fs=ext3' \
	"$tmp/vm.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "vmlaunch test: status $status: $(tail -n 20 "$tmp/out" "$tmp/err")"
grep -q 'modules: .*the initramfs loads .* ext4' "$tmp/err" || fail "no ext4 module: $(cat "$tmp/err")"
exit 0
