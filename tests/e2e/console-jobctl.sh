#!/bin/sh
# vmlaunch console as a job of an interactive shell (a tmux pane), against a
# fake serial socket that records what it gets.  In raw mode Ctrl-Z goes to
# the guest, so the stops come from kill(1):
# - SIGTSTP under dash (which leaves a stopped job's terminal as it is): the
#   terminal is cooked while the job is stopped; `bg` stops it again ("tty
#   output") without touching the terminal, the shell keeps working; `fg`
#   makes it raw again and what is typed reaches the VM;
# - SIGSTOP, which cannot be caught, under bash (which puts its own settings
#   back when a job stops): `fg` (SIGCONT) makes the terminal raw again.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the fake serial socket"
command -v tmux >/dev/null || skip "tmux is not installed"
command -v pgrep >/dev/null || skip "pgrep is not installed"
command -v dash >/dev/null || skip "dash is not installed"
command -v bash >/dev/null || skip "bash is not installed"
fake_pid=
trap 'tmx kill-server 2>/dev/null; [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; cleanup' EXIT

sock=$tmp/fake.sock
fail_detail() { printf '; pane: %s' "$(tmx capture-pane -p -t "$name" 2>&1 | grep -v '^$')"; }
is_cooked() { stty -F "$ptty" -a 2>/dev/null | grep -Eq '(^| )icanon( |$)'; }
is_stopped() { ps -o stat= -p "$pid" | grep -q '^T'; }
is_running() { ps -o stat= -p "$pid" | grep -q '^[RS]'; }
recorded() { [ "$(cat "$tmp/record" 2>/dev/null | wc -c)" -ge "$1" ]; }
type_line() { tmx send-keys -t "$name" -l "$1"; tmx send-keys -t "$name" Enter; }

# job NAME SHELL...: a fresh fake VM, and a pane where the interactive SHELL
# runs `vmlaunch console $sock` as a job; its pid in $pid.
job() {
	n=$1
	shift
	rm -f "$tmp/record"
	fake_vm "$sock" 'fake VM ready\r\n' "$tmp/record" 0
	name=$n-$$
	tmx new-session -d -s "$name" -x 160 -y 40 \
		env -i PATH="$PATH" HOME="$tmp" TERM=screen PS1='jc$ ' "$@" || fail "tmux did not start"
	ptty=$(tmx display-message -p -t "$name" '#{pane_tty}')
	until_ok 10 "$n: no shell prompt" pane_has 'jc$'
	type_line "'$VMLAUNCH' console '$sock'"
	until_ok 20 "$n: the console did not put the terminal in raw mode" is_raw
	until_ok 20 "$n: the fake VM's greeting is not in the pane" pane_has "fake VM ready"
	pid=$(pgrep -f "console $sock\$") || fail "$n: no console process for $sock"
}

# foreground NAME WORD: after `fg`, the terminal is raw and WORD typed reaches the VM.
foreground() {
	type_line fg
	until_ok 10 "$1: not running after fg" is_running
	until_ok 10 "$1: the terminal is not raw again after fg" is_raw
	type_line "$2"
	until_ok 10 "$1: '$2' typed after fg did not reach the VM" recorded $((${#2} + 1))
	# Cooked, the line would come as "$2\n".
	printf '%s\r' "$2" | cmp -s - "$tmp/record" ||
		fail "$1: the VM got $(od -c "$tmp/record" | sed -n 1p), want '$2\r'"
}

# leave NAME: Ctrl-] ends the session and the shell has its terminal back.
leave() {
	tmx send-keys -t "$name" 'C-]'
	until_ok 10 "$1: Ctrl-] did not leave" pane_has "vmlaunch: left the console of $sock"
	until_ok 10 "$1: the terminal is not cooked after leaving" is_cooked
	wait "$fake_pid"
	fake_pid=
	tmx kill-session -t "$name"
}

job tstp dash -i
kill -TSTP "$pid"
until_ok 10 "tstp: SIGTSTP did not stop the console" is_stopped
until_ok 10 "tstp: the shell did not see the job stop" pane_has 'Stopped'
is_cooked || fail "tstp: the terminal is raw while the console is stopped"
type_line bg
until_ok 10 "tstp: dash did not continue the console" pane_has '[1] "'
until_ok 10 "tstp: the console in the background did not stop for the terminal" is_stopped
is_cooked || fail "tstp: the console in the background made the terminal raw"
# dash reports the stop before its next prompt.
type_line 'echo "b=$((6*7))"'
until_ok 10 "tstp: the shell did not get its input back" pane_has 'b=42'
pane_has 'Stopped (tty output)' || fail "tstp: the console in the background was not stopped by SIGTTOU"
foreground tstp hello
leave tstp

job stop bash --norc --noprofile --noediting -i
kill -STOP "$pid"
until_ok 10 "stop: SIGSTOP did not stop the console" is_stopped
until_ok 10 "stop: the shell did not see the job stop" pane_has 'Stopped'
# bash restores its own settings: without that this would test nothing.
until_ok 10 "stop: bash did not make the terminal cooked for itself" is_cooked
foreground stop again
leave stop
exit 0
