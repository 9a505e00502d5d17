#!/bin/sh
# Who may use a tap, as vmlaunch checks it before QEMU starts (a fake
# /sys/class/net; as root the check is skipped, so this runs vmlaunch as
# user nobody): its owner, or a member of its group, yes; anyone else, and
# anyone when it has neither owner nor group, no (69, with the fix).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root, to run vmlaunch as another user"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
uid=$(id -u nobody) gid=$(id -g nobody)
chmod 755 "$tmp"
cp "$top/tests/golden/files/bzImage" "$tmp/bzImage"
printf 'kernel = bzImage\naccel = tcg\nnet = virtio\nnet_backend = tap\nnet_tap = vmtap0\nqemu = /bin/true\n' \
	>"$tmp/vm.conf"
chmod 644 "$tmp/vm.conf" "$tmp/bzImage"

as_nobody() {   # as_nobody OWNER GROUP: vmlaunch check as nobody; $status, $tmp/err
	rm -rf "$tmp/sys"
	mkdir -p "$tmp/sys/vmtap0"
	echo 0x1002 >"$tmp/sys/vmtap0/tun_flags"
	echo "$1" >"$tmp/sys/vmtap0/owner"
	echo "$2" >"$tmp/sys/vmtap0/group"
	chmod -R a+rX "$tmp/sys"
	VMLAUNCH_SYS_CLASS_NET=$tmp/sys setpriv --reuid="$uid" --regid="$gid" --clear-groups \
		"$VMLAUNCH" check "$tmp/vm.conf" >"$tmp/out" 2>"$tmp/err"
	status=$?
}
as_nobody "$uid" -1
[ "$status" -eq 0 ] || fail "owner nobody: status $status: $(cat "$tmp/err")"
as_nobody -1 "$gid"
[ "$status" -eq 0 ] || fail "group of nobody: status $status: $(cat "$tmp/err")"
as_nobody 0 0
[ "$status" -eq 69 ] || fail "root's tap: status $status, want 69: $(cat "$tmp/err")"
grep -q "net_tap 'vmtap0' belongs to another user and group; .*ip tuntap add dev vmtap0 mode tap user" "$tmp/err" ||
	fail "root's tap: message: $(cat "$tmp/err")"
as_nobody -1 -1
[ "$status" -eq 69 ] || fail "tap without owner: status $status, want 69: $(cat "$tmp/err")"
grep -q "has no owner or group (it needs CAP_NET_ADMIN)" "$tmp/err" || fail "tap without owner: message: $(cat "$tmp/err")"
exit 0
