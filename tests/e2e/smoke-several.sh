#!/bin/sh
# vmlaunch test of several configs where one fails (-j 1: one after the
# other): status 1, one result line each in order, a transcript section per
# config, and a JUnit report of two testcases with one failure.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v python3 >/dev/null || skip "python3 is needed to read the JUnit report"
need_images
rootfs=$tmp/rootfs.ext4
copy_rootfs "$rootfs"
export TMPDIR="$tmp/runs"
mkdir "$TMPDIR" || fail "cannot create $TMPDIR"
cd "$tmp" || fail "cannot cd to $tmp"
printf 'kernel = %s\nrootfs = rootfs.ext4\nmemory = 256M\n' "$top/images/out/bzImage" >good.conf
printf 'kernel = %s\nrootfs = rootfs.ext4\nmemory = 256M\nappend = init=/nonexistent\n' \
	"$top/images/out/bzImage" >panic.conf

"$VMLAUNCH" test -o accel=tcg -j 1 --timeout 60 --junit junit.xml --transcript transcript \
	good.conf panic.conf >out 2>err
status=$?
[ "$status" -eq 1 ] || fail "status $status, want 1: $(cat out err)"
grep -v '^    | ' out >results
want='PASS good.conf
FAIL panic.conf'
got=$(sed -E 's/^([A-Z]+) +([^ ]+) .*/\1 \2/' results)
[ "$got" = "$want" ] || fail "result lines: got '$got', want '$want': $(cat out)"
grep -q '^FAIL .*Kernel panic' results || fail "the FAIL does not name the panic: $(cat results)"
grep -q '^==> good.conf <==$' transcript && grep -q '^==> panic.conf <==$' transcript ||
	fail "the transcript lacks a section per config: $(grep '^==>' transcript)"

python3 -c '
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
s = doc.getElementsByTagName("testsuite")[0]
assert (s.getAttribute("tests"), s.getAttribute("failures")) == ("2", "1"), s.toxml()[:200]
got = [(c.getAttribute("name"), [f.getAttribute("type") for f in c.getElementsByTagName("failure")])
       for c in doc.getElementsByTagName("testcase")]
assert got == [("good.conf", []), ("panic.conf", ["fail"])], got
' junit.xml 2>py.err || fail "JUnit report: $(tail -n 1 py.err): $(cat junit.xml)"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
exit 0
