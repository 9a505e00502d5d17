#!/bin/sh
# A FIFO named as kernel, initrd or rootfs: check, print and run return at
# once with 66 and a message naming the key and the file (opening a FIFO
# for reading used to wait for a writer forever).
. "$(dirname "$0")/lib.sh"
cp "$top/tests/golden/files/bzImage" "$tmp/bzImage"
cp "$top/tests/golden/files/initrd.cpio" "$tmp/initrd.cpio"
cp "$top/tests/golden/files/rootfs.ext4" "$tmp/rootfs.ext4"
mkfifo "$tmp/fifo" || fail "mkfifo failed"

# expect_refused KEY COMMAND: COMMAND on a config whose KEY is the FIFO.
expect_refused() {
	if [ "$1" = kernel ]; then
		printf 'kernel = fifo\naccel = tcg\nqemu = /bin/true\n' >"$tmp/vm.conf"
		line=1
	else
		printf 'kernel = bzImage\naccel = tcg\nqemu = /bin/true\n%s = fifo\n' "$1" >"$tmp/vm.conf"
		line=4
	fi
	start=$(date +%s)
	timeout -k 2 10 "$VMLAUNCH" "$2" "$tmp/vm.conf" >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ $status -eq 124 ] || [ $status -eq 137 ]; then
		fail "$2 with a FIFO $1 did not return within 10 s"
	fi
	[ $status -eq 66 ] || fail "$2 with a FIFO $1: exit $status, not 66: $(cat "$tmp/err")"
	grep -qF "vm.conf:$line: $1 '$tmp/fifo' is a FIFO (named pipe), not a regular file" "$tmp/err" ||
		fail "$2 with a FIFO $1: unexpected message: $(cat "$tmp/err")"
	[ $(( $(date +%s) - start )) -le 3 ] || fail "$2 with a FIFO $1 took more than 3 s"
}
for key in kernel initrd rootfs; do
	for cmd in check print run; do
		expect_refused "$key" "$cmd"
	done
done
exit 0
