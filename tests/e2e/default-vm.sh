#!/bin/sh
# e2e-timeout: 300
# The default VM, images/default.conf (what `make run` boots): Debian's
# packaged kernel (make images links it as images/out/debian-kernel) through
# vmlaunch's initramfs, on a private copy of the busybox rootfs; the guest
# runs Debian's kernel (its release names Debian's flavour) with virtio_blk
# loaded as a module, and the disk is unchanged afterwards.
. "$(dirname "$0")/lib.sh"
smoke_setup
[ -e "$top/images/out/debian-kernel/boot/vmlinuz" ] ||
	fail "images/out/debian-kernel is not there (make images links it)"
XDG_CACHE_HOME=$tmp/cache
export XDG_CACHE_HOME
"$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --timeout 200 \
	--send 'uname -r; grep -c ^virtio_blk /proc/modules' \
	--expect '^6\.1\.[0-9]+-[0-9]+-amd64' --expect '^1' \
	images/default.conf >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "vmlaunch test images/default.conf: status $status: $(cat "$tmp/out" "$tmp/err")"
[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the test changed its disk"
echo "ok: images/default.conf boots Debian's kernel with its modules: $(head -n 1 "$tmp/out")"
