#!/bin/sh
# vmlaunch test whose stdout is closed (| true): SIGPIPE does not kill it
# half-way, so it still stops QEMU and removes its run directory.
. "$(dirname "$0")/lib.sh"
smoke_setup
{ "$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --timeout 60 images/busybox.conf 2>"$tmp/err"
  echo $? >"$tmp/status"; } | true
status=$(cat "$tmp/status")
[ "$status" -ne 141 ] || fail "vmlaunch test died of SIGPIPE"
[ -z "$(ls -A "$TMPDIR")" ] || fail "a run directory was left: $(ls -A "$TMPDIR")"
pgrep -f "filename=$rootfs," >/dev/null && fail "a QEMU was left running"
exit 0
