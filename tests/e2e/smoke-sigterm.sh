#!/bin/sh
# vmlaunch test stopped by SIGTERM, SIGINT or SIGHUP while a guest runs (and
# has written its disk): it exits 128+N after stopping QEMU, reports the run
# as failed (also in the JUnit report), and leaves no QEMU, no run directory
# and an unchanged base image.
. "$(dirname "$0")/lib.sh"
smoke_setup
command -v pgrep >/dev/null || skip "pgrep is not installed"
command -v python3 >/dev/null || skip "python3 is needed to read the JUnit report"
# A shell starts background commands with SIGINT ignored; vmlaunch must get it.
env --default-signal=INT true 2>/dev/null || skip "env cannot reset SIGINT (coreutils 8.31 or later)"
# Whatever happens, no QEMU of ours (its command line names our disk) outlives the test.
trap 'for p in $(pgrep -f "filename=$rootfs,"); do kill -9 "$p"; done; cleanup' EXIT

for case in TERM:143 INT:130 HUP:129; do
	sig=${case%:*} want=${case#*:}
	env --default-signal=INT "$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --timeout 60 --transcript "$tmp/transcript" \
		--send 'echo x >/root/f && sync && echo "synced=$((1+1))"' --expect 'never-printed' \
		--junit "$tmp/junit.xml" images/busybox.conf >"$tmp/out" 2>"$tmp/err" &
	vm_pid=$!
	wait_qemu "SIG$sig: "
	# QEMU logs the console as it goes: wait until the guest's write is on its disk.
	wait_run_log 'synced=2' "SIG$sig: "
	kill -s "$sig" "$vm_pid"
	wait "$vm_pid"
	status=$?
	vm_pid=
	[ "$status" -eq "$want" ] || fail "SIG$sig: status $status, want $want: $(cat "$tmp/out" "$tmp/err")"
	for p in $qemu; do
		gone "$p" 3 || fail "SIG$sig: QEMU $p still there 3 s after vmlaunch exited"
	done
	pgrep -f "filename=$rootfs," >/dev/null && fail "SIG$sig: a QEMU on $rootfs is still running"
	grep -q "stopped by signal $((want - 128))" "$tmp/err" || fail "SIG$sig: no word of the signal: $(cat "$tmp/err")"
	head -n 1 "$tmp/out" | grep -Eq '^FAIL +images/busybox\.conf .*signal' ||
		fail "SIG$sig: the run is not reported as failed: $(cat "$tmp/out")"
	python3 -c '
import sys, xml.dom.minidom
c = xml.dom.minidom.parse(sys.argv[1]).getElementsByTagName("testcase")
assert len(c) == 1 and c[0].getAttribute("name") == "images/busybox.conf", [x.toxml() for x in c]
assert c[0].getElementsByTagName("failure"), "no failure element"
' "$tmp/junit.xml" 2>"$tmp/py.err" || fail "SIG$sig: JUnit report: $(tail -n 1 "$tmp/py.err"): $(cat "$tmp/junit.xml")"
	[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "SIG$sig: the guest's write reached the base image"
	[ -z "$(ls -A "$TMPDIR")" ] || fail "SIG$sig: left behind in TMPDIR: $(ls -A "$TMPDIR")"
done
exit 0
