#!/bin/sh
# `vmlaunch test` blocked while it opens or reads its inputs (a FIFO config
# with no writer, /dev/stdin fed by a pipe that never writes, a FIFO rootfs)
# can be interrupted: SIGTERM (or INT, HUP) ends it at once (nothing is
# created before the configs are read and validated), and nothing is left
# in TMPDIR.
. "$(dirname "$0")/lib.sh"
need_images
cd "$top" || fail "cannot cd to $top"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
writer=
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; cleanup' EXIT

# vm_ended WHAT SECONDS: vmlaunch ($vm_pid) has ended within SECONDS of the
# signal; its status in $status.
vm_ended() {
	i=0
	while vm_alive; do
		i=$((i + 1))
		if [ "$i" -gt $(( $2 * 10 )) ]; then
			kill -9 "$vm_pid"
			fail "$1: vmlaunch still runs $2 s after the signal (left in TMPDIR: $(left_in_tmpdir))"
		fi
		sleep 0.1
	done
	# The shell waits for a whole pipeline: its writer goes first.
	if [ -n "$writer" ]; then
		kill -s PIPE "$writer"
		writer=
	fi
	wait "$vm_pid"
	status=$?
	vm_pid=
}

# term WHAT [SIGNAL STATUS]: SIGTERM (or SIGNAL) to vmlaunch, blocked on its
# input; it must die by it (or exit 128+N) within 2 s and leave nothing.
term() {
	vm_alive || { wait "$vm_pid"; fail "$1: vmlaunch did not wait for its input (status $?): $(cat "$tmp/err")"; }
	kill -s "${2:-TERM}" "$vm_pid"
	vm_ended "$1" 2
	[ "$status" -eq "${3:-143}" ] || fail "$1: status $status after SIG${2:-TERM}, want ${3:-143}: $(cat "$tmp/err")"
	[ -z "$(left_in_tmpdir)" ] || fail "$1: left behind in TMPDIR: $(left_in_tmpdir)"
}

# A FIFO config that no one writes: open(2) blocks.  Also SIGINT (which a
# shell's background command starts ignoring) and SIGHUP.
env --default-signal=INT true 2>/dev/null || skip "env cannot reset SIGINT (coreutils 8.31 or later)"
mkfifo "$tmp/conf.fifo"
for case in TERM:143 INT:130 HUP:129; do
	env --default-signal=INT "$VMLAUNCH" test "$tmp/conf.fifo" >"$tmp/out" 2>"$tmp/err" &
	vm_pid=$!
	sleep 0.5
	term "FIFO config, SIG${case%:*}" "${case%:*}" "${case#*:}"
done

# /dev/stdin from a pipe whose writer never writes: read(2) blocks.
sh -c 'echo $$ >"$1"; exec sleep 30' sh "$tmp/writer.pid" | "$VMLAUNCH" test /dev/stdin >"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
sleep 0.5
writer=$(cat "$tmp/writer.pid")
term "/dev/stdin"

# A FIFO rootfs on the default image's config: validation either refuses it
# at once (66) or blocks opening it, and then SIGTERM ends it.
mkfifo "$tmp/rootfs.fifo"
"$VMLAUNCH" test -o accel=tcg -o rootfs="$tmp/rootfs.fifo" images/busybox.conf >"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
sleep 0.5
if vm_alive; then
	term "FIFO rootfs"
else
	wait "$vm_pid"
	status=$?
	vm_pid=
	[ "$status" -eq 66 ] || fail "FIFO rootfs: status $status, want 66: $(cat "$tmp/out" "$tmp/err")"
	[ -z "$(left_in_tmpdir)" ] || fail "FIFO rootfs: left behind in TMPDIR: $(left_in_tmpdir)"
fi
exit 0
