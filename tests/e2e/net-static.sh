#!/bin/sh
# The kernel command line's ip=CLIENT::GW:NETMASK:HOSTNAME:DEVICE:off:DNS
# (read by the guest's /etc/init.d/network: the kernel has no IP_PNP) sets a
# static address, route, host name and DNS server instead of DHCP, and the
# guest reaches the host through that gateway.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images

port=$(( 20000 + ($$ * 7919) % 40000 ))
while grep -q "^ *[0-9]*: [0-9A-F]*:$(printf '%04X' "$port") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
	port=$((port + 1))
done
token=vmlaunch-static-$$-$(date +%s%N)

start_vm -o net=virtio -o snapshot=yes \
	-o append=ip=10.0.2.16::10.0.2.2:255.255.255.0:nethost:eth0:off:10.0.2.3 \
	"$top/images/busybox.conf"
console_wait 'vmlaunch: boot ok'
grep -q 'vmlaunch: eth0 10\.0\.2\.16/24 gw 10\.0\.2\.2' "$tmp/console.log" ||
	fail "no 'vmlaunch: eth0 10.0.2.16/24 gw 10.0.2.2' before the boot marker"
console_wait 'nethost:/# '   # the host name from ip=, in the prompt
console_send 'cat /etc/resolv.conf; ip route; echo "done=$((1+1))"'
console_wait 'done=2' 20
grep -q '^nameserver 10\.0\.2\.3' "$tmp/console.log" || fail "no 'nameserver 10.0.2.3' in /etc/resolv.conf"
grep -q '^default via 10\.0\.2\.2 dev eth0' "$tmp/console.log" || fail "no default route via 10.0.2.2"

socat -u TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr OPEN:"$tmp/got",creat >"$tmp/socat.err" 2>&1 &
until_ok 5 "the host's listener on 127.0.0.1:$port did not start" \
	grep -q "^ *[0-9]*: 0100007F:$(printf '%04X' "$port") " /proc/net/tcp
console_send "echo $token | nc 10.0.2.2 $port"
got_token() { grep -q -- "$token" "$tmp/got" 2>/dev/null; }
until_ok 20 "the guest's token did not reach the host via the static gateway" got_token
exit 0
