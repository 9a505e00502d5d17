#!/bin/sh
# What a restore refuses, each before QEMU starts (no VM directory made,
# no QEMU run) and with the difference named: a state from another config,
# another memory size, a changed disk image, another QEMU (both versions),
# another name's default MAC (a hint; without CONFIG the saved MAC is kept),
# a file corrupted in place (its metadata's or a disk's SHA-256), a truncated file, a file that
# is not a state file, a missing one.  And what save refuses: no such VM,
# an ended VM, a writable disk without snapshot, a missing FILE.  QEMU is
# tests/e2e/fake-qemu, which speaks enough QMP to be saved.
. "$(dirname "$0")/lib.sh"
fake_vm_setup
printf 'memory = 128M\n' >>"$conf"
disk=$tmp/disk.img
state=$tmp/fake.state

"$VMLAUNCH" start -o rootfs="$disk" -o snapshot=yes -o name=src "$conf" >"$tmp/out" 2>"$tmp/err" ||
	fail "start of the fake VM: $(cat "$tmp/err")"
"$VMLAUNCH" save src "$state" >"$tmp/out" 2>"$tmp/err" || fail "save: status $?: $(cat "$tmp/err")"
"$VMLAUNCH" stop --force src >/dev/null 2>&1

# refused STATUS PATTERN WHAT ARGS...: start --restore ARGS fails so, and starts nothing.
refused() {
	want=$1 pattern=$2 what=$3
	shift 3
	"$VMLAUNCH" start --restore "$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ $st -eq "$want" ] || fail "$what: status $st, not $want: $(cat "$tmp/err")"
	grep -q -- "$pattern" "$tmp/err" || fail "$what: no '$pattern' in: $(cat "$tmp/err")"
	[ -z "$(ls -A "$XDG_RUNTIME_DIR/vmlaunch" 2>/dev/null)" ] ||
		fail "$what: a VM was started: $(ls -A "$XDG_RUNTIME_DIR/vmlaunch")"
	# The same refusal from run and test.
	"$VMLAUNCH" run --restore "$@" >"$tmp/out2" 2>"$tmp/err2"
	[ $? -eq "$want" ] && grep -q -- "$pattern" "$tmp/err2" || fail "$what, run: $(cat "$tmp/err2")"
	"$VMLAUNCH" test --restore "$@" >"$tmp/out2" 2>"$tmp/err2"
	[ $? -eq "$want" ] && grep -q -- "$pattern" "$tmp/err2" || fail "$what, test: $(cat "$tmp/err2")"
}

refused 65 "$state: saved with memory=128M, the config says 256M" "another memory size" \
	"$state" -o memory=256M
refused 65 "not restored: a saved state is restored only into the VM it was saved from" \
	"another memory size (the summary)" "$state" -o memory=256M
# Corrupted in place, the sizes right: the metadata, a disk section.
cp "$state" "$tmp/meta.state"
sed -i '2s/memory=128M/memory=127M/' "$tmp/meta.state"
refused 66 "meta.state: cannot restore from it: its metadata is corrupt (its SHA-256 does not match)" \
	"corrupt metadata" "$tmp/meta.state" -o memory=127M
cp "$state" "$tmp/disk.state"
printf 'XXXX' | dd of="$tmp/disk.state" bs=1 seek=$(($(stat -c %s "$state") - 8)) conv=notrunc status=none
"$VMLAUNCH" start --restore "$tmp/disk.state" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 66 ] || fail "a corrupt disk section: status $st, not 66: $(cat "$tmp/err")"
grep -q "disk.state: cannot restore from it: its saved disk rootfs is corrupt (its SHA-256 does not match)" \
	"$tmp/err" || fail "corrupt disk message: $(cat "$tmp/err")"
[ -z "$(ls -A "$XDG_RUNTIME_DIR/vmlaunch" 2>/dev/null)" ] || fail "a corrupt disk section started a VM"

cp "$conf" "$tmp/other.conf"
printf 'machine = q35\n' >>"$tmp/other.conf"
refused 65 "saved with machine=pc, the config says q35" "another config" \
	"$state" -o rootfs="$disk" -o snapshot=yes "$tmp/other.conf"
cp "$disk" "$tmp/disk2.img"
refused 65 "saved with disk.rootfs=$disk, the config says $tmp/disk2.img" "another disk image" \
	"$state" -o rootfs="$tmp/disk2.img"
printf 'changed' | dd of="$disk" conv=notrunc status=none
refused 65 "disk.rootfs $disk changed since the save (then: size 1048576" "a changed disk image" "$state"
refused 65 "saved with disk.rootfs.mode=raw snapshot, the config says raw rw" "the disk not a snapshot" \
	"$state" -o snapshot=no

# Another QEMU at the same path (an upgrade): both versions named.
cp "$top/tests/e2e/fake-qemu" "$tmp/qemu"
"$VMLAUNCH" start -o qemu="$tmp/qemu" -o rootfs="$disk" -o snapshot=yes -o name=q "$conf" \
	>/dev/null 2>"$tmp/err" || fail "start of q: $(cat "$tmp/err")"
"$VMLAUNCH" save --stop q "$tmp/q.state" >/dev/null 2>"$tmp/err" || fail "save of q: $(cat "$tmp/err")"
sed -i 's/version 7.2.0 (vmlaunch fake)/version 8.0.0 (vmlaunch fake)/' "$tmp/qemu"
refused 65 "q.state: saved with QEMU 7.2.0 vmlaunch fake; this QEMU ($tmp/qemu) is 8.0.0 (vmlaunch fake)" \
	"another QEMU version" "$tmp/q.state"

# A NIC's default MAC (a hash of the name): kept by a restore under another
# name without CONFIG; with one, the refusal says how to keep it.
"$VMLAUNCH" start -o net=virtio -o rootfs="$disk" -o snapshot=yes -o name=pc "$conf" \
	>/dev/null 2>"$tmp/err" || fail "start of pc: $(cat "$tmp/err")"
"$VMLAUNCH" save --stop pc "$tmp/pc.state" >/dev/null 2>"$tmp/err" || fail "save of pc: $(cat "$tmp/err")"
"$VMLAUNCH" start --restore "$tmp/pc.state" -o name=pc2 >/dev/null 2>"$tmp/err" ||
	fail "restore of pc as pc2: status $?: $(cat "$tmp/err")"
"$VMLAUNCH" stop --force pc2 >/dev/null 2>&1
refused 65 "pc.state: a NIC's default MAC comes from the VM's name: -o net_mac= with the saved MAC keeps it" \
	"another name with a CONFIG" "$tmp/pc.state" -o net=virtio -o rootfs="$disk" -o snapshot=yes \
	-o name=pc3 "$conf"

size=$(stat -c %s "$state")
head -c $((size - 10)) "$state" >"$tmp/short.state"
refused 66 "short.state: cannot restore from it: it is truncated: $((size - 10)) bytes, its sections need $size" \
	"a truncated file" "$tmp/short.state"
head -c 30000 "$state" >"$tmp/head.state"
refused 66 "head.state: cannot restore from it: it is truncated: its header is incomplete" \
	"a file cut in its header" "$tmp/head.state"
printf 'name = x\n' >"$tmp/foreign.state"
refused 66 "foreign.state: cannot restore from it: it is not a vmlaunch state file" "a foreign file" \
	"$tmp/foreign.state"
refused 66 "nothere.state: cannot read the saved state: No such file or directory" "a missing file" \
	"$tmp/nothere.state"

# save: no such VM, an ended VM, a writable disk, usage.
"$VMLAUNCH" save nosuchvm "$tmp/x.state" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 68 ] || fail "save of no VM: not 68: $(cat "$tmp/err")"
"$VMLAUNCH" start -o name=gone "$conf" >/dev/null 2>"$tmp/err" || fail "start gone: $(cat "$tmp/err")"
kill -9 "$(cut -d' ' -f1 "$XDG_RUNTIME_DIR/vmlaunch/gone/pid")"
until_ok 10 "the killed QEMU's VM still runs" sh -c "! '$VMLAUNCH' exec gone -- true 2>/dev/null | grep -q ."
sleep 0.5
"$VMLAUNCH" save gone "$tmp/x.state" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 69 ] || fail "save of an ended VM: not 69: $(cat "$tmp/err")"
grep -q "save: gone is not running (QEMU killed by signal 9" "$tmp/err" || fail "ended VM message: $(cat "$tmp/err")"
"$VMLAUNCH" start -o name=rw -o rootfs="$tmp/disk2.img" "$conf" >/dev/null 2>"$tmp/err" || fail "start rw: $(cat "$tmp/err")"
"$VMLAUNCH" save rw "$tmp/x.state" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 65 ] || fail "save with a writable disk: not 65: $(cat "$tmp/err")"
grep -q "its disk rootfs is writable without snapshot = yes" "$tmp/err" || fail "rw message: $(cat "$tmp/err")"
[ -e "$tmp/x.state" ] && fail "a refused save left $tmp/x.state"
"$VMLAUNCH" save rw >"$tmp/out" 2>"$tmp/err"
[ $? -eq 64 ] || fail "save without FILE: not 64"
exit 0
