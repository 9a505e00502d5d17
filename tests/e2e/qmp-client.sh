#!/bin/sh
# The QMP client (src/qmp.c, through build/qmp-probe) against a real QEMU
# under TCG: a stopped VM's status, cont, query-chardev, QEMU's own errors,
# system_powerdown with no guest to act on it (no SHUTDOWN: a timeout, the
# POWERDOWN event kept in the queue), a second client while one holds the
# monitor (no greeting: a timeout), quit (SHUTDOWN, then the socket closes);
# and fake servers: silent, garbage, closing at once.
# e2e-timeout: 120
. "$(dirname "$0")/lib.sh"
need_qemu
probe=$top/build/qmp-probe
[ -x "$probe" ] || fail "$probe is not built (make build/qmp-probe)"

# has FILE STEP TEXT: the line of STEP in FILE contains TEXT.
has() {
	grep -F -- "$2: " "$1" | grep -qF -- "$3" ||
		fail "for $2, want '$3'; got: $(grep -F -- "$2: " "$1" || cat "$1")"
}

wait_socket() {
	i=0
	while [ ! -S "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "no socket $1 after 10 s"
		sleep 0.1
	done
}

sock=$tmp/qmp.sock
qemu-system-x86_64 -accel tcg -nodefaults -display none -m 64 -S \
	-qmp "unix:$sock,server=on,wait=off" >"$tmp/qemu.log" 2>&1 &
vm_pid=$!
wait_socket "$sock"

# One client holds the monitor; another gets no greeting, and says so in time.
"$probe" "$sock" 5000 @NEVER:1500 >"$tmp/first" &
first=$!
sleep 0.5
start=$(date +%s)
"$probe" "$sock" 500 query-status >"$tmp/second"
[ $(( $(date +%s) - start )) -le 3 ] || fail "the second client took more than 3 s"
has "$tmp/second" open "timeout $sock: no QMP greeting within 500 ms"
wait $first
has "$tmp/first" open "ok {\"version\":{\"qemu\":"
has "$tmp/first" @NEVER:1500 "timeout QMP: no NEVER event within 1500 ms"

"$probe" "$sock" 5000 query-status cont query-status query-chardev nope \
	'query-status{"x": 1}' system_powerdown @SHUTDOWN:1000 @POWERDOWN:0 \
	quit @SHUTDOWN @SHUTDOWN query-status >"$tmp/out"
has "$tmp/out" query-status '"status":"prelaunch"'
has "$tmp/out" query-status '"running":false'
has "$tmp/out" cont "ok {}"
[ "$(grep -c '^query-status: ok .*"status":"running".*"running":true' "$tmp/out")" -eq 1 ] ||
	fail "no running status after cont: $(cat "$tmp/out")"
has "$tmp/out" query-chardev "\"filename\":\"unix:$sock,server=on\""
has "$tmp/out" nope "cmd-error CommandNotFound: The command nope has not been found"
has "$tmp/out" 'query-status{"x": 1}' "cmd-error GenericError: Parameter 'x' is unexpected"
has "$tmp/out" system_powerdown "ok {}"
has "$tmp/out" @SHUTDOWN:1000 "timeout QMP: no SHUTDOWN event within 1000 ms"
has "$tmp/out" @POWERDOWN:0 "ok {\"timestamp\":"
has "$tmp/out" quit "ok {}"
has "$tmp/out" @SHUTDOWN '"reason":"host-qmp-quit"'
has "$tmp/out" @SHUTDOWN "closed QMP: QEMU closed the QMP socket (no SHUTDOWN event)"
[ "$(tail -n 1 "$tmp/out")" = "query-status: closed QMP: QEMU closed the QMP socket" ] ||
	fail "a command after quit: $(tail -n 1 "$tmp/out")"
i=0
while kill -0 "$vm_pid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 50 ] && fail "QEMU still runs 5 s after quit"
	sleep 0.1
done
vm_pid=

# Fake servers.
socat UNIX-LISTEN:"$tmp/silent.sock" EXEC:"sleep 10" 2>/dev/null &
fake=$!
wait_socket "$tmp/silent.sock"
"$probe" "$tmp/silent.sock" 300 query-status >"$tmp/silent"
kill $fake 2>/dev/null
has "$tmp/silent" open "timeout $tmp/silent.sock: no QMP greeting within 300 ms"

printf 'SSH-2.0-OpenSSH_9.2\r\n' >"$tmp/garbage.txt"
socat UNIX-LISTEN:"$tmp/garbage.sock" EXEC:"cat $tmp/garbage.txt" 2>/dev/null &
fake=$!
wait_socket "$tmp/garbage.sock"
"$probe" "$tmp/garbage.sock" 2000 query-status >"$tmp/garbage"
kill $fake 2>/dev/null
has "$tmp/garbage" open "failed QMP: QEMU sent a message that is not JSON: at byte 0"

socat UNIX-LISTEN:"$tmp/close.sock" EXEC:true 2>/dev/null &
fake=$!
wait_socket "$tmp/close.sock"
"$probe" "$tmp/close.sock" 2000 query-status >"$tmp/close"
kill $fake 2>/dev/null
has "$tmp/close" open "closed $tmp/close.sock: the QMP socket closed before its greeting"
exit 0
