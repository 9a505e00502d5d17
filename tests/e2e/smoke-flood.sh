#!/bin/sh
# e2e-exclusive: looks for any fake QEMU of the tree (pgrep), and a 1 s margin on a VmHWM read
# A guest that floods the console (progress bars with '\r', lines of
# megabytes, escape sequences) and never prints the boot marker: vmlaunch's
# memory stays bounded, the TIMEOUT report and the JUnit file stay small and
# valid, and nothing is left behind.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to read the JUnit report"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
fake_conf "$tmp/flood.conf"
# The plain build: ASan's own bookkeeping would hide what vmlaunch keeps.
bin=$top/vmlaunch
[ -x "$bin" ] || fail "$bin is not built"
FAKE_FLOOD=forever "$bin" test --timeout 6 --junit "$tmp/junit.xml" "$tmp/flood.conf" \
	>"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
# Its peak memory, read just before the timeout, after some 100 MB of output.
sleep 5
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$vm_pid/status")
wait "$vm_pid"
status=$?
vm_pid=
[ "$status" -eq 124 ] || fail "status $status, want 124 (timeout): $(head -c 2000 "$tmp/out" "$tmp/err")"
[ -n "$hwm" ] && [ "$hwm" -lt 20000 ] || fail "vmlaunch's peak memory is ${hwm:-?} KiB (want < 20000)"
size=$(wc -c <"$tmp/out")
[ "$size" -lt 8192 ] || fail "the report is $size bytes"
grep -q '^TIMEOUT ' "$tmp/out" || fail "no TIMEOUT line: $(head -c 2000 "$tmp/out")"
# What the guest's escape sequences leave of a report line: no control byte.
LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$tmp/out" &&
	fail "control bytes in the report: $(od -c "$tmp/out" | head -5)"
grep -q 'progress \[=*\] 42%' "$tmp/out" || fail "the tail lacks the progress bar's last state: $(cat "$tmp/out")"
size=$(wc -c <"$tmp/junit.xml")
[ "$size" -lt 16384 ] || fail "the JUnit report is $size bytes"
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$tmp/junit.xml" \
	2>"$tmp/py.err" || fail "the JUnit report is not XML: $(tail -n 1 "$tmp/py.err")"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
pgrep -f "$top/tests/e2e/fake-qemu" >/dev/null && fail "a fake QEMU is still running"
exit 0
