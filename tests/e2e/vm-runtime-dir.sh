#!/bin/sh
# The runtime directory of started VMs is refused, never used, when it is a
# symlink, writable by others or another user's.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
cd "$top" || fail "cannot cd to $top"
XDG_RUNTIME_DIR=$tmp/run
export XDG_RUNTIME_DIR
mkdir -m 700 "$XDG_RUNTIME_DIR" "$tmp/elsewhere"
ln -s "$tmp/elsewhere" "$XDG_RUNTIME_DIR/vmlaunch"
"$VMLAUNCH" start -o accel=tcg images/busybox.conf >"$tmp/out" 2>"$tmp/err"
[ $? -eq 71 ] || fail "a symlinked runtime directory: not 71: $(cat "$tmp/err")"
grep -q "is a symbolic link, not a directory: not used" "$tmp/err" || fail "symlink: $(cat "$tmp/err")"
[ -z "$(ls -A "$tmp/elsewhere")" ] || fail "something was written through the symlink"
rm "$XDG_RUNTIME_DIR/vmlaunch"
mkdir -m 777 "$XDG_RUNTIME_DIR/vmlaunch"
chmod 777 "$XDG_RUNTIME_DIR/vmlaunch"
"$VMLAUNCH" list >"$tmp/out" 2>"$tmp/err"
[ $? -eq 71 ] || fail "a world-writable runtime directory: not 71: $(cat "$tmp/err")"
grep -q "has mode 0777: others may use it; not used" "$tmp/err" || fail "mode: $(cat "$tmp/err")"
if [ "$(id -u)" -eq 0 ]; then
	chmod 700 "$XDG_RUNTIME_DIR/vmlaunch"
	chown nobody "$XDG_RUNTIME_DIR/vmlaunch"
	"$VMLAUNCH" list >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 71 ] || fail "another user's runtime directory: not 71: $(cat "$tmp/err")"
	grep -q "belongs to user 'nobody'" "$tmp/err" || fail "owner: $(cat "$tmp/err")"
fi
exit 0
