#!/bin/sh
# Every path reaches the real QEMU as exactly that file, with commas, spaces
# and a leading '-' in the names: the kernel (bz,Image), the initrd (an
# empty newc archive, loaded by QEMU), the rootfs, a raw disk, a qcow2
# overlay on a raw backing file, a share (its default tag _sh_are_dir, from
# the name) and the serial socket with its boot log, all in "$tmp/d, -x,y".
# The VM boots and the guest sees the disks' and the share's files; no
# other file appears beside them (a name split at a comma would make one or
# fail).  Then a multiboot kernel (ours) with an initrd whose name has a
# comma: QEMU splits -initrd at commas there, so it is escaped; run exits 0.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
need_qemu_img
command -v cpio >/dev/null || skip "cpio is not installed"
[ -f "$top/images/out/unikernel.elf" ] || fail "images/out/unikernel.elf is not built (make images)"
d="$tmp/d, -x,y"
mkdir "$d" || fail "cannot make $d"
cp "$top/images/out/bzImage" "$d/bz,Image" || fail "cannot copy the kernel"
cpio -o -H newc </dev/null >"$d/in,it.cpio" 2>/dev/null || fail "cpio failed"
copy_rootfs "$d/-root, fs.ext4"
data_disk "$d/-x, y.img" "raw disk, with comma"
data_disk "$d/-back, ing,format=qcow2.ext4" "backing file, with comma"
( cd "$d" && qemu-img create -q -f qcow2 -b "$d/-back, ing,format=qcow2.ext4" -F raw "ov,l.qcow2" ) ||
	fail "qemu-img create failed"
mkdir "$d/-sh,are dir" || fail "cannot make the share"
echo "share, with comma" >"$d/-sh,are dir/hello.txt"
cat >"$tmp/vm.conf" <<CONF
kernel = "$d/bz,Image"
initrd = "$d/in,it.cpio"
rootfs = "$d/-root, fs.ext4"
disk = "$d/-x, y.img"
disk = "$d/ov,l.qcow2"
share = "$d/-sh,are dir"
memory = 256M
CONF
before=$(ls -A "$d")

sock="$d/se,rial sock"
"$VMLAUNCH" run -o accel=tcg -o serial="$sock" "$tmp/vm.conf" >"$tmp/vm.out" 2>"$tmp/vm.err" &
vm_pid=$!
fail_detail() { printf ': %s' "$(cat "$tmp/vm.err")"; }
until_ok 20 "no serial socket '$sock'" test -S "$sock"
# socat would take the commas for its own options: connect through a link.
ln -s "$sock" "$tmp/console.link" || fail "cannot link to the socket"
console_open "$tmp/console.link"
console_wait 'vmlaunch: boot ok' 60
# The default kernel has no initrd support (CONFIG_BLK_DEV_INITRD is off):
# it ignores the archive, but QEMU loaded it (it fails to start on a file it
# cannot load) and says where and how big in the boot parameters
# (ramdisk_size at 0x21c): 512 bytes, the empty archive.
guest 'echo "ramdisk=$(od -An -tu4 -j 540 -N 4 /sys/kernel/boot_params/data | tr -d " ") $(cat /proc/cmdline)."' \
	'ramdisk=[0-9]+ .*\.'
grep -q 'ramdisk=512 root=/dev/vda console=ttyS0\.' "$tmp/console.log" ||
	fail "the guest did not get the 512-byte initrd and root=/dev/vda"
guest 'mkdir -p /mnt/b /mnt/c && mount /dev/vdb /mnt/b && mount /dev/vdc /mnt/c; echo "b[$(cat /mnt/b/hello.txt)] c[$(cat /mnt/c/hello.txt)] s[$(cat /mnt/_sh_are_dir/hello.txt)]"' \
	'b\[raw disk, with comma\] c\[backing file, with comma\] s\[share, with comma\]'
console_send 'poweroff'
wait_vm_exit 30
[ "$vm_status" -eq 0 ] || fail "vmlaunch exited $vm_status: $(cat "$tmp/vm.err")"
grep -q 'vmlaunch: boot ok' "$sock.log" || fail "no boot log at '$sock.log'"
after=$(ls -A "$d" | grep -vxF -e "se,rial sock" -e "se,rial sock.log")
[ "$after" = "$before" ] || fail "files beside the VM's: $(ls -A "$d" | tr '\n' '|')"

# The multiboot kernel, with its initrd (a module) and itself named with commas.
mb="$tmp/mb,dir"
mkdir "$mb" || fail "cannot make $mb"
cp "$top/images/out/unikernel.elf" "$mb/uni,kernel.elf" && cp "$d/in,it.cpio" "$mb/mod,ule.cpio" ||
	fail "cannot copy the unikernel"
vm_pid=
timeout 30 "$VMLAUNCH" run -o accel=tcg -o kernel="$mb/uni,kernel.elf" -o initrd="$mb/mod,ule.cpio" \
	"$top/images/unikernel.conf" </dev/null >"$tmp/mb.out" 2>"$tmp/mb.err"
status=$?
[ "$status" -eq 0 ] || fail "multiboot with initrd '$mb/mod,ule.cpio': exit $status: $(cat "$tmp/mb.out" "$tmp/mb.err")"
tr -d '\r' <"$tmp/mb.out" | grep -qx 'cmdline: hello from vmlaunch exit=0' ||
	fail "the unikernel did not boot: $(cat "$tmp/mb.out")"
[ "$(ls -A "$mb" | tr '\n' '|')" = "mod,ule.cpio|uni,kernel.elf|" ] || fail "files beside the unikernel: $(ls -A "$mb")"
exit 0
