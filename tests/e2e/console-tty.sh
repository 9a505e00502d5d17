#!/bin/sh
# vmlaunch console in a terminal (a tmux pane) with a real guest (TCG): a
# command typed in the pane runs in the guest and its answer shows in the
# pane; Ctrl-] leaves; Enter then "~." leaves; SIGTERM ends it with 143.
# Each time the terminal's settings (stty -a) are the same after as before.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v tmux >/dev/null || skip "tmux is not installed"
command -v pgrep >/dev/null || skip "pgrep is not installed"
need_images
trap 'tmx kill-server 2>/dev/null; cleanup' EXIT

fail_detail() { printf '; pane: %s' "$(tmx capture-pane -p -t "$name" 2>&1)"; }

sock=$tmp/serial.sock
copy_rootfs "$tmp/rootfs.ext4"
"$VMLAUNCH" run -o accel=tcg -o serial="$sock" -o rootfs="$tmp/rootfs.ext4" \
	"$top/images/busybox.conf" >"$tmp/vm.out" 2>"$tmp/vm.err" &
vm_pid=$!
until_ok 20 "no serial socket" test -S "$sock"
wait_guest_shell "$sock"

# session NAME: a pane running the console in a wrapper that saves the
# terminal's settings before and after, and the status.
session() {
	console_pane "$1"
	until_ok 20 "the console did not put the terminal in raw mode" is_raw
}

# ask_pane CMD PATTERN: type CMD and Enter in the pane; PATTERN shows up.
ask_pane() {
	tmx send-keys -t "$name" -l "$1"
	tmx send-keys -t "$name" Enter
	until_ok 30 "no '$2' in the pane after typing '$1'" pane_has "$2"
}

# ended NAME STATUS: the wrapper saw STATUS and the terminal is as before.
ended() {
	until_ok 20 "the console did not end" test -f "$tmp/$1.status"
	grep -qx "status=$2" "$tmp/$1.status" || fail "$1: $(cat "$tmp/$1.status"), want $2"
	cmp -s "$tmp/$1.before" "$tmp/$1.after" ||
		fail "$1: the terminal was not restored: $(diff "$tmp/$1.before" "$tmp/$1.after")"
}

session ctrl
pane_has "vmlaunch: connected to $sock; leave with Ctrl-] or ~. at the start of a line" ||
	fail "no 'connected' line in the pane"
ask_pane 'echo "t=$((9*9))"' 't=81'
tmx send-keys -t "$name" 'C-]'
ended ctrl 0
pane_has "vmlaunch: left the console of $sock; the VM keeps running" || fail "ctrl: no 'left' line"

session tilde
ask_pane 'echo "u=$((5*5))"' 'u=25'
tmx send-keys -t "$name" -l '~.'
ended tilde 0

session term
ask_pane 'echo "v=$((4*4))"' 'v=16'
pid=$(pgrep -f "console $sock\$") || fail "no console process for $sock"
kill -TERM $pid
ended term 143
kill -0 "$vm_pid" 2>/dev/null || fail "the VM died with its console"
exit 0
