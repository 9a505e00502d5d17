#!/bin/sh
# e2e-timeout: 600
# The Debian image (images/debian.conf, scripts/build-debian-image), booted
# from its cache entry under TCG: root is logged in on the serial console
# (vmlaunch start --wait sees the marker its login shell prints, vmlaunch
# exec gets a shell), systemd reaches "running" (degraded fails, with the
# failed units), the NIC has 10.0.2.15 by DHCP, a share is mounted at
# /mnt/TAG, and ssh through a forward on a free port logs in as root with
# the image's key.  The disk is a snapshot: the cached image's bytes are
# the same afterwards.  Skipped when the image is not cached (make
# images-debian builds it); make check-debian sets DEBIAN_IMAGE_REQUIRED=1,
# and then that is a failure.
. "$(dirname "$0")/lib.sh"
need_qemu
command -v ssh >/dev/null || skip "ssh (openssh-client) is not installed"
command -v python3 >/dev/null || skip "python3 is needed to find a free port"
cd "$top" || fail "cannot cd to $top"
if ! cache=$(scripts/build-debian-image --cached 2>"$tmp/cached.err"); then
	[ "${DEBIAN_IMAGE_REQUIRED:-0}" = 1 ] &&
		fail "the Debian image is not cached ($cache): $(cat "$tmp/cached.err")"
	skip "Debian image not cached: run make images-debian"
fi
image=$cache/debian.qcow2
key=$cache/test_ed25519
userkey=$(sed -n 's/^ssh key //p' "$cache/build-info")
[ -r "$key" ] || fail "no test key $key in the cache entry"

XDG_RUNTIME_DIR=$tmp/run
export XDG_RUNTIME_DIR
mkdir -m 700 "$XDG_RUNTIME_DIR" || fail "cannot create $XDG_RUNTIME_DIR"
vm=debian-test-$$
# Only this test's VM is stopped: a user's own Debian VM has the same image
# as its backing file.
debian_cleanup() {
	"$VMLAUNCH" stop --force "$vm" >/dev/null 2>&1
	for p in $(pgrep -f -- "-name $vm "); do kill -9 "$p" 2>/dev/null; done
}
trap 'debian_cleanup; cleanup' EXIT

word=debian-share-$$-$(date +%s)
mkdir "$tmp/share" || fail "cannot create $tmp/share"
printf '%s\n' "$word" >"$tmp/share/hello.txt"
before=$(sha256sum <"$image")

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
t0=$(date +%s)
# A port taken between free_port and QEMU's bind is status 69: try another.
for attempt in 1 2 3; do
	port=$(free_port) || fail "no free port"
	"$VMLAUNCH" start --wait --timeout 300 -o accel=tcg -o snapshot=yes -o name="$vm" \
		-o kernel="$cache/vmlinuz" -o initrd="$cache/initrd.img" \
		-o rootfs="$image format=qcow2" -o forward="tcp:$port-22" \
		-o share="$tmp/share tag=vmtest" images/debian.conf >"$tmp/start.out" 2>"$tmp/start.err"
	status=$?
	[ "$status" -eq 69 ] && grep -q 'already in use' "$tmp/start.err" && continue
	break
done
[ "$status" -eq 0 ] || fail "start: status $status: $(cat "$tmp/start.out" "$tmp/start.err")"
boot=$(( $(date +%s) - t0 ))
echo "booted to the root shell in $boot s (TCG)"
grep -q 'login: root (automatic login)' "$XDG_RUNTIME_DIR/vmlaunch/$vm/serial.sock.log" ||
	fail "no autologin of root on the console: $(tail -n 5 "$XDG_RUNTIME_DIR/vmlaunch/$vm/serial.sock.log")"

# gx COMMAND: vmlaunch exec in the guest, output in $tmp/gx, status in $gx.
gx() {
	"$VMLAUNCH" exec --timeout "${2:-120}" "$vm" -- "$1" >"$tmp/gx" 2>"$tmp/gx.err"
	gx=$?
}
gx 'systemctl is-system-running --wait' 240
state=$(tr -d '\r' <"$tmp/gx" | tail -n 1) st=$gx
if [ "$state" != running ]; then
	gx 'export SYSTEMD_COLORS=0; systemctl --failed --no-pager --plain; journalctl -b -p err --no-pager | tail -n 20'
	fail "systemctl is-system-running: '$state' (status $st), not running: $(cat "$tmp/gx" "$tmp/gx.err")"
fi
gx 'id -un; hostname'
[ "$gx" -eq 0 ] && [ "$(tr '\n' ' ' <"$tmp/gx")" = "root debian " ] ||
	fail "the console's shell is not root's on debian: $(cat "$tmp/gx" "$tmp/gx.err")"

# DHCP: the address QEMU's user network leases, marked dynamic (a lease).
gx 'ip -4 -o addr show scope global'
grep -Eq 'inet 10\.0\.2\.15/24 .*dynamic' "$tmp/gx" ||
	fail "no DHCP lease of 10.0.2.15: $(cat "$tmp/gx" "$tmp/gx.err")"

gx 'findmnt -n -o FSTYPE /mnt/vmtest; cat /mnt/vmtest/hello.txt'
[ "$gx" -eq 0 ] && [ "$(tr '\n' ' ' <"$tmp/gx")" = "9p $word " ] ||
	fail "the share is not mounted at /mnt/vmtest: $(cat "$tmp/gx" "$tmp/gx.err")"

# The user's key is authorized too (the test logs in with the build's own).
if [ -n "$userkey" ] && [ -r "$userkey" ]; then
	gx 'cat /root/.ssh/authorized_keys'
	grep -qxF "$(head -n 1 "$userkey")" "$tmp/gx" ||
		fail "the user's key $userkey is not in root's authorized_keys: $(cat "$tmp/gx")"
fi

ssh -p "$port" -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=60 \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
	root@127.0.0.1 'echo "ssh=$(id -un)-$((40+2))"' >"$tmp/ssh.out" 2>"$tmp/ssh.err" ||
	fail "ssh -p $port root@127.0.0.1: status $?: $(cat "$tmp/ssh.out" "$tmp/ssh.err")"
[ "$(cat "$tmp/ssh.out")" = ssh=root-42 ] || fail "ssh printed '$(cat "$tmp/ssh.out")'"
# Keys only: a password is never asked for (it would be with BatchMode off).
ssh -p "$port" -o PubkeyAuthentication=no -o BatchMode=yes -o ConnectTimeout=60 \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	root@127.0.0.1 true >"$tmp/ssh.out" 2>"$tmp/ssh.err" &&
	fail "ssh without a key logged in"
grep -q 'Permission denied (publickey)' "$tmp/ssh.err" ||
	fail "sshd offers more than keys: $(cat "$tmp/ssh.err")"

"$VMLAUNCH" stop --timeout 60 "$vm" >"$tmp/stop.out" 2>&1 || fail "stop: $(cat "$tmp/stop.out")"
no_vm_qemu() { ! pgrep -f -- "-name $vm " >/dev/null; }
until_ok 20 "a QEMU of $vm is left" no_vm_qemu
[ "$(sha256sum <"$image")" = "$before" ] || fail "the cached image $image changed"
echo "ok: the Debian image in $(( $(date +%s) - t0 )) s (boot $boot s)"
