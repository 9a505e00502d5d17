#!/bin/sh
# No network card (net = none): the boot says nothing about a network.  A
# card with ip=off on the kernel command line: eth0 stays down, no message.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
cd "$top" || fail "cannot cd to $top"

"$VMLAUNCH" test -o accel=tcg -o net=none --ready ':/# ' \
	--send 'ls /sys/class/net; echo "n=$((1+1))"' --expect 'n=2' \
	--transcript "$tmp/none.log" images/busybox.conf >"$tmp/out" 2>&1 ||
	fail "net=none: vmlaunch test failed: $(cat "$tmp/out")"
grep -q 'vmlaunch: eth0\|DHCP' "$tmp/none.log" && fail "net=none: a network message: $(grep 'vmlaunch: eth0\|DHCP' "$tmp/none.log")"
grep -q '^eth0' "$tmp/none.log" && fail "net=none: the guest has an eth0"

"$VMLAUNCH" test -o accel=tcg -o net=virtio -o append=ip=off --ready ':/# ' \
	--send 'cat /sys/class/net/eth0/operstate' --expect '^down' \
	--transcript "$tmp/off.log" images/busybox.conf >"$tmp/out" 2>&1 ||
	fail "ip=off: eth0 is not down: $(cat "$tmp/out")"
grep -q 'vmlaunch: eth0\|DHCP' "$tmp/off.log" && fail "ip=off: a network message: $(grep 'vmlaunch: eth0\|DHCP' "$tmp/off.log")"
exit 0
