#!/bin/sh
# e2e-timeout: 900 (the first run fetches the kernel, 70 MB)
# A module tree with one broken module: a truncated virtio_blk.ko is
# refused before QEMU starts (vmlaunch reads its .modinfo); one the kernel
# refuses (another architecture's ELF header; Debian's kernel already
# rejects its broken signature) ends `vmlaunch test` at the guest's
# "vmlaunch-init: virtio_blk: cannot load" line, not at the timeout; so
# does a root= device that never appears.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/distro-kernel.inc"
distro_setup
# A copy of the tree made of symlinks, but for the module under test.
copy=$tmp/root
mkdir -p "$copy/boot" && cp -rs "$droot/lib" "$copy/lib" && ln -s "$dkernel" "$copy/boot/" ||
	fail "cannot copy the module tree"
ko=$(find "$copy/lib/modules/$dversion" -name virtio_blk.ko)
[ -n "$ko" ] || fail "the Debian kernel has no virtio_blk.ko"
rm "$ko" && head -c 4096 "$(readlink -f "$droot/lib/modules/$dversion/${ko#"$copy/lib/modules/$dversion/"}")" >"$ko" ||
	fail "cannot truncate $ko"
cat >"$tmp/dk.conf" <<CONF
kernel = $copy/boot/${dkernel##*/}
modules = auto
rootfs = $rootfs
memory = 512M
CONF
"$VMLAUNCH" test -o accel=tcg --timeout 300 "$tmp/dk.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 65 ] || fail "truncated: status $status, want 65: $(cat "$tmp/out" "$tmp/err")"
grep -q "dk.conf:2: modules: module virtio_blk: .*virtio_blk.ko: not a kernel module" "$tmp/err" ||
	fail "truncated: no word of virtio_blk: $(cat "$tmp/err")"

# e_machine (ELF offset 18) says aarch64: the guest's kernel refuses to load it.
rm "$ko" && cp "$droot/lib/modules/$dversion/${ko#"$copy/lib/modules/$dversion/"}" "$ko" &&
	printf '\267\000' | dd of="$ko" bs=1 seek=18 conv=notrunc 2>/dev/null || fail "cannot patch $ko"
"$VMLAUNCH" test -o accel=tcg --timeout 300 "$tmp/dk.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 1 ] || fail "bad ELF: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
grep -q "the guest reported a kernel failure: vmlaunch-init: virtio_blk: cannot load: [A-Z]" "$tmp/out" "$tmp/err" ||
	fail "bad ELF: the guest's line is not in the result: $(cat "$tmp/out" "$tmp/err")"
grep -qi "timeout\|timed out" "$tmp/out" "$tmp/err" && fail "bad ELF: it waited for the timeout: $(cat "$tmp/out")"

# A root device that never shows up: the init's bounded wait says so.
cat >"$tmp/noroot.conf" <<CONF
kernel = $dkernel
modules = auto
rootfs = $rootfs
append = root=/dev/vdz
memory = 512M
CONF
"$VMLAUNCH" test -o accel=tcg --timeout 300 "$tmp/noroot.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 1 ] || fail "no root: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
grep -q "kernel failure: vmlaunch-init: root device /dev/vdz not found after 10 s" "$tmp/out" ||
	fail "no root: the guest's line is not in the result: $(cat "$tmp/out" "$tmp/err")"
exit 0
