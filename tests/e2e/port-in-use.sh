#!/bin/sh
# A host port that is taken stops vmlaunch before QEMU starts, with status
# 69 and a message naming the port: a forward (tcp and udp) and the gdb
# stub.  QEMU is a stub that records whether it ran.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || skip "socat is not installed"
command -v ss >/dev/null || skip "ss (iproute2) is not installed"

# A port nobody listens on, tcp and udp alike.
port=$((40000 + $$ % 20000))
while ss -Htuln "sport = :$port" | grep -q .; do port=$((port + 1)); done

socat -u TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork /dev/null 2>/dev/null &
tcp_pid=$!
socat -u UDP-RECV:$port,bind=127.0.0.1 /dev/null 2>/dev/null &
udp_pid=$!
trap 'kill "$tcp_pid" "$udp_pid" 2>/dev/null; cleanup' EXIT
i=0
until ss -Htln "sport = :$port" | grep -q . && ss -Huln "sport = :$port" | grep -q .; do
	i=$((i + 1)); [ "$i" -gt 50 ] && fail "socat did not start listening on $port"
	sleep 0.1
done

cat >"$tmp/vm.conf" <<CONF
kernel = $top/tests/golden/files/bzImage
accel = tcg
serial = none
qemu = $tmp/qemu
CONF
printf '#!/bin/sh\ntouch %s/qemu-ran\n' "$tmp" >"$tmp/qemu"
chmod +x "$tmp/qemu"

expect_busy() {   # expect_busy WHAT MESSAGE -o KEY=VALUE...
	what=$1 msg=$2
	shift 2
	"$VMLAUNCH" run "$@" "$tmp/vm.conf" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -eq 69 ] || fail "$what: exit $status, want 69: $(cat "$tmp/err")"
	grep -qF -- "$msg" "$tmp/err" || fail "$what: message: $(cat "$tmp/err"), want: $msg"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$what: more than one line: $(cat "$tmp/err")"
	[ ! -e "$tmp/qemu-ran" ] || fail "$what: QEMU was started"
}
expect_busy forward "vmlaunch: -o forward=tcp:$port-80: forward tcp:127.0.0.1:$port-80: host port 127.0.0.1:$port is already in use" \
	-o net=virtio -o forward=tcp:$port-80
expect_busy forward-udp "host port 127.0.0.1:$port/udp is already in use" \
	-o net=e1000 -o forward="tcp:$((port + 1))-1 udp:$port-53"
expect_busy gdb "gdb 127.0.0.1:$port: host port 127.0.0.1:$port is already in use" -o gdb=$port

# The same configs start QEMU once the ports are free.
kill "$tcp_pid" "$udp_pid" 2>/dev/null
wait "$tcp_pid" "$udp_pid" 2>/dev/null
"$VMLAUNCH" run -o net=virtio -o forward="tcp:$port-80 udp:$port-53" "$tmp/vm.conf" \
	2>"$tmp/err" || fail "free ports: exit $?: $(cat "$tmp/err")"
[ -e "$tmp/qemu-ran" ] || fail "free ports: QEMU did not start"
rm -f "$tmp/qemu-ran"
"$VMLAUNCH" run -o gdb=$port "$tmp/vm.conf" 2>"$tmp/err" || fail "free gdb port: exit $?: $(cat "$tmp/err")"
[ -e "$tmp/qemu-ran" ] || fail "free gdb port: QEMU did not start"
exit 0
