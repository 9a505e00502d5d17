#!/bin/sh
# vmlaunch test, the passing run: the steps go in order on the serial
# console, one PASS line with the wall time, a transcript and a well-formed
# JUnit report.  The guest writes its disk, yet the base image is unchanged
# (snapshot = yes); afterwards neither QEMU nor the run's directory is left.
. "$(dirname "$0")/lib.sh"
smoke_setup
command -v pgrep >/dev/null || skip "pgrep is not installed"
command -v python3 >/dev/null || skip "python3 is needed to read the JUnit report"
# Whatever happens, no QEMU of ours (its command line names our disk) outlives the test.
trap 'for p in $(pgrep -f "filename=$rootfs,"); do kill -9 "$p"; done; cleanup' EXIT

# junit_cases FILE: "tests=N failures=N", then "NAME TYPE" per testcase
# (TYPE is "pass" when it has no failure element).  Fails on bad XML.
junit_cases() {
	python3 -c '
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
s = doc.getElementsByTagName("testsuite")[0]
print("tests=%s failures=%s" % (s.getAttribute("tests"), s.getAttribute("failures")))
for c in doc.getElementsByTagName("testcase"):
    f = c.getElementsByTagName("failure")
    print(c.getAttribute("name"), f[0].getAttribute("type") if f else "pass")
' "$1"
}

t0=$(date +%s%N)
"$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --timeout 60 \
	--send 'echo "sum=$((6*7))"' --expect 'sum=42' \
	--send 'echo x >/root/f && sync && echo "wrote=$(cat /root/f)$((1+1))"' --expect 'wrote=x2' \
	--transcript "$tmp/transcript" --junit "$tmp/junit.xml" \
	images/busybox.conf >"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
# QEMU while it runs (its command line names our private disk), to check later it is gone.
wait_qemu
wait "$vm_pid"
status=$?
vm_pid=
ms=$(( ($(date +%s%N) - t0) / 1000000 ))

[ "$status" -eq 0 ] || fail "status $status, want 0: $(cat "$tmp/out" "$tmp/err")"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "want one result line, got: $(cat "$tmp/out")"
grep -Eq '^PASS +images/busybox\.conf \([0-9]+\.[0-9] s\)$' "$tmp/out" ||
	fail "not a PASS line for images/busybox.conf with a wall time: $(cat "$tmp/out")"
# The reported wall time (rounded to 0.1 s) is the boot's: more than
# nothing, not more than we waited.
tenths=$(sed 's/.*(\([0-9]*\)\.\([0-9]\) s).*/\1\2/' "$tmp/out")
[ "$tenths" -ge 5 ] && [ "$(( tenths * 100 ))" -le "$(( ms + 50 ))" ] ||
	fail "reported $(cat "$tmp/out") but the run took $ms ms"

grep -q 'vmlaunch: boot ok' "$tmp/transcript" || fail "no boot marker in the transcript"
grep -q 'sum=42' "$tmp/transcript" || fail "no sum=42 in the transcript"
grep -q 'wrote=x2' "$tmp/transcript" || fail "no wrote=x2 in the transcript"

cases=$(junit_cases "$tmp/junit.xml") || fail "the JUnit report is not well-formed XML: $(cat "$tmp/junit.xml")"
want="tests=1 failures=0
images/busybox.conf pass"
[ "$cases" = "$want" ] || fail "JUnit report: got '$cases', want '$want'"

[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the guest's write reached the base image"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
for p in $qemu; do
	[ -z "$(ps -o stat= -p "$p")" ] || fail "QEMU $p is still there: $(ps -o stat=,args= -p "$p")"
done
pgrep -f "filename=$rootfs," >/dev/null && fail "a QEMU on $rootfs is still running"
exit 0
