#!/bin/sh
# run with debug_exit = yes stays QEMU's parent: a SIGTERM for vmlaunch goes
# on to QEMU, and vmlaunch exits 143 (not QEMU's clean 0, which would read
# as "the guest passed"); a closed stderr does not kill it (SIGPIPE).
. "$(dirname "$0")/lib.sh"
cat >"$tmp/qemu" <<STUB
#!/bin/sh
trap 'echo got-term >"$tmp/qemu-term"; exit 0' TERM
echo "qemu-system-x86_64: warning: a stub" >&2
echo started >"$tmp/qemu-started"
while :; do sleep 0.1; done
STUB
chmod +x "$tmp/qemu"
cat >"$tmp/vm.conf" <<CONF
kernel = $top/tests/golden/files/multiboot32.elf
accel = tcg
serial = none
debug_exit = yes
qemu = $tmp/qemu
CONF
"$VMLAUNCH" run "$tmp/vm.conf" 2>"$tmp/err" | cat &
vm_pid=$!
until_ok 10 "the stub QEMU did not start" test -e "$tmp/qemu-started"
pkill -TERM -f "^$VMLAUNCH run $tmp/vm.conf" || fail "no vmlaunch to signal"
wait_vm_exit 10
until_ok 5 "QEMU did not get the SIGTERM" test -e "$tmp/qemu-term"
grep -q 'stopped by signal 15' "$tmp/err" || fail "message: $(cat "$tmp/err")"

# Again, with vmlaunch's stderr a pipe that is closed at once.
rm -f "$tmp/qemu-started" "$tmp/qemu-term"
( "$VMLAUNCH" run "$tmp/vm.conf" 2>&1; echo "status=$?" >"$tmp/status" ) | true &
until_ok 10 "the stub QEMU did not start (2)" test -e "$tmp/qemu-started"
sleep 0.3
pkill -TERM -f "^$VMLAUNCH run $tmp/vm.conf"
until_ok 10 "vmlaunch did not finish" test -s "$tmp/status"
grep -qx 'status=143' "$tmp/status" || fail "with a closed stderr: $(cat "$tmp/status"), want status=143"
exit 0
