#!/bin/sh
# cpus = N gives the default VM N CPUs: with cpus = 2 the guest (the default
# kernel, built with CONFIG_SMP) lists two processors in /proc/cpuinfo,
# nproc says 2 and both are online, on pc and on q35 (their ACPI tables name
# the CPUs).  microvm, which vmlaunch runs without ACPI, still refuses
# cpus > 1 at validation.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images

for machine in pc q35; do
	start_vm -o cpus=2 -o machine=$machine -o snapshot=yes "$top/images/busybox.conf"
	console_wait 'vmlaunch: boot ok'
	console_wait ':/# '   # (what is typed before the shell runs is lost)
	console_send 'echo "cpus=$(grep -c ^processor /proc/cpuinfo) nproc=$(nproc) online=$(cat /sys/devices/system/cpu/online)"'
	console_wait 'cpus=[0-9]+ nproc=' 30
	grep -q 'cpus=2 nproc=2 online=0-1' "$tmp/console.log" ||
		fail "$machine, cpus = 2: $(grep 'cpus=[0-9]' "$tmp/console.log")"
	console_send 'poweroff'
	wait_vm_exit 60
	[ "$vm_status" -eq 0 ] || fail "$machine: vmlaunch exited $vm_status after poweroff"
	exec 3>&-
	kill "$console_pid" 2>/dev/null
	wait "$console_pid" 2>/dev/null
	console_pid=
done

"$VMLAUNCH" check -o accel=tcg -o cpus=2 "$top/images/mini.conf" >"$tmp/out" 2>&1
status=$?
[ "$status" -eq 65 ] || fail "microvm with cpus = 2: check exited $status, want 65: $(cat "$tmp/out")"
grep -q 'cpus 2 with machine = microvm: vmlaunch runs microvm without ACPI' "$tmp/out" ||
	fail "microvm with cpus = 2: $(cat "$tmp/out")"
exit 0
