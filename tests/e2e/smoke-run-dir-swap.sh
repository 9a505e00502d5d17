#!/bin/sh
# A run directory of `vmlaunch test` swapped for a symlink to another
# directory while the run goes on (a TMPDIR others can write to, or a
# cleaner racing it): when the run ends, by SIGTERM or by its --timeout,
# vmlaunch removes its own files through the descriptor it created the
# directory with, so the files of the symlink's target (named like the
# run's) are untouched, and it exits with its usual status.
. "$(dirname "$0")/lib.sh"
command -v pgrep >/dev/null || skip "pgrep is not installed"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
fake_conf "$tmp/fake.conf"
# Whatever happens, no fake QEMU of ours (it serves sockets in $TMPDIR) outlives the test.
trap 'for p in $(pgrep -f "$TMPDIR/"); do kill -9 "$p"; done; cleanup' EXIT

files='serial.sock serial.sock.log monitor.sock qemu.log lock'

# swap WHAT: once the run's QEMU serves its console, move the run's directory
# away and put in its place a symlink to $tmp/victim, which holds files
# named like the run's.
swap() {
	i=0
	until run=$(ls -d "$TMPDIR"/vmlaunch-test.* 2>/dev/null) && [ -S "$run/serial.sock" ]; do
		vm_alive || fail "$1: vmlaunch exited before its run directory was seen: $(cat "$tmp/out" "$tmp/err")"
		i=$((i + 1))
		[ "$i" -gt 200 ] && fail "$1: no run directory with a console socket after 20 s"
		sleep 0.1
	done
	# Until vmlaunch has its console (its first lines are in the report).
	sleep 0.5
	rm -rf "$tmp/victim" "$tmp/moved"
	mkdir "$tmp/victim"
	for f in $files; do
		echo "victim's $f" >"$tmp/victim/$f"
	done
	mv "$run" "$tmp/moved" || fail "$1: cannot move $run away"
	ln -s "$tmp/victim" "$run" || fail "$1: cannot put a symlink in place of $run"
}

victim_intact() {
	for f in $files; do
		[ -f "$tmp/victim/$f" ] || fail "$1: the victim's $f was removed (victim holds: $(ls -A "$tmp/victim"))"
		[ "$(cat "$tmp/victim/$f")" = "victim's $f" ] || fail "$1: the victim's $f was changed"
	done
	[ -L "$run" ] || fail "$1: the symlink $run was replaced"
	pgrep -f "$TMPDIR/" >/dev/null && fail "$1: a fake QEMU is still running"
	rm -f "$run"
}

# wait_end WHAT SECONDS: until vmlaunch ($vm_pid) has ended; its status in $status.
wait_end() {
	i=0
	while vm_alive; do
		i=$((i + 1))
		[ "$i" -gt $(( $2 * 10 )) ] && fail "$1: vmlaunch still runs after $2 s"
		sleep 0.1
	done
	wait "$vm_pid"
	status=$?
	vm_pid=
}

# Round 1: SIGTERM.
FAKE_SAY='hello\r\n' "$VMLAUNCH" test --timeout 60 "$tmp/fake.conf" \
	>"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
swap SIGTERM
kill -TERM "$vm_pid"
wait_end SIGTERM 10
[ "$status" -eq 143 ] || fail "SIGTERM: status $status, want 143: $(cat "$tmp/out" "$tmp/err")"
grep -q '^FAIL .*stopped by signal 15' "$tmp/out" || fail "SIGTERM: the run is not reported as stopped: $(cat "$tmp/out")"
victim_intact SIGTERM

# Round 2: the run ends by its --timeout.
FAKE_SAY='hello\r\n' "$VMLAUNCH" test --timeout 3 "$tmp/fake.conf" \
	>"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
swap timeout
wait_end "timeout (--timeout 3)" 15
[ "$status" -eq 124 ] || fail "timeout: status $status, want 124: $(cat "$tmp/out" "$tmp/err")"
grep -q '^TIMEOUT .*no .vmlaunch: boot ok. on the console' "$tmp/out" || fail "timeout: no TIMEOUT line: $(cat "$tmp/out")"
victim_intact timeout
exit 0
