#!/bin/sh
# e2e-exclusive: starts the system virtlogd and libvirtd
# vmlaunch export, proven by libvirt: the default VM (images/busybox.conf)
# with a serial socket, user networking and snapshot = yes is exported,
# defined in a real libvirtd (started here, as root, and stopped by pid),
# started paused so no console output is missed, resumed; the guest prints
# its boot marker and its DHCP address (10.0.2.15: libvirt's user network is
# QEMU's) on the exported socket and runs a command; <transient/> leaves the
# disk as it was.  Then destroy and undefine.  Every export golden case that
# succeeds is defined and undefined too: libvirt's parser is stricter than
# its schema (it rejects <backend type='passt'/>, which the schema allows).
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
[ "$(id -u)" -eq 0 ] || skip "libvirtd runs as root here (no session daemon set up)"
for p in libvirtd virtlogd virsh virt-xml-validate; do
	command -v "$p" >/dev/null ||
		skip "$p is not installed (apt-get install libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients dnsmasq-base)"
done

vm=vmlaunch-export-$$
uri=qemu:///system
daemons= defined=
lv_cleanup() {
	if [ -n "$defined" ]; then
		virsh -q -c "$uri" destroy "$vm" >/dev/null 2>&1
		virsh -q -c "$uri" undefine "$vm" >/dev/null 2>&1
	fi
	for pid in $daemons; do
		kill "$pid" 2>/dev/null
	done
	for pid in $daemons; do
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$pid" 2>/dev/null
	done
	cleanup
}
trap lv_cleanup EXIT
lv() { virsh -q -c "$uri" "$@"; }
lv_quiet() { lv "$@" >/dev/null 2>&1; }

# A daemon someone else runs is used and left alone; ours are stopped by pid.
if ! lv version >/dev/null 2>&1; then
	[ -e /run/libvirtd.pid ] && kill -0 "$(cat /run/libvirtd.pid)" 2>/dev/null &&
		skip "a libvirtd runs but does not answer on $uri"
	mkdir -p /var/log/libvirt || fail "cannot create /var/log/libvirt"
	virtlogd >"$tmp/virtlogd.log" 2>&1 &
	daemons=$!
	until_ok 10 "virtlogd's socket" test -S /run/libvirt/virtlogd-sock
	# A /dev/kvm that root's QEMU opens but libvirt-qemu may not makes
	# libvirt re-probe QEMU (~40 s) at every call, as "KVM was enabled when
	# probing, but it is not available now".  The test runs TCG: our daemon
	# gets, in a mount namespace of its own, a /dev/kvm no one can use, and
	# a qemu.conf without per-VM /dev namespaces (they would try to move
	# that mount).  The host's files are not touched.
	: >"$tmp/no-kvm" && chmod 000 "$tmp/no-kvm" || fail "create $tmp/no-kvm"
	{ cat /etc/libvirt/qemu.conf 2>/dev/null; echo 'namespaces = []'; } >"$tmp/qemu.conf"
	if [ -e /dev/kvm ] && [ -e /etc/libvirt/qemu.conf ] && unshare -m true 2>/dev/null; then
		unshare -m sh -c 'mount --bind "$1" /dev/kvm && mount --bind "$2" /etc/libvirt/qemu.conf &&
			exec libvirtd' sh "$tmp/no-kvm" "$tmp/qemu.conf" >"$tmp/libvirtd.log" 2>&1 &
	else
		libvirtd >"$tmp/libvirtd.log" 2>&1 &
	fi
	daemons="$daemons $!"
	until_ok 30 "libvirtd answering" lv_quiet version
fi

# libvirt's QEMU runs as libvirt-qemu: it reaches the files (libvirt chowns
# them) and creates the serial socket in a directory it may write.
chmod 711 "$tmp" || fail "chmod $tmp"
lvdir=$tmp/lv
mkdir -m 1777 "$lvdir" || fail "mkdir $lvdir"
cp "$top/images/out/bzImage" "$lvdir/bzImage" || fail "copy the kernel"
copy_rootfs "$lvdir/rootfs.ext4" || fail "copy the rootfs"
sum_before=$(cksum <"$lvdir/rootfs.ext4")
sock=$lvdir/serial.sock
"$VMLAUNCH" export -o name="$vm" -o accel=tcg -o kernel="$lvdir/bzImage" \
	-o rootfs="$lvdir/rootfs.ext4" -o serial="$sock" -o net=virtio -o snapshot=yes \
	"$top/images/busybox.conf" >"$tmp/vm.xml" 2>"$tmp/export.err" ||
	fail "export failed: $(cat "$tmp/export.err")"
[ -s "$tmp/export.err" ] && fail "export warned: $(cat "$tmp/export.err")"
virt-xml-validate "$tmp/vm.xml" domain >/dev/null 2>&1 ||
	fail "the XML does not validate: $(virt-xml-validate "$tmp/vm.xml" domain 2>&1)"

lv define "$tmp/vm.xml" >"$tmp/define.out" 2>&1 || fail "virsh define: $(cat "$tmp/define.out")"
defined=1
lv start --paused "$vm" >"$tmp/start.out" 2>&1 || fail "virsh start: $(cat "$tmp/start.out")"
until_ok 10 "the serial socket" test -S "$sock"
console_open "$sock"
lv resume "$vm" >/dev/null 2>&1 || fail "virsh resume"
console_wait 'vmlaunch: boot ok' 60
grep -q 'vmlaunch: eth0 10\.0\.2\.15/24' "$tmp/console.log" ||
	fail "no DHCP address 10.0.2.15 on libvirt's user network"
console_wait ':/# ' 10
token=export-$$-$(date +%s)
console_send "echo \"\$((6 * 7))-$token\"; echo changed >/dev/vda; sync"
console_wait "^42-$token" 20
lv destroy "$vm" >/dev/null 2>&1 || fail "virsh destroy"
lv undefine "$vm" >/dev/null 2>&1 || fail "virsh undefine"
defined=
[ "$(cksum <"$lvdir/rootfs.ext4")" = "$sum_before" ] ||
	fail "snapshot = yes: the guest's write reached the disk (<transient/> not honoured)"
ls "$lvdir" | grep -q TRANSIENT && fail "libvirt's transient overlay was left behind"

# The unikernel (images/unikernel.conf): microvm exported as pc, with
# isa-debug-exit through <qemu:commandline>.  Without that device it would
# say so and halt, and the domain would keep running; with it, it ends QEMU.
cp "$top/images/out/unikernel.elf" "$lvdir/unikernel.elf" || fail "copy the unikernel"
uksock=$lvdir/uk.sock
"$VMLAUNCH" export -q -o name="$vm" -o accel=tcg -o kernel="$lvdir/unikernel.elf" \
	-o serial="$uksock" -o append="hello from libvirt exit=3" "$top/images/unikernel.conf" \
	>"$tmp/uk.xml" 2>"$tmp/export.err" || fail "export of the unikernel: $(cat "$tmp/export.err")"
lv define "$tmp/uk.xml" >"$tmp/define.out" 2>&1 || fail "virsh define (unikernel): $(cat "$tmp/define.out")"
defined=1
lv start --paused "$vm" >"$tmp/start.out" 2>&1 || fail "virsh start (unikernel): $(cat "$tmp/start.out")"
until_ok 10 "the unikernel's serial socket" test -S "$uksock"
kill "$console_pid" 2>/dev/null
console_open "$uksock"
lv resume "$vm" >/dev/null 2>&1 || fail "virsh resume (unikernel)"
console_wait 'hello from libvirt' 20
uk_off() { lv domstate "$vm" 2>/dev/null | grep -q 'shut off'; }
until_ok 20 "the unikernel's isa-debug-exit ending the domain" uk_off
lv undefine "$vm" >/dev/null 2>&1 || fail "virsh undefine (unikernel)"
defined=

# Every golden export that succeeds validates and is a domain this libvirt
# accepts (kvm ones: validated only, this daemon has no KVM).
for conf in "$top"/tests/golden/cases/export-*.conf; do
	name=$(basename "$conf" .conf)
	( cd "$top/tests/golden" && "$VMLAUNCH" export -q "cases/$name.conf" ) >"$tmp/g.xml" 2>/dev/null ||
		continue
	virt-xml-validate "$tmp/g.xml" domain >/dev/null 2>&1 || fail "golden $name does not validate"
	# Our daemon has no KVM: a kvm domain is schema-checked only (above).
	grep -q "^<domain type='kvm'" "$tmp/g.xml" && continue
	sed -i "s|<name>[^<]*</name>|<name>$vm-g</name>|" "$tmp/g.xml"
	lv define "$tmp/g.xml" >"$tmp/g.out" 2>&1 || fail "golden $name: virsh define: $(cat "$tmp/g.out")"
	lv undefine "$vm-g" >/dev/null 2>&1 || fail "golden $name: virsh undefine"
done
echo "ok: exported, defined, booted and used in libvirt; the unikernel ends itself; every golden export validates and defines"
