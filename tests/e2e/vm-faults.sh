#!/bin/sh
# Started VMs when things go wrong: bad names, a second start, a QEMU killed
# with -9, a QEMU that exits at once, an unsafe runtime directory, exec with
# the console attached and at its timeout, SIGTERM to start --wait, and four
# instances of one config at once.  Nothing is ever left running.
. "$(dirname "$0")/lib.sh"
vm_setup
command -v socat >/dev/null || skip "socat is not installed"
conf=images/busybox.conf

"$VMLAUNCH" status nosuchvm >"$tmp/out" 2>"$tmp/err"
[ $? -eq 68 ] || fail "status of an unknown VM: not 68: $(cat "$tmp/err")"
grep -q "no VM named 'nosuchvm'" "$tmp/err" || fail "unknown VM message: $(cat "$tmp/err")"
for bad in a/b .. ../x; do
	"$VMLAUNCH" stop "$bad" >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 64 ] || fail "stop '$bad': not 64: $(cat "$tmp/err")"
done

# A QEMU that exits at once: its status and message, nothing left.
"$VMLAUNCH" start -o accel=tcg -o rootfs="$rootfs" -o qemu=/bin/false $conf >"$tmp/out" 2>"$tmp/err"
[ $? -eq 69 ] || fail "start with a failing QEMU: not 69: $(cat "$tmp/out" "$tmp/err")"
grep -q "QEMU exited with status 1 at once" "$tmp/err" || fail "no word of QEMU's status: $(cat "$tmp/err")"
[ -z "$(ls -A "$XDG_RUNTIME_DIR/vmlaunch")" ] || fail "a failed start left $(ls -A "$XDG_RUNTIME_DIR/vmlaunch")"

vm_start one
"$VMLAUNCH" start -o accel=tcg -o rootfs="$rootfs" -o name=one -o snapshot=yes $conf >"$tmp/out" 2>"$tmp/err"
[ $? -eq 69 ] || fail "a second start of 'one': not 69: $(cat "$tmp/err")"
grep -q "a VM named 'one' is running" "$tmp/err" || fail "second start message: $(cat "$tmp/err")"

# The console attached elsewhere: exec refuses instead of mixing.
sock=$(sed -n 's/^console=//p' "$XDG_RUNTIME_DIR/vmlaunch/one/state")
sleep 30 | socat - UNIX-CONNECT:"$sock" >/dev/null 2>&1 &
attached=$!
until_ok 10 "the console did not become attached" sh -c \
	"'$VMLAUNCH' exec one -- true 2>&1 | grep -q 'is in use'"
"$VMLAUNCH" exec one -- true >"$tmp/out" 2>"$tmp/err"
[ $? -eq 69 ] || fail "exec with the console attached: not 69: $(cat "$tmp/err")"
kill $attached 2>/dev/null
pkill -f "UNIX-CONNECT:$sock" 2>/dev/null
until_ok 10 "the console was not free again" "$VMLAUNCH" exec one -- true

# A paused VM: list says so, exec refuses instead of waiting out its timeout.
printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"stop"}' |
	timeout 5 socat - UNIX-CONNECT:"$XDG_RUNTIME_DIR/vmlaunch/one/qmp.sock" >/dev/null
"$VMLAUNCH" list | grep -q '^one  *paused' || fail "list does not show 'one' paused: $("$VMLAUNCH" list)"
"$VMLAUNCH" exec one -- true >"$tmp/out" 2>"$tmp/err"
[ $? -eq 69 ] && grep -q 'one is paused, not running' "$tmp/err" || fail "exec on a paused VM: $(cat "$tmp/err")"
printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"cont"}' |
	timeout 5 socat - UNIX-CONNECT:"$XDG_RUNTIME_DIR/vmlaunch/one/qmp.sock" >/dev/null
until_ok 10 "'one' did not run again" "$VMLAUNCH" exec one -- true

# exec's timeout: 124 and the output so far.
"$VMLAUNCH" exec --timeout 3 one -- 'echo before; sleep 20' >"$tmp/out" 2>"$tmp/err"
[ $? -eq 124 ] || fail "exec timeout: not 124: $(cat "$tmp/out" "$tmp/err")"
grep -qx before "$tmp/out" || fail "exec timeout: not the output so far: $(cat "$tmp/out")"

# QEMU killed with -9: stop says so and cleans up (status 0) ...
pid=$(sed 's/ .*//' "$XDG_RUNTIME_DIR/vmlaunch/one/pid")
kill -9 "$pid"
until_ok 10 "QEMU $pid did not die" sh -c "! kill -0 $pid 2>/dev/null"
until_ok 10 "the supervisor of 'one' did not notice" test -e "$XDG_RUNTIME_DIR/vmlaunch/one/exit"
"$VMLAUNCH" stop one >"$tmp/out" 2>"$tmp/err" || fail "stop of a killed VM: $(cat "$tmp/err")"
grep -q '^one had already killed by signal 9' "$tmp/out" || fail "stop of a killed VM: $(cat "$tmp/out")"
[ ! -e "$XDG_RUNTIME_DIR/vmlaunch/one" ] || fail "stop did not clean up the dead VM"
"$VMLAUNCH" stop one >"$tmp/out" 2>"$tmp/err"
[ $? -eq 68 ] || fail "stop of a cleaned-up VM: not 68: $(cat "$tmp/err")"
# ... and so does list, for a VM killed the same way.
vm_start one
pid=$(sed 's/ .*//' "$XDG_RUNTIME_DIR/vmlaunch/one/pid")
kill -9 "$pid"
until_ok 10 "list does not show 'one' killed" sh -c \
	"'$VMLAUNCH' list | grep -q '^one .*exited.*killed by signal 9'"
[ ! -e "$XDG_RUNTIME_DIR/vmlaunch/one" ] || fail "list did not clean up the dead VM"
# A crash's leftovers (a free lock, a stale socket) do not stop a new start.
mkdir -m 700 "$XDG_RUNTIME_DIR/vmlaunch/one"
: >"$XDG_RUNTIME_DIR/vmlaunch/one/lock"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
	"$XDG_RUNTIME_DIR/vmlaunch/one/qmp.sock" 2>/dev/null
vm_start one
"$VMLAUNCH" stop --force one >/dev/null || fail "stop --force one"

# SIGTERM to start --wait: the VM is stopped, nothing left.
"$VMLAUNCH" start --wait -o accel=tcg -o rootfs="$rootfs" -o name=two -o snapshot=yes $conf \
	>"$tmp/out" 2>"$tmp/err" &
st=$!
until_ok 20 "start two did not get going" test -S "$XDG_RUNTIME_DIR/vmlaunch/two/qmp.sock"
kill -TERM $st
wait $st
status=$?
[ $status -eq 143 ] || fail "SIGTERM to start --wait: status $status: $(cat "$tmp/err")"
until_ok 10 "a QEMU is left after SIGTERM to start --wait" no_qemu_left
[ ! -e "$XDG_RUNTIME_DIR/vmlaunch/two" ] || fail "start --wait left its runtime files"

# A signal right after start --wait began: nothing is left running.
for delay in 0.05 0.3; do
	"$VMLAUNCH" start --wait -o accel=tcg -o rootfs="$rootfs" -o name=early -o snapshot=yes $conf \
		>"$tmp/out" 2>"$tmp/err" &
	st=$!
	sleep $delay
	kill -TERM $st
	wait $st
	status=$?
	[ $status -eq 143 ] || fail "SIGTERM $delay s into start --wait: status $status: $(cat "$tmp/err")"
	until_ok 10 "a QEMU is left after SIGTERM $delay s into start --wait" no_qemu_left
	[ ! -e "$XDG_RUNTIME_DIR/vmlaunch/early" ] || fail "SIGTERM $delay s into start: files left"
done

# Four starts of one name at once: one VM, three refusals, nothing orphaned.
for n in a b c d; do
	"$VMLAUNCH" start -o accel=tcg -o rootfs="$rootfs" -o name=race -o snapshot=yes $conf \
		>"$tmp/race-$n" 2>&1 &
done
wait
[ "$(cat "$tmp"/race-* | grep -cx race)" -eq 1 ] || fail "racing starts: $(cat "$tmp"/race-*)"
[ "$(cat "$tmp"/race-* | grep -c "a VM named 'race' is running")" -eq 3 ] || fail "racing starts: $(cat "$tmp"/race-*)"
"$VMLAUNCH" stop --force race >/dev/null || fail "stop race"
until_ok 10 "racing starts left a QEMU" no_qemu_left

# Four instances of one config at once, each reachable, each stopped.
for n in a b c d; do
	"$VMLAUNCH" start --wait --timeout 120 -o accel=tcg -o rootfs="$rootfs" -o name=vm-$n \
		-o snapshot=yes $conf >"$tmp/start-$n.out" 2>&1 &
done
wait
for n in a b c d; do
	[ "$(cat "$tmp/start-$n.out")" = "vm-$n" ] || fail "start vm-$n: $(cat "$tmp/start-$n.out")"
	[ "$("$VMLAUNCH" exec vm-$n -- hostname)" = vmlaunch ] || fail "exec in vm-$n"
done
[ "$("$VMLAUNCH" list | grep -c running)" -eq 4 ] || fail "list: $("$VMLAUNCH" list)"
"$VMLAUNCH" stop --all >"$tmp/out" 2>&1 || fail "stop --all: $(cat "$tmp/out")"
until_ok 10 "a QEMU is left after stop --all" no_qemu_left
[ -z "$(ls -A "$XDG_RUNTIME_DIR/vmlaunch")" ] || fail "stop --all left $(ls -A "$XDG_RUNTIME_DIR/vmlaunch")"
exit 0
