#!/bin/sh
# gdb lab, exercise 5: a system call arrives.  gdb breaks in do_sys_openat2
# when the current task is "cat"; the guest's shell, reached through the
# serial socket that scripts/gdb-kernel.sh prints, runs cat on a file name
# made for this run; gdb reads that name from the guest's user memory and
# the syscall number (257, openat) from its saved registers.
. "$(dirname "$0")/lib.sh"
gdb_setup
probe=/etc/gdb-probe-$$

gdb_session -batch -ex "$gdb_current" \
	-ex 'break do_sys_openat2 if $_streq(current->comm, "cat")' -ex c \
	-ex 'printf "opened=[%s] by %s\n", filename, current->comm' \
	-ex 'frame function do_syscall_64' -ex 'printf "nr=%d\n", regs->orig_ax'
console_send "cat $probe"
wait_vm_exit 20
[ "$vm_status" -eq 0 ] || fail "gdb-kernel.sh exited $vm_status: $(cat "$tmp/vm.err" "$tmp/vm.out")"
grep -q "^Breakpoint 1, do_sys_openat2 (.*filename=0x[0-9a-f]* \"$probe\"" "$tmp/vm.out" ||
	fail "gdb did not stop in do_sys_openat2 for $probe: $(cat "$tmp/vm.out")"
grep -qx "opened=\[$probe\] by cat" "$tmp/vm.out" ||
	fail "the file name in the guest's memory is not $probe: $(cat "$tmp/vm.out")"
grep -qx 'nr=257' "$tmp/vm.out" || fail "the saved syscall number is not openat (257): $(cat "$tmp/vm.out")"
! pgrep -f "qemu-system.*$tmp/" >/dev/null || fail "a QEMU is left running: $(pgrep -af "qemu-system.*$tmp/")"
exit 0
