#!/bin/sh
# A real Unikraft unikernel with lwIP (app-httpreply; ../shared/fixtures/
# unikraft/, see its README) boots from images/unikraft-httpreply.conf under
# TCG with net = virtio, takes its address by DHCP from QEMU's user
# networking, and answers an HTTP GET from the host, through a forward to
# its port 8123, with 200; stopping vmlaunch with SIGTERM ends it (143).
. "$(dirname "$0")/lib.sh"
[ -d "$top/../shared/fixtures/unikraft" ] ||
	skip "no ../shared/fixtures/unikraft (third-party Unikraft images, not in this repository)"
need_qemu
command -v curl >/dev/null || skip "curl is not installed"

# A TCP port nobody listens on (loopback), from a pseudo-random start.
port=$(( 20000 + ($$ * 7919 + $(date +%N | sed 's/^0*//;s/^$/0/') / 1000) % 40000 ))
while grep -q "^ *[0-9]*: [0-9A-F]*:$(printf '%04X' "$port") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
	port=$((port + 1))
done

"$VMLAUNCH" run -o accel=tcg -o forward="tcp:127.0.0.1:$port-8123" \
	"$top/images/unikraft-httpreply.conf" </dev/null >"$tmp/console.log" 2>"$tmp/vm.err" &
vm_pid=$!
console_wait 'en1: Set IPv4 address 10\.0\.2\.15' 60
console_wait 'Listening on port 8123' 60

code=$(curl -s -o "$tmp/page" -w '%{http_code}' --max-time 20 "http://127.0.0.1:$port/") ||
	fail "curl http://127.0.0.1:$port/ failed (exit $?): $(cat "$tmp/vm.err")"
[ "$code" = 200 ] || fail "GET / answered $code, want 200: $(cat "$tmp/page")"
grep -qi '<html' "$tmp/page" || fail "GET / gave no HTML page: $(cat "$tmp/page")"
console_wait 'Sent a reply' 10

kill -TERM "$vm_pid"
wait_vm_exit 20
[ "$vm_status" -eq 143 ] || fail "after SIGTERM: vmlaunch exit $vm_status, want 143: $(cat "$tmp/vm.err")"
exit 0
