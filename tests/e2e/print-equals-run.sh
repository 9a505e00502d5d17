#!/bin/sh
# `vmlaunch print` pasted into sh runs exactly the argv that `vmlaunch run`
# execs, for awkward names too; run's status is QEMU's own.
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
for conf in "$tmp/odd.conf" "$top/images/busybox.conf"; do
	STUB_ARGV=$tmp/run.argv "$VMLAUNCH" -q run -o qemu="$stub" -o accel=tcg "$conf" ||
		fail "run with the stub failed for $conf"
	"$VMLAUNCH" -q print -o qemu="$stub" -o accel=tcg "$conf" >"$tmp/cmd.sh" ||
		fail "print failed for $conf"
	STUB_ARGV=$tmp/print.argv sh "$tmp/cmd.sh" || fail "the printed command failed in sh"
	cmp -s "$tmp/run.argv" "$tmp/print.argv" ||
		fail "print and run differ for $conf: $(tr '\0' ' ' <"$tmp/run.argv") VS $(tr '\0' ' ' <"$tmp/print.argv")"
done
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
