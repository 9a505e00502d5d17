#!/bin/sh
# e2e-timeout: 900 (the first run fetches the kernel, 27 MB)
# Debian's cloud kernel (dpkg -x, never installed) boots the busybox
# rootfs with modules = auto and virtio-net up.  It has no 9p at all
# (CONFIG_NET_9P is off), so a share is refused before boot, naming the
# module; the generic kernel's share is distro-kernel.sh's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/distro-kernel.inc"
distro_setup cloud
cat >"$tmp/cloud.conf" <<CONF
kernel = $dkernel
modules = auto
rootfs = $rootfs
memory = 512M
net = virtio
CONF
"$VMLAUNCH" test -o accel=tcg --timeout 300 --send 'ip -4 addr show eth0' \
	--expect 'inet 10\.0\.2\.15/' "$tmp/cloud.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "vmlaunch test: status $status: $(cat "$tmp/out" "$tmp/err")"
mkdir "$tmp/share" || fail "cannot make the share"
"$VMLAUNCH" check -o accel=tcg -o share="$tmp/share" "$tmp/cloud.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 65 ] || fail "share: status $status, want 65: $(cat "$tmp/out" "$tmp/err")"
grep -q "cloud.conf:2: modules: module 9pnet_virtio (for shares) is neither in modules.order nor built into the kernel" "$tmp/err" ||
	fail "share: no word of 9p: $(cat "$tmp/err")"
exit 0
