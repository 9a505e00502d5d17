#!/bin/sh
# A build of the initramfs killed just before the archive gets its name
# leaves nothing in the cache (it is an O_TMPFILE until linkat), and the
# next build makes it.  gdb stops vmlaunch at linkat (or, where O_TMPFILE is
# missing, renameat) and kills it there.  No VM: qemu is /bin/true.
. "$(dirname "$0")/lib.sh"
command -v gdb >/dev/null || fail "no gdb (scripts/deps check installs it)"
files=$top/tests/golden/files
cat >"$tmp/vm.conf" <<CONF
kernel = $files/modules-root/boot/vmlinuz-6.1.0-99-test
modules = $files/modules-root
rootfs = $files/rootfs.ext4
serial = none
accel = tcg
qemu = /bin/true
CONF
cache=$tmp/cache/vmlaunch/initramfs
XDG_CACHE_HOME=$tmp/cache timeout 120 gdb -q -batch -ex 'set breakpoint pending on' \
	-ex 'break linkat' -ex 'break renameat' -ex run -ex kill \
	--args "$VMLAUNCH" check "$tmp/vm.conf" >"$tmp/gdb.log" 2>&1
grep -q 'Breakpoint 1\|Breakpoint 2' "$tmp/gdb.log" || fail "gdb did not stop vmlaunch: $(cat "$tmp/gdb.log")"
left=$(ls -A "$cache")
[ -z "$left" ] || fail "the killed build left in the cache: $left"
XDG_CACHE_HOME=$tmp/cache "$VMLAUNCH" -v check "$tmp/vm.conf" >"$tmp/out" 2>"$tmp/err" ||
	fail "check after the kill: $(cat "$tmp/err")"
grep -q 'initramfs: .*(built now)' "$tmp/err" || fail "not built: $(cat "$tmp/err")"
set -- "$cache"/*
[ $# -eq 1 ] && [ -f "$1" ] || fail "not one archive in the cache: $*"
exit 0
