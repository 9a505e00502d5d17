#!/bin/sh
# A kernel rebuilt in place while `vmlaunch check` reads it: the file
# shrinks and grows under the check.  Every run must end with a status of
# its own (0, or 65 for a half-written kernel), never die of a signal
# (it used to mmap the kernel and take SIGBUS past the new end).
. "$(dirname "$0")/lib.sh"
writer_pid=
trap '[ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null; cleanup' EXIT

# A 1 MiB kernel: the bzImage header, then padding, so a rewrite takes a while.
src=$tmp/src.bzImage
cp "$top/tests/golden/files/bzImage" "$src"
dd if=/dev/zero bs=4096 count=255 2>/dev/null >>"$src"
k=$tmp/bzImage
cp "$src" "$k"
printf 'kernel = bzImage\naccel = tcg\nqemu = /bin/true\n' >"$tmp/vm.conf"

# Truncate and rewrite the same inode, as an in-place rebuild does, as fast
# as it goes (a shell loop forks too slowly to hit the window often).
command -v python3 >/dev/null || skip "python3 is needed for the rewriting loop"
python3 -c '
import os, sys
data = open(sys.argv[1], "rb").read()
fd = os.open(sys.argv[2], os.O_WRONLY)
while True:
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
' "$src" "$k" &
writer_pid=$!

# Before the fix, about 1 run in 70 died (SIGBUS; under ASan its BUS report).
runs=${HARDEN_RUNS:-400}
i=0 bad=0
while [ $i -lt "$runs" ]; do
	"$VMLAUNCH" check "$tmp/vm.conf" >/dev/null 2>"$tmp/err"
	status=$?
	case $status in
	0|65) ;;
	*) bad=$((bad + 1)); [ $bad -eq 1 ] && cp "$tmp/err" "$tmp/first-bad" && first=$status ;;
	esac
	i=$((i + 1))
done
[ $bad -eq 0 ] || fail "$bad of $runs checks of a kernel rewritten in place ended with a status other than 0 or 65 (first: $first): $(head -n 5 "$tmp/first-bad")"
exit 0
