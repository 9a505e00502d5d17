#!/bin/sh
# A config, kernel or rootfs the user may not read: exit 66 naming the file.
. "$(dirname "$0")/lib.sh"
as_user() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is needed to drop root"
	as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	chmod 755 "$tmp"
fi
cp "$top/tests/golden/files/bzImage" "$tmp/bzImage"
cp "$top/tests/golden/files/rootfs.ext4" "$tmp/rootfs.ext4"
printf 'kernel = bzImage\naccel = tcg\nqemu = /bin/true\n' >"$tmp/secret.conf"
chmod 600 "$tmp/secret.conf"
as_user "$VMLAUNCH" check "$tmp/secret.conf" 2>"$tmp/err"
[ $? -eq 66 ] || fail "an unreadable config did not exit 66: $(cat "$tmp/err")"
grep -q "secret.conf: cannot open config file: Permission denied" "$tmp/err" ||
	fail "unexpected message: $(cat "$tmp/err")"

printf 'kernel = bzImage\nrootfs = rootfs.ext4\naccel = tcg\nqemu = /bin/true\n' >"$tmp/vm.conf"
chmod 644 "$tmp/vm.conf" "$tmp/bzImage"
chmod 444 "$tmp/rootfs.ext4"
as_user "$VMLAUNCH" check "$tmp/vm.conf" 2>"$tmp/err"
[ $? -eq 66 ] || fail "a read-only rootfs did not exit 66: $(cat "$tmp/err")"
grep -q "rootfs '$tmp/rootfs.ext4' cannot be opened for reading and writing" "$tmp/err" ||
	fail "unexpected message: $(cat "$tmp/err")"
# With snapshot = yes QEMU opens the base read-only: a read-only image is fine.
as_user "$VMLAUNCH" check -o snapshot=yes "$tmp/vm.conf" >/dev/null 2>"$tmp/err" ||
	fail "a read-only rootfs was refused with snapshot = yes: $(cat "$tmp/err")"
exit 0
