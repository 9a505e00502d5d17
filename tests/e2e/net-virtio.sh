#!/bin/sh
# net = virtio on QEMU's user networking (net-e1000.sh runs this with
# nic=e1000): the guest configures eth0 by DHCP before the boot marker
# (10.0.2.15/24, gateway 10.0.2.2); it reaches a TCP listener on the host's
# loopback through the gateway; and a host connection to a forwarded port
# (forward = tcp:HOSTPORT-7777) reaches a busybox `nc -l` in the guest.  A
# fresh token each way, so an old run's output cannot pass.
. "$(dirname "$0")/lib.sh"
nic=${nic:-virtio}
need_qemu
need_images

# A TCP port nobody listens on (loopback), from a pseudo-random start.
free_port() {
	p=$(( 20000 + ($$ * 7919 + ${1:-0} * 104729 + $(date +%N | sed 's/^0*//;s/^$/0/') / 1000) % 40000 ))
	while grep -q "^ *[0-9]*: [0-9A-F]*:$(printf '%04X' "$p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}
hostfwd=$(free_port 1)
token=vmlaunch-$nic-$$-$(date +%s%N)

start_vm -o net="$nic" -o forward="tcp:$hostfwd-7777" -o snapshot=yes "$top/images/busybox.conf"
console_wait 'vmlaunch: boot ok'
grep -q 'vmlaunch: eth0 10\.0\.2\.15/24 gw 10\.0\.2\.2' "$tmp/console.log" ||
	fail "no 'vmlaunch: eth0 10.0.2.15/24 gw 10.0.2.2' before the boot marker"
grep -q 'no DHCP answer' "$tmp/console.log" && fail "DHCP failed on user networking"
console_wait ':/# '   # (what is typed before the shell runs is lost)

# Guest -> host: a one-shot listener on the host's loopback; the guest
# connects to the gateway, which QEMU maps to 127.0.0.1.
port=$(free_port 2)
socat -u TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr OPEN:"$tmp/got",creat >"$tmp/socat.err" 2>&1 &
listener=$!
until_ok 5 "the host's listener on 127.0.0.1:$port did not start" \
	grep -q "^ *[0-9]*: 0100007F:$(printf '%04X' "$port") " /proc/net/tcp
console_send "echo $token-out | nc 10.0.2.2 $port; echo \"nc-status=\$?\""
got_token() { grep -q -- "$token-out" "$tmp/got" 2>/dev/null; }
fail_detail() { echo "; the host got: '$(cat "$tmp/got" 2>/dev/null)' $(cat "$tmp/socat.err")"; }
until_ok 20 "the guest's token did not reach the host's listener via 10.0.2.2:$port" got_token
console_wait 'nc-status=0' 10
wait "$listener" 2>/dev/null

# Host -> guest: a listener in the guest, then the forwarded host port.
fail_detail() { :; }
console_send "nc -l -p 7777 </dev/null & until netstat -ltn | grep -q ':7777 '; do usleep 50000; done; echo \"listening=\$((7000 + 777))\""
console_wait 'listening=7777' 20
printf '%s\n' "$token-in" | socat -u - TCP:127.0.0.1:"$hostfwd" 2>"$tmp/socat.err" ||
	fail "cannot connect to the forwarded port 127.0.0.1:$hostfwd: $(cat "$tmp/socat.err")"
console_wait "$token-in" 20
exit 0
