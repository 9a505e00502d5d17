#!/bin/sh
# Two shared folders, both writable by the user who runs vmlaunch on the
# host: one read-only (the default), one rw.  The guest's rcS mounted them
# at /mnt/TAG (a tag given, a tag from the directory's name); the guest
# lists and reads the host's file; it cannot create or remove a file on the
# read-only share (Read-only file system: QEMU refuses, not the host's
# permissions); its file on the rw share lands on the host, owned by the
# user who runs vmlaunch.  As root, that user is nobody (setpriv), with
# copies of everything it needs where it can read them.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	owner=nobody
	# The run directory is nobody's: QEMU, as nobody, makes the socket there.
	chown nobody:nogroup "$tmp" || fail "cannot chown $tmp"
	chmod 755 "$tmp"
	cp "$VMLAUNCH" "$tmp/vmlaunch" || fail "cannot copy $VMLAUNCH"
	printf '#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups %s "$@"\n' \
		"$tmp/vmlaunch" >"$tmp/as-nobody"
	chmod 755 "$tmp/vmlaunch" "$tmp/as-nobody"
	VMLAUNCH=$tmp/as-nobody
else
	owner=$(id -un)
fi
cp "$top/images/out/bzImage" "$tmp/bzImage" || fail "cannot copy the kernel"
copy_rootfs "$tmp/rootfs.ext4"
mkdir "$tmp/ro-dir" "$tmp/rw-share" || fail "cannot make the share directories"
echo "hello from the host" >"$tmp/ro-dir/hello.txt"
cat >"$tmp/vm.conf" <<CONF
kernel = bzImage
rootfs = rootfs.ext4
memory = 256M
share = ro-dir tag=hostro
share = rw-share rw
CONF
[ "$owner" = nobody ] && { chown -R nobody:nogroup "$tmp"/* || fail "chown failed"; }

start_vm "$tmp/vm.conf"
console_wait 'vmlaunch: boot ok' 60
grep -q "cannot mount the shared folder" "$tmp/console.log" && fail "rcS could not mount a share"
guest 'echo "mounts=$(grep -c " 9p " /proc/mounts) ls=$(ls /mnt/hostro) ls2=$(ls -A /mnt/rw-share)."' \
	'mounts=[0-9]+ ls=.*\.'
grep -q 'mounts=2 ls=hello.txt ls2=\.' "$tmp/console.log" ||
	fail "the guest does not see the shares at /mnt/hostro and /mnt/rw-share"
guest 'echo "read[$(cat /mnt/hostro/hello.txt)]"' 'read\[hello from the host\]'

guest 'echo x >/mnt/hostro/new; echo "create=$?"' 'create=[0-9]'
grep -q 'create=0' "$tmp/console.log" && fail "the guest created a file on the read-only share"
grep -q "can't create /mnt/hostro/new: Read-only file system" "$tmp/console.log" ||
	fail "creating a file on the read-only share did not fail with Read-only file system"
guest 'rm /mnt/hostro/hello.txt; echo "remove=$?"' 'remove=[0-9]'
grep -q 'remove=0' "$tmp/console.log" && fail "the guest removed a file on the read-only share"

guest 'echo written by the guest >/mnt/rw-share/guest.txt && sync; echo "write=$?"' 'write=[0-9]'
grep -q 'write=0' "$tmp/console.log" || fail "the guest could not write on the rw share"
console_send 'poweroff'
wait_vm_exit 30
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status: $(cat "$tmp/vm.err")"

[ ! -e "$tmp/ro-dir/new" ] || fail "a file appeared in the read-only share on the host"
[ "$(cat "$tmp/ro-dir/hello.txt")" = "hello from the host" ] ||
	fail "the host's file in the read-only share changed or went"
[ "$(cat "$tmp/rw-share/guest.txt" 2>/dev/null)" = "written by the guest" ] ||
	fail "the guest's file is not in the rw share on the host"
got=$(stat -c %U "$tmp/rw-share/guest.txt")
[ "$got" = "$owner" ] || fail "the guest's file belongs to '$got', not to '$owner' who ran vmlaunch"
exit 0
