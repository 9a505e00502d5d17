#!/bin/sh
# doctor reports QEMU, /dev/kvm, and what accel=auto picks and why; a
# usable-looking KVM that is PVM is not picked, and accel=kvm says why.
. "$(dirname "$0")/lib.sh"
need_qemu
out=$(VMLAUNCH_KVM_DEVICE=/nonexistent/kvm "$VMLAUNCH" doctor) || fail "doctor failed"
echo "$out" | grep -q "^qemu:  /.*qemu-system-x86_64 (QEMU emulator version" || fail "no QEMU line: $out"
echo "$out" | grep -q "^kvm:   /nonexistent/kvm does not exist" || fail "no KVM line: $out"
echo "$out" | grep -q "^auto:  tcg" || fail "auto is not tcg without KVM: $out"

# With a CONFIG: it is checked too, and the accelerator it would get is named.
out=$(VMLAUNCH_KVM_DEVICE=/nonexistent/kvm "$VMLAUNCH" -q doctor "$top/images/busybox.conf") ||
	fail "doctor CONFIG failed: $out"
echo "$out" | grep -q "busybox.conf: configuration OK, accel tcg$" || fail "doctor CONFIG: $out"
printf 'kernel = /nonexistent/bzImage\n' >"$tmp/bad.conf"
VMLAUNCH_KVM_DEVICE=/nonexistent/kvm "$VMLAUNCH" doctor "$tmp/bad.conf" >/dev/null 2>&1
[ $? -eq 66 ] || fail "doctor with a config naming a missing kernel did not exit 66"

PATH=/nonexistent "$VMLAUNCH" doctor >"$tmp/out" 2>&1
[ $? -eq 69 ] || fail "doctor without QEMU did not exit 69"
grep -q "sudo apt-get install qemu-system-x86" "$tmp/out" || fail "no install hint: $(cat "$tmp/out")"

# PVM: only testable where /dev/kvm answers the KVM API.
"$VMLAUNCH" doctor >"$tmp/out" 2>&1
if grep -q "API version 12" "$tmp/out" || grep -q "is PVM" "$tmp/out"; then
	out=$(VMLAUNCH_PVM_MARKER=/ "$VMLAUNCH" doctor)
	echo "$out" | grep -q "KVM is PVM" || fail "PVM not reported: $out"
	echo "$out" | grep -q "^auto:  tcg" || fail "auto picked KVM on PVM: $out"
	printf 'kernel = %s\nqemu = /bin/true\n' "$top/tests/golden/files/bzImage" >"$tmp/kvm.conf"
	VMLAUNCH_PVM_MARKER=/ "$VMLAUNCH" check "$tmp/kvm.conf" 2>"$tmp/err"
	[ $? -eq 69 ] || fail "accel=kvm on PVM did not exit 69"
	grep -q "ordinary guests hang after the boot loader; use -o accel=tcg" "$tmp/err" ||
		fail "no PVM explanation: $(cat "$tmp/err")"
	VMLAUNCH_PVM_MARKER=/ "$VMLAUNCH" check -o accel=auto "$tmp/kvm.conf" >/dev/null 2>"$tmp/err" ||
		fail "accel=auto on PVM failed: $(cat "$tmp/err")"
	grep -q "using tcg" "$tmp/err" || fail "accel=auto on PVM did not say it uses tcg"
fi
exit 0
