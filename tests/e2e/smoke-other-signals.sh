#!/bin/sh
# `vmlaunch test` ended by other signals than TERM, INT, HUP while a (fake)
# QEMU runs.  SIGQUIT, SIGUSR1, SIGALRM are handled like SIGTERM: status
# 128+N, "stopped by signal N", no QEMU and nothing in TMPDIR left.  After a
# SIGKILL the run's directory stays (and its QEMU dies with vmlaunch); the
# next `vmlaunch test` with the same TMPDIR removes it, since its lock is
# free, and says so under -v, but leaves alone the directory of a run that
# is still going on.
. "$(dirname "$0")/lib.sh"
command -v pgrep >/dev/null || skip "pgrep is not installed"
# A shell starts background commands with SIGINT and SIGQUIT ignored.
env --default-signal=INT,QUIT true 2>/dev/null || skip "env cannot reset signals (coreutils 8.31 or later)"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
fake_conf "$tmp/fake.conf"
cd "$tmp" || fail "cannot cd to $tmp"
ulimit -c 0   # a vmlaunch killed by SIGQUIT leaves no core here
other_pid=
# Whatever happens, no fake QEMU of ours (it serves sockets in $TMPDIR) outlives the test.
trap '[ -n "$other_pid" ] && kill -9 "$other_pid" 2>/dev/null
	for p in $(pgrep -f "$TMPDIR/"); do kill -9 "$p"; done; cleanup' EXIT

# start_run WHAT [NAME]: `vmlaunch test` of the fake config in the background
# as $vm_pid, its output in $tmp/NAME.out, $tmp/NAME.err (NAME "run"); once
# its fake QEMU serves the console, the run's directory (not in $known) is
# in $run, QEMU's pid in $qemu.
known=
start_run() {
	out=$tmp/${2:-run}.out err=$tmp/${2:-run}.err
	FAKE_SAY='hello\r\n' env --default-signal=INT,QUIT "$VMLAUNCH" test --timeout 60 \
		"$tmp/fake.conf" >"$out" 2>"$err" &
	vm_pid=$!
	i=0 run=
	while :; do
		for d in "$TMPDIR"/vmlaunch-test.*; do
			case " $known " in *" $d "*) continue ;; esac
			[ -S "$d/serial.sock" ] && run=$d
		done
		[ -n "$run" ] && qemu=$(pgrep -f "$run/") && break
		vm_alive || fail "$1: vmlaunch exited before its QEMU was seen: $(cat "$out" "$err")"
		i=$((i + 1))
		[ "$i" -gt 200 ] && fail "$1: no run directory with a console socket after 20 s"
		sleep 0.1
	done
	sleep 0.3   # until vmlaunch has connected to the console
}

for case in QUIT:3 USR1:10 ALRM:14; do
	sig=${case%:*} n=${case#*:}
	start_run "SIG$sig"
	kill -s "$sig" "$vm_pid"
	gone "$vm_pid" 10 || fail "SIG$sig: vmlaunch still runs 10 s after the signal"
	wait "$vm_pid"
	status=$?
	vm_pid=
	[ "$status" -eq $((128 + n)) ] || fail "SIG$sig: status $status, want $((128 + n)): $(cat "$out" "$err")"
	grep -q "stopped by signal $n" "$err" || fail "SIG$sig: no word of the signal on stderr: $(cat "$err")"
	grep -q "^FAIL .*stopped by signal $n" "$out" || fail "SIG$sig: the run is not reported as stopped: $(cat "$out")"
	for p in $qemu; do
		gone "$p" 3 || fail "SIG$sig: the fake QEMU $p still runs 3 s after vmlaunch exited"
	done
	[ -z "$(left_in_tmpdir)" ] || fail "SIG$sig: left behind in TMPDIR: $(left_in_tmpdir)"
done

# A run that is still going on, with the same TMPDIR (started first: a
# run cleans up when it starts).
start_run "the live run" live
other_pid=$vm_pid live=$run live_qemu=$qemu
vm_pid=

# SIGKILL: the directory stays, QEMU goes (PR_SET_PDEATHSIG).
known=$live
start_run SIGKILL
kill -9 "$vm_pid"
wait "$vm_pid" 2>/dev/null
vm_pid=
dead=$run
for p in $qemu; do
	gone "$p" 5 || fail "SIGKILL: the fake QEMU $p still runs 5 s after vmlaunch was killed"
done
[ -d "$dead" ] || fail "SIGKILL: no run directory left to clean (TMPDIR holds: $(left_in_tmpdir))"

# The next run, which fails fast, removes the dead run's directory only.
"$VMLAUNCH" -v test -o qemu=/bin/false "$tmp/fake.conf" >"$tmp/next.out" 2>"$tmp/next.err"
status=$?
[ "$status" -eq 1 ] || fail "the next run: status $status, want 1: $(cat "$tmp/next.out" "$tmp/next.err")"
[ -e "$dead" ] && fail "the next run did not remove $dead, left by the killed run: $(cat "$tmp/next.err")"
grep -qF "removed $dead, left by a vmlaunch test that was killed" "$tmp/next.err" ||
	fail "the next run did not say it removed $dead: $(cat "$tmp/next.err")"
grep -qF "$live" "$tmp/next.err" && fail "the next run names the live run's directory: $(cat "$tmp/next.err")"
[ -S "$live/serial.sock" ] && [ -f "$live/lock" ] ||
	fail "the next run removed files of the live run $live (it holds: $(ls -A "$live" 2>&1))"
kill -0 "$other_pid" 2>/dev/null || fail "the live run ended: $(cat "$tmp/live.out" "$tmp/live.err")"
kill -0 "$live_qemu" 2>/dev/null || fail "the live run's fake QEMU ended"

# The live run still ends as usual, and cleans up after itself.
kill -TERM "$other_pid"
gone "$other_pid" 10 || fail "the live run still runs 10 s after SIGTERM"
wait "$other_pid"
status=$?
other_pid=
[ "$status" -eq 143 ] || fail "the live run: status $status after SIGTERM, want 143: $(cat "$tmp/live.out" "$tmp/live.err")"
grep -q '^FAIL .*stopped by signal 15' "$tmp/live.out" || fail "the live run is not reported as stopped: $(cat "$tmp/live.out")"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
pgrep -f "$TMPDIR/" >/dev/null && fail "a fake QEMU is still running"
exit 0
