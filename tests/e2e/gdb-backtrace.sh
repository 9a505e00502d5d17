#!/bin/sh
# scripts/gdb-kernel.sh with no person: gdb stops at start_kernel and prints
# a backtrace, on the fast profile (PVH vmlinux on microvm, hbreak) and on
# the default one (bzImage on pc, symbols from the vmlinux next to it,
# software break); afterwards no QEMU and no temp dir of the script is left.
. "$(dirname "$0")/lib.sh"
gdb_setup

# run_bt CONFIG BREAK: the batch session; its output in $tmp/out, $tmp/err.
run_bt() {
	timeout 60 "$top/scripts/gdb-kernel.sh" "$top/images/$1" -batch \
		-ex "$2 start_kernel" -ex c -ex bt >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ $status -eq 0 ] || fail "$1: gdb-kernel.sh exited $status: $(cat "$tmp/err" "$tmp/out")"
	grep -q '^Breakpoint 1, start_kernel () at .*init/main\.c:[0-9]' "$tmp/out" ||
		fail "$1: gdb did not stop at start_kernel: $(cat "$tmp/out")"
	grep -q '^#0  start_kernel () at .*init/main\.c:[0-9]' "$tmp/out" ||
		fail "$1: no start_kernel frame with its source line in the backtrace: $(cat "$tmp/out")"
	grep -q '^#1  0x[0-9a-f]* in secondary_startup_64 () at .*head_64\.S' "$tmp/out" ||
		fail "$1: start_kernel's caller is not secondary_startup_64: $(cat "$tmp/out")"
	grep -q "^gdb-kernel: console: .* console --replay $tmp/gdb-kernel\.[^/]*/serial\.sock\$" "$tmp/err" ||
		fail "$1: no console line: $(cat "$tmp/err")"
	! pgrep -f "qemu-system.*$tmp/" >/dev/null || fail "$1: a QEMU is left running: $(pgrep -af "qemu-system.*$tmp/")"
	! ls -d "$tmp"/gdb-kernel.* >/dev/null 2>&1 || fail "$1: the script's temp dir was left behind"
}

run_bt mini.conf hbreak
grep -q 'symbols: .*/images/out/vmlinux$' "$tmp/err" || fail "mini.conf: not the vmlinux's symbols: $(cat "$tmp/err")"
run_bt busybox.conf break
grep -q 'symbols: .*/images/out/vmlinux$' "$tmp/err" ||
	fail "busybox.conf: the bzImage's symbols are not the vmlinux next to it: $(cat "$tmp/err")"
! grep -q 'warning:.*not the build of' "$tmp/err" || fail "bzImage and vmlinux differ: $(cat "$tmp/err")"
exit 0
