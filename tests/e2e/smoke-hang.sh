#!/bin/sh
# e2e-exclusive: wall-clock bounds on a TCG boot
# vmlaunch test gives up at --timeout: status 124 (like timeout(1)) after
# about that long, a TIMEOUT line naming what never came, the console tail,
# and a JUnit failure of type "timeout".
. "$(dirname "$0")/lib.sh"
smoke_setup
command -v python3 >/dev/null || skip "python3 is needed to read the JUnit report"

t0=$(date +%s%N)
"$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --ready 'this-never-appears' --timeout 5 \
	--junit "$tmp/junit.xml" images/busybox.conf >"$tmp/out" 2>"$tmp/err"
status=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))

[ "$status" -eq 124 ] || fail "status $status, want 124: $(cat "$tmp/out" "$tmp/err")"
[ "$ms" -ge 4000 ] && [ "$ms" -le 15000 ] || fail "gave up after $ms ms, want about 5 s"
head -n 1 "$tmp/out" | grep -Eq "^TIMEOUT images/busybox\\.conf \\([0-9.]+ s\\): .*'this-never-appears'.* 5 s" ||
	fail "first line is not a TIMEOUT naming the --ready pattern: $(cat "$tmp/out")"
[ "$(grep -c '^    | .' "$tmp/out")" -ge 5 ] || fail "no console tail: $(cat "$tmp/out")"
# After 5 s the guest is well into its boot: the tail shows the kernel's messages.
grep -Eq '^    \| .*(EXT4-fs|Run /sbin/init|boot ok)' "$tmp/out" ||
	fail "the console tail is not the guest's boot: $(cat "$tmp/out")"

python3 -c '
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
cases = doc.getElementsByTagName("testcase")
assert len(cases) == 1, "%d testcases" % len(cases)
assert cases[0].getAttribute("name") == "images/busybox.conf", cases[0].getAttribute("name")
f = cases[0].getElementsByTagName("failure")
assert len(f) == 1 and f[0].getAttribute("type") == "timeout", [x.toxml() for x in f]
assert doc.getElementsByTagName("testsuite")[0].getAttribute("failures") == "1"
' "$tmp/junit.xml" 2>"$tmp/py.err" || fail "JUnit report: $(tail -n 1 "$tmp/py.err"): $(cat "$tmp/junit.xml")"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
exit 0
