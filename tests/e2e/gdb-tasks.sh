#!/bin/sh
# gdb lab, exercise 4: the process list.  Stopped in the kernel on behalf of
# the guest's `cat` (a breakpoint in do_sys_openat2 for the task named cat),
# gdb walks init_task.tasks: swapper (pid 0, init_task itself), init (1),
# kthreadd (2), the shell on ttyS0, and cat as the current task, a child of
# that shell.  The current task is the lab's `current` (the per-CPU
# current_task of the CPU that stopped: the kernel is SMP).
. "$(dirname "$0")/lib.sh"
gdb_setup

{ printf '%s\n' "$gdb_current"; cat; } >"$tmp/tasks.gdb" <<'GDB'
break do_sys_openat2 if $_streq(current->comm, "cat")
continue
set $off = (unsigned long)&((struct task_struct *)0)->tasks
set $t = &init_task
while 1
  printf "task %d %d %s %c\n", $t->pid, $t->real_parent->pid, $t->comm, $t == current ? '*' : '-'
  set $t = (struct task_struct *)((char *)$t->tasks.next - $off)
  if $t == &init_task
    loop_break
  end
end
GDB
gdb_session -batch -x "$tmp/tasks.gdb"
console_send 'cat /etc/passwd'
wait_vm_exit 20
[ "$vm_status" -eq 0 ] || fail "gdb-kernel.sh exited $vm_status$(fail_detail)"
tasks=$(grep '^task ' "$tmp/vm.out")
has() { printf '%s\n' "$tasks" | grep -Eqx "task $1" || fail "no task '$1' in the list: $tasks"; }
has '0 0 swapper/0 -'   # init_task: swapper/0 on an SMP kernel, CPU 0's idle task
has '1 0 init -'
has '2 0 kthreadd -'
has '[0-9]+ 2 kworker/[^ ]+ -'
shell=$(printf '%s\n' "$tasks" | sed -n 's/^task \([0-9]*\) 1 sh -$/\1/p')
[ -n "$shell" ] || fail "no shell (sh, a child of init) in the list: $tasks"
has "[0-9]+ $shell cat \\*"
[ "$(printf '%s\n' "$tasks" | grep -c '\*$')" -eq 1 ] || fail "not exactly one current task: $tasks"
! pgrep -f "qemu-system.*$tmp/" >/dev/null || fail "a QEMU is left running: $(pgrep -af "qemu-system.*$tmp/")"
exit 0
