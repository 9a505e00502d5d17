#!/bin/sh
# doctor gives a QEMU that never answers --version 5 s, then says so (69),
# and kills it and what it started; so does one that closes its output and
# lingers.  It used to wait forever.
. "$(dirname "$0")/lib.sh"
mkdir "$tmp/bin"
qemu=$tmp/bin/qemu-system-x86_64
marker=59.$$

# doctor_times_out: doctor with the fake QEMU returns 69 within 5 to 9 s.
doctor_times_out() {
	start=$(date +%s)
	PATH=$tmp/bin:$PATH VMLAUNCH_KVM_DEVICE=/nonexistent/kvm \
		timeout -k 2 30 "$VMLAUNCH" doctor >"$tmp/out" 2>&1
	status=$?
	secs=$(( $(date +%s) - start ))
	[ $status -ne 124 ] && [ $status -ne 137 ] || fail "$1: doctor hung (killed after 30 s)"
	[ $status -eq 69 ] || fail "$1: doctor exited $status, not 69: $(cat "$tmp/out")"
	grep -qxF "qemu:  $qemu did not answer --version within 5 s" "$tmp/out" ||
		fail "$1: unexpected output: $(cat "$tmp/out")"
	[ $secs -ge 4 ] && [ $secs -le 9 ] || fail "$1: doctor took $secs s, not about 5"
	# The fake and its sleep are gone, not left running.
	sleep 0.5
	! pgrep -f "sleep $marker" >/dev/null || fail "$1: the fake QEMU's child is still running"
}

printf '#!/bin/sh\nsleep %s\n' "$marker" >"$qemu"
chmod +x "$qemu"
doctor_times_out "a QEMU that sleeps"

printf '#!/bin/sh\nexec >&-\nsleep %s\n' "$marker" >"$qemu"
doctor_times_out "a QEMU that closes its output and sleeps"

# A QEMU that answers at once still does.
printf '#!/bin/sh\necho "QEMU emulator version 9.9.9"\n' >"$qemu"
PATH=$tmp/bin:$PATH VMLAUNCH_KVM_DEVICE=/nonexistent/kvm "$VMLAUNCH" doctor >"$tmp/out" 2>&1
grep -qxF "qemu:  $qemu (QEMU emulator version 9.9.9)" "$tmp/out" ||
	fail "an answering QEMU: $(cat "$tmp/out")"
exit 0
