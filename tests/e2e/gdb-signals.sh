#!/bin/sh
# However the session of scripts/gdb-kernel.sh ends, no QEMU is left:
# SIGTERM to the script (status 143, temp dir removed), gdb killed (the
# script stops the VM), SIGKILL to the script (QEMU gets its parent-death
# signal).  Ctrl-C in an interactive gdb stops the guest, not the VM, and
# quitting gdb then stops the VM.
. "$(dirname "$0")/lib.sh"
gdb_setup
qemu_of() { pgrep -f "qemu-system.*$tmp/" >/dev/null; }
no_qemu() { ! qemu_of; }
has_dir() { ls -d "$tmp"/gdb-kernel.* >/dev/null 2>&1; }

# start: a session that lets the guest run; $vm_pid is the script, $gdb its gdb.
start() {
	rm -rf "$tmp"/gdb-kernel.*
	"$top/scripts/gdb-kernel.sh" "$top/images/mini.conf" -batch -ex c >"$tmp/out" 2>"$tmp/vm.err" &
	vm_pid=$!
	until_ok 30 "$1: no VM" qemu_of
	until_ok 30 "$1: the guest did not boot" grep -q 'vmlaunch: boot ok' "$tmp"/gdb-kernel.*/serial.sock.log
	gdb=$(pgrep -P "$vm_pid" -x gdb) || fail "$1: no gdb child of the script"
}

start TERM
kill -TERM "$vm_pid"
wait_vm_exit 10
[ "$vm_status" -eq 143 ] || fail "SIGTERM: status $vm_status, not 143"
no_qemu || fail "SIGTERM: QEMU left running: $(pgrep -af "qemu-system.*$tmp/")"
! kill -0 "$gdb" 2>/dev/null || fail "SIGTERM: gdb left running"
! has_dir || fail "SIGTERM: the temp dir was left behind"

start gdb-KILL
kill -KILL "$gdb"
wait_vm_exit 10
[ "$vm_status" -eq 137 ] || fail "gdb killed: status $vm_status, not gdb's 137"
no_qemu || fail "gdb killed: QEMU left running: $(pgrep -af "qemu-system.*$tmp/")"
! has_dir || fail "gdb killed: the temp dir was left behind"

start KILL
kill -KILL "$vm_pid"
wait "$vm_pid" 2>/dev/null
vm_pid=
until_ok 10 "SIGKILL: QEMU outlived the script" no_qemu
until_ok 10 "SIGKILL: gdb outlived the VM" eval '! kill -0 "$gdb" 2>/dev/null'

# Ctrl-C in an interactive session: gdb stops the guest, the VM lives on.
command -v tmux >/dev/null || { echo "tmux is not installed: Ctrl-C not tested"; exit 0; }
rm -rf "$tmp"/gdb-kernel.*
name=gdb-$$
tmx new-session -d -s "$name" -x 150 -y 40 \
	"'$top/scripts/gdb-kernel.sh' '$top/images/mini.conf' -nx; echo status=\$? >'$tmp/tty.status'; exec sleep 600" ||
	fail "tmux did not start"
trap 'tmx kill-server 2>/dev/null; cleanup' EXIT
until_ok 30 "no gdb prompt" pane_has '(gdb)'
tmx send-keys -t "$name" c Enter
until_ok 30 "Ctrl-C: the guest did not boot" grep -q 'vmlaunch: boot ok' "$tmp"/gdb-kernel.*/serial.sock.log
tmx send-keys -t "$name" C-c
until_ok 30 "Ctrl-C did not stop the guest" pane_has 'received signal SIGINT'
qemu_of || fail "Ctrl-C ended the VM"
tmx send-keys -t "$name" "$gdb_current" Enter 'p current->comm' Enter
until_ok 30 "no answer after Ctrl-C" pane_has '$1 = "'
tmx send-keys -t "$name" quit Enter y Enter
until_ok 10 "quit: the script did not end" test -s "$tmp/tty.status"
grep -qx 'status=0' "$tmp/tty.status" || fail "quit: $(cat "$tmp/tty.status")"
no_qemu || fail "quit: QEMU left running"
! has_dir || fail "quit: the temp dir was left behind"
exit 0
