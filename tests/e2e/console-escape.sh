#!/bin/sh
# vmlaunch console in a terminal (a tmux pane), against a fake serial socket
# that records what it gets: "~." at line start and Ctrl-] leave, "~~" sends
# one "~", "~x" sends both, a "~" inside a line is plain; --timeout ends it
# with 124; the terminal's settings (stty -a) are the same after as before.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the fake serial socket"
command -v tmux >/dev/null || skip "tmux is not installed"
fake_pid=
trap 'tmx kill-server 2>/dev/null; [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; cleanup' EXIT

sock=$tmp/fake.sock

fail_detail() { printf '; pane: %s' "$(tmx capture-pane -p -t "$name" 2>&1)"; }

# session NAME [OPTION]: a fresh fake VM and a pane running the console in a
# wrapper that saves the terminal's settings before and after and the status.
session() {
	opt=${2:-}
	rm -f "$tmp/record"
	fake_vm "$sock" 'fake VM ready\r\n' "$tmp/record" 0
	console_pane "$1" "$opt"
	[ -n "$opt" ] && return 0   # --timeout: it may be over before we look
	until_ok 20 "the console did not put the terminal in raw mode" is_raw
	until_ok 20 "the fake VM's greeting is not in the pane" pane_has "fake VM ready"
}

# ended NAME RECORD [STATUS]: the console ended with STATUS (0), the terminal
# is as before, and the fake VM got exactly RECORD (printf format).
ended() {
	until_ok 20 "the console did not end" test -f "$tmp/$1.status"
	grep -qx "status=${3:-0}" "$tmp/$1.status" ||
		fail "$1: $(cat "$tmp/$1.status"), want ${3:-0}"
	cmp -s "$tmp/$1.before" "$tmp/$1.after" ||
		fail "$1: the terminal was not restored: $(diff "$tmp/$1.before" "$tmp/$1.after")"
	[ -n "${3:-}" ] || pane_has "vmlaunch: left the console of $sock" ||
		fail "$1: no 'left the console' line"
	wait "$fake_pid"
	fake_pid=
	printf "$2" | cmp -s - "$tmp/record" ||
		fail "$1: the VM got $(od -c "$tmp/record" | sed -n 1,3p), want '$2'"
}

session tilde
pane_has "vmlaunch: connected to $sock; leave with Ctrl-] or ~. at the start of a line" ||
	fail "no 'connected' line in the pane"
tmx send-keys -t "$name" -l 'a~b'
tmx send-keys -t "$name" Enter
tmx send-keys -t "$name" -l '~~'
tmx send-keys -t "$name" Enter
tmx send-keys -t "$name" -l '~x'
tmx send-keys -t "$name" Enter
tmx send-keys -t "$name" -l '~.'
ended tilde 'a~b\r~\r~x\r'

session ctrl
tmx send-keys -t "$name" -l 'abc'
tmx send-keys -t "$name" 'C-]'
ended ctrl 'abc'

# --timeout in a terminal: restored before the message, status 124.
session timeout '--timeout 1'
ended timeout '' 124
pane_has "fake VM ready" || fail "timeout: the console never showed the fake VM's greeting"
pane_has "vmlaunch: console: timeout after 1 s" || fail "timeout: no message in the pane"
exit 0
