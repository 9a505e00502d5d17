#!/bin/sh
# e2e-timeout: 900 (the first run fetches the kernel, 70 MB)
# A distro kernel with modules: Debian's, unpacked with dpkg -x (never
# installed), boots the default busybox rootfs through the initramfs
# vmlaunch builds (modules = auto), with virtio-net up and a share mounted.
# The init passes a module's parameters (virtio_blk.queue_depth=) and
# rootflags= (the mount's data) on.  The second look at the same config
# finds the initramfs in the cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/distro-kernel.inc"
distro_setup
mkdir "$tmp/share" && echo "hello from the host $$" >"$tmp/share/hello.txt" ||
	fail "cannot make the share"
cat >"$tmp/dk.conf" <<CONF
kernel = $dkernel
modules = auto
rootfs = $rootfs
memory = 512M
net = virtio
share = $tmp/share
append = virtio_blk.queue_depth=77 rootflags=commit=7
CONF
"$VMLAUNCH" test -o accel=tcg --timeout 300 \
	--send 'cat /mnt/share/hello.txt; ip -4 addr show eth0' \
	--expect "hello from the host $$" --expect 'inet 10\.0\.2\.15/' \
	--send 'echo qd=$(cat /sys/module/virtio_blk/parameters/queue_depth) fl=$(grep -c "^/dev/vda / .*commit=7" /proc/mounts)' \
	--expect 'qd=77 fl=1' \
	"$tmp/dk.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "vmlaunch test: status $status: $(cat "$tmp/out" "$tmp/err")"
set -- "$tmp"/cache/vmlaunch/initramfs/*.cpio
[ $# -eq 1 ] && [ -f "$1" ] || fail "no one initramfs in the cache: $*"
cpio=$1
before=$(stat -c '%i %Y.%y' "$cpio")
"$VMLAUNCH" -v check -o accel=tcg "$tmp/dk.conf" >"$tmp/out" 2>"$tmp/err" ||
	fail "check: $(cat "$tmp/out" "$tmp/err")"
grep -qF "initramfs: $cpio (cached)" "$tmp/err" || fail "check did not find it cached: $(cat "$tmp/err")"
grep -q "modules: .*the initramfs loads .*virtio_blk.* 9pnet_virtio .*9p" "$tmp/err" ||
	fail "check -v names no modules: $(cat "$tmp/err")"
[ "$(stat -c '%i %Y.%y' "$cpio")" = "$before" ] || fail "the cached initramfs was rebuilt"
exit 0
