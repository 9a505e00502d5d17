#!/bin/sh
# `vmlaunch print` pasted into sh runs exactly the argv that `vmlaunch run`
# execs, for awkward names too; run's status is QEMU's own.  The one
# difference: run hands QEMU the boot log as /proc/self/fd/N, a descriptor
# it opened safely, where print names the file.
. "$(dirname "$0")/lib.sh"
stub=$top/tests/stub/qemu-system-x86_64
files=$top/tests/golden/files
mkdir -p "$tmp/it's a dir"
cp "$files/bzImage" "$tmp/it's a dir/bz Image"
cp "$files/rootfs.ext4" "$tmp/disk,format=qcow2.img"
cat >"$tmp/odd.conf" <<CONF
kernel = "it's a dir/bz Image"
rootfs = "disk,format=qcow2.img"
serial = "$tmp/s,server=off \$HOME.sock"
append = "init=/bin/sh -c 'echo \$((1+1)) \"q\"' -- a b"
accel = tcg
CONF
# One argument a line, the boot log's value (the last option) as LOG.
normalise() {
	tr '\0' '\n' <"$1" | sed 's/,logfile=.*$/,logfile=LOG/'
}
for conf in "$tmp/odd.conf" "$top/images/busybox.conf"; do
	STUB_ARGV=$tmp/run.argv "$VMLAUNCH" -q run -o qemu="$stub" -o accel=tcg "$conf" ||
		fail "run with the stub failed for $conf"
	"$VMLAUNCH" -q print -o qemu="$stub" -o accel=tcg "$conf" >"$tmp/cmd.sh" ||
		fail "print failed for $conf"
	STUB_ARGV=$tmp/print.argv sh "$tmp/cmd.sh" || fail "the printed command failed in sh"
	normalise "$tmp/run.argv" >"$tmp/run.norm"
	normalise "$tmp/print.argv" >"$tmp/print.norm"
	cmp -s "$tmp/run.norm" "$tmp/print.norm" ||
		fail "print and run differ for $conf: $(tr '\n' ' ' <"$tmp/run.norm") VS $(tr '\n' ' ' <"$tmp/print.norm")"
done
# The log's value itself: a descriptor for run, the (escaped) name for print.
STUB_ARGV=$tmp/run.argv "$VMLAUNCH" -q run -o qemu="$stub" -o accel=tcg "$tmp/odd.conf"
tr '\0' '\n' <"$tmp/run.argv" | grep -q ',wait=off,logfile=/proc/self/fd/[0-9][0-9]*$' ||
	fail "run does not hand QEMU the boot log as /proc/self/fd/N: $(tr '\0' ' ' <"$tmp/run.argv")"
"$VMLAUNCH" -q print -o qemu="$stub" -o accel=tcg "$tmp/odd.conf" >"$tmp/cmd.sh"
STUB_ARGV=$tmp/print.argv sh "$tmp/cmd.sh"
tr '\0' '\n' <"$tmp/print.argv" | grep -qF ",wait=off,logfile=$tmp/s,,server=off \$HOME.sock.log" ||
	fail "print does not name the boot log: $(tr '\0' ' ' <"$tmp/print.argv")"
# The escaped comma reached QEMU's argv as ",,".
tr '\0' '\n' <"$tmp/run.argv" >/dev/null
STUB_ARGV=$tmp/run.argv "$VMLAUNCH" -q run -o qemu="$stub" "$tmp/odd.conf"
tr '\0' '\n' <"$tmp/run.argv" | grep -qx "driver=file,node-name=rootfs,filename=$tmp/disk,,format=qcow2.img" ||
	fail "the rootfs name is not escaped in QEMU's argv"
# QEMU's exit status becomes vmlaunch's.
STUB_EXIT=3 "$VMLAUNCH" -q run -o qemu="$stub" "$tmp/odd.conf"
[ $? -eq 3 ] || fail "run did not pass on QEMU's exit status 3"
# No QEMU: 69, with the package to install.
"$VMLAUNCH" run -o qemu=no-such-qemu "$tmp/odd.conf" 2>"$tmp/err"
[ $? -eq 69 ] || fail "a missing QEMU did not exit 69"
grep -q 'apt-get install qemu-system-x86' "$tmp/err" || fail "no install hint: $(cat "$tmp/err")"
exit 0
