#!/bin/sh
# `vmlaunch test -j 4` of four runs of the default image, stopped by SIGTERM.
# 50 ms after it started (before any VM could start): no VM is started
# after the signal, and vmlaunch is gone within 3 s with status 143 (or
# died by the signal, if it came before the configs were read).  Once all
# four QEMUs run: all four are stopped at once (their grace periods overlap),
# so vmlaunch is gone within 3 s, each run reported as stopped by signal 15.
# No QEMU and nothing in TMPDIR are left either way.
. "$(dirname "$0")/lib.sh"
smoke_setup
command -v pgrep >/dev/null || skip "pgrep is not installed"
# Whatever happens, no QEMU of ours (its command line names our disk) outlives the test.
trap 'for p in $(pgrep -f "filename=$rootfs,"); do kill -9 "$p"; done; cleanup' EXIT
conf=images/busybox.conf

start4() {
	"$VMLAUNCH" test -j 4 -o accel=tcg -o rootfs="$rootfs" --timeout 60 --expect never-printed \
		"$conf" "$conf" "$conf" "$conf" >"$tmp/out" 2>"$tmp/err" &
	vm_pid=$!
}

# stopped WHAT: after SIGTERM, vmlaunch ends within 3 s with status 143,
# and leaves no QEMU and nothing in TMPDIR.
stopped() {
	i=0
	while vm_alive; do
		i=$((i + 1))
		[ "$i" -gt 30 ] && fail "$1: vmlaunch still runs 3 s after SIGTERM: $(cat "$tmp/out" "$tmp/err")"
		sleep 0.1
	done
	wait "$vm_pid"
	status=$?
	vm_pid=
	# 143 is also what the shell says of a death by SIGTERM.
	[ "$status" -eq 143 ] || fail "$1: status $status, want 143: $(cat "$tmp/out" "$tmp/err")"
	left=$(pgrep -f "filename=$rootfs,") && fail "$1: QEMU still running: $left"
	[ -z "$(left_in_tmpdir)" ] || fail "$1: left behind in TMPDIR: $(left_in_tmpdir)"
}

# SIGTERM before any VM started.
start4
sleep 0.05
kill -TERM "$vm_pid"
stopped "early SIGTERM"
if [ -s "$tmp/err" ]; then
	grep -q 'stopped by signal 15' "$tmp/err" || fail "early SIGTERM: $(cat "$tmp/err")"
fi
grep -q '^PASS' "$tmp/out" && fail "early SIGTERM: a run passed: $(cat "$tmp/out")"

# SIGTERM once all four QEMUs run.
start4
i=0
until [ "$(pgrep -f "filename=$rootfs," | wc -l)" -eq 4 ]; do
	vm_alive || fail "vmlaunch exited before four QEMUs were seen: $(cat "$tmp/out" "$tmp/err")"
	i=$((i + 1))
	[ "$i" -gt 300 ] && fail "not four QEMUs on $rootfs after 30 s: $(pgrep -af "filename=$rootfs,")"
	sleep 0.1
done
sleep 0.5   # until vmlaunch has their consoles
kill -TERM "$vm_pid"
stopped "SIGTERM with four VMs"
n=$(grep -c '^FAIL .*stopped by signal 15' "$tmp/out")
[ "$n" -eq 4 ] || fail "$n of 4 runs reported as stopped by signal 15: $(cat "$tmp/out")"
grep -q 'stopped by signal 15' "$tmp/err" || fail "no word of the signal: $(cat "$tmp/err")"
[ "$(sha256sum <"$rootfs")" = "$base" ] || fail "the base image was changed"
exit 0
