#!/bin/sh
# vmlaunch test killed with SIGKILL while a guest runs (and has written its
# disk): QEMU dies with it (PR_SET_PDEATHSIG), and the base image is
# unchanged (the overlay was never a file of its own).
. "$(dirname "$0")/lib.sh"
smoke_setup
command -v pgrep >/dev/null || skip "pgrep is not installed"
# Whatever happens, no QEMU of ours (its command line names our disk) outlives the test.
trap 'for p in $(pgrep -f "filename=$rootfs,"); do kill -9 "$p"; done; cleanup' EXIT

"$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --timeout 60 --transcript "$tmp/transcript" \
	--send 'echo x >/root/f && sync && echo "synced=$((1+1))"' --expect 'never-printed' \
	images/busybox.conf >"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
wait_qemu
wait_run_log 'synced=2'
kill -9 "$vm_pid"
wait "$vm_pid" 2>/dev/null
vm_pid=
# QEMU is not vmlaunch's to reap any more: a zombie counts as gone.
for p in $qemu; do
	i=0
	while st=$(ps -o stat= -p "$p") && [ "${st#Z}" = "$st" ]; do
		i=$((i + 1))
		if [ "$i" -gt 50 ]; then
			kill -9 "$p"
			fail "QEMU $p still runs 5 s after vmlaunch was killed"
		fi
		sleep 0.1
	done
done
[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the guest's write reached the base image"
exit 0
