#!/bin/sh
# scripts/gdb-kernel.sh refuses a kernel without symbols before any VM
# starts: a bzImage with no vmlinux next to it, and a vmlinux without debug
# info, each get one line naming the file and what to do, status 66, and
# nothing is left behind.  VMLINUX=FILE names the symbols instead.
. "$(dirname "$0")/lib.sh"
gdb_setup
mkdir "$tmp/k" || fail "cannot create $tmp/k"
cp "$top/images/out/bzImage" "$tmp/k/bzImage" || fail "cannot copy the bzImage"
printf 'kernel = bzImage\nrootfs = %s\n' "$top/images/out/rootfs.ext4" >"$tmp/k/vm.conf"

# refused FILE HINT CONFIG: gdb-kernel.sh CONFIG fails on FILE, suggesting HINT.
refused() {
	timeout 30 "$top/scripts/gdb-kernel.sh" "$3" -batch -ex 'p 1' >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ $status -eq 66 ] || fail "$1: status $status, not 66: $(cat "$tmp/err" "$tmp/out")"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$1: not one line: $(cat "$tmp/err")"
	grep -q "^gdb-kernel: error: $1 .*$2" "$tmp/err" ||
		fail "$1: the message does not name the file and '$2': $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "$1: gdb ran: $(cat "$tmp/out")"
	! pgrep -f "qemu-system.*$tmp/" >/dev/null || fail "$1: a QEMU was started: $(pgrep -af "qemu-system.*$tmp/")"
	! ls -d "$tmp"/gdb-kernel.* >/dev/null 2>&1 || fail "$1: a temp dir was left behind"
}

refused "$tmp/k/bzImage" "no vmlinux .*next to it ($tmp/k/vmlinux).*make images.*VMLINUX=FILE" "$tmp/k/vm.conf"

if command -v objcopy >/dev/null; then
	objcopy --strip-debug "$top/images/out/vmlinux" "$tmp/k/vmlinux-nodebug" ||
		fail "objcopy --strip-debug failed"
	printf 'kernel = vmlinux-nodebug\nmachine = microvm\n' >"$tmp/k/elf.conf"
	refused "$tmp/k/vmlinux-nodebug" "no debug info.*CONFIG_DEBUG_INFO.*VMLINUX=FILE" "$tmp/k/elf.conf"
fi

# The same bzImage with its symbols named: the session works.
VMLINUX=$top/images/out/vmlinux timeout 30 "$top/scripts/gdb-kernel.sh" "$tmp/k/vm.conf" -batch \
	-ex 'hbreak start_kernel' -ex c -ex 'bt 1' >"$tmp/out" 2>"$tmp/err"
status=$?
[ $status -eq 0 ] || fail "with VMLINUX: status $status: $(cat "$tmp/err" "$tmp/out")"
grep -q '^#0  start_kernel ()' "$tmp/out" || fail "with VMLINUX: no stop at start_kernel: $(cat "$tmp/out")"
! grep -q warning "$tmp/err" || fail "with VMLINUX: a warning for the same build: $(cat "$tmp/err")"
! pgrep -f "qemu-system.*$tmp/" >/dev/null || fail "a QEMU is left running: $(pgrep -af "qemu-system.*$tmp/")"
exit 0
