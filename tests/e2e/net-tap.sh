#!/bin/sh
# e2e-exclusive: a wall-clock bound on a TCG boot with DHCP attempts
# net_backend = tap, in a network namespace of this test's own (root only;
# nothing touches the host's interfaces): without a DHCP server the guest
# says so and the boot goes on (bounded); with ip=10.0.3.2::10.0.3.1:... the
# guest reaches a listener on the tap's host side, and the host side reaches
# a listener in the guest.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
PATH=$PATH:/sbin:/usr/sbin
[ "$(id -u)" -eq 0 ] || skip "tap needs root (a network namespace and a tap device)"
command -v ip >/dev/null || skip "no ip(8) (iproute2)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

ns=vmlaunch-e2e-tap-$$
trap 'cleanup; ip netns del "$ns" 2>/dev/null' EXIT
ip netns add "$ns" && ip -n "$ns" link set lo up &&
	ip -n "$ns" tuntap add dev vmtap0 mode tap &&
	ip -n "$ns" addr add 10.0.3.1/24 dev vmtap0 && ip -n "$ns" link set vmtap0 up ||
	fail "cannot set up the namespace $ns with a tap device"
nsx() { ip netns exec "$ns" "$@"; }
token=vmlaunch-tap-$$-$(date +%s%N)
cd "$top" || fail "cannot cd to $top"

# No DHCP server on the tap: a message, and the boot still ends.
start=$(date +%s)
nsx "$VMLAUNCH" test -o accel=tcg -o net=virtio -o net_backend=tap -o net_tap=vmtap0 \
	--timeout 60 --transcript "$tmp/nodhcp.log" images/busybox.conf >"$tmp/out" 2>&1 ||
	fail "no DHCP server: the boot did not end: $(cat "$tmp/out")"
secs=$(( $(date +%s) - start ))
grep -q 'vmlaunch: eth0: no DHCP answer' "$tmp/nodhcp.log" ||
	fail "no DHCP server, and no 'vmlaunch: eth0: no DHCP answer' on the console"
[ "$secs" -le 20 ] || fail "without a DHCP server the boot took $secs s"

# Static address over tap, both ways.
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$ns" "$VMLAUNCH" >"$tmp/vmlaunch-ns"
chmod +x "$tmp/vmlaunch-ns"
VMLAUNCH=$tmp/vmlaunch-ns start_vm -o net=e1000 -o net_backend=tap -o net_tap=vmtap0 \
	-o snapshot=yes -o append=ip=10.0.3.2::10.0.3.1:255.255.255.0 images/busybox.conf
console_wait 'vmlaunch: boot ok'
grep -q 'vmlaunch: eth0 10\.0\.3\.2/24 gw 10\.0\.3\.1' "$tmp/console.log" ||
	fail "no 'vmlaunch: eth0 10.0.3.2/24 gw 10.0.3.1' before the boot marker"
console_wait ':/# '

port=7000
nsx socat -u TCP-LISTEN:$port,bind=10.0.3.1,reuseaddr OPEN:"$tmp/got",creat >"$tmp/socat.err" 2>&1 &
until_ok 5 "the listener on 10.0.3.1:$port did not start" \
	sh -c "ip netns exec $ns cat /proc/net/tcp | grep -q ': 0103000A:1B58 '"
console_send "echo $token-out | nc 10.0.3.1 $port"
got_token() { grep -q -- "$token-out" "$tmp/got" 2>/dev/null; }
until_ok 20 "the guest's token did not reach 10.0.3.1:$port over tap" got_token

console_send "nc -l -p 7777 </dev/null & until netstat -ltn | grep -q ':7777 '; do usleep 50000; done; echo \"listening=\$((7000 + 777))\""
console_wait 'listening=7777' 20
printf '%s\n' "$token-in" | nsx socat -u - TCP:10.0.3.2:7777,connect-timeout=10 2>"$tmp/socat.err" ||
	fail "cannot connect to the guest's 10.0.3.2:7777: $(cat "$tmp/socat.err")"
console_wait "$token-in" 20
exit 0
