#!/bin/sh
# vmlaunch console with a real guest (TCG), from a pipe: a command's answer
# comes back and the console ends when the guest goes quiet; the CONFIG
# argument finds the socket; connect_to_socket.sh does the same; --timeout
# ends an open session with 124; "poweroff" closes the connection: "connection
# closed by the VM", 0, and QEMU exits 0.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
need_images

sock=$tmp/serial.sock
copy_rootfs "$tmp/rootfs.ext4"
"$VMLAUNCH" run -o accel=tcg -o serial="$sock" -o rootfs="$tmp/rootfs.ext4" \
	"$top/images/busybox.conf" >"$tmp/vm.out" 2>"$tmp/vm.err" &
vm_pid=$!
i=0
until [ -S "$sock" ]; do
	kill -0 "$vm_pid" 2>/dev/null || fail "vmlaunch run exited early: $(cat "$tmp/vm.err")"
	i=$((i + 1))
	[ $i -gt 200 ] && fail "no serial socket after 20 s"
	sleep 0.1
done

# ask CMD PATTERN [ARGS...]: pipe CMD into "vmlaunch console ARGS" (default:
# the socket) and expect PATTERN in what it printed and status 0.
ask() {
	cmd=$1 pattern=$2
	shift 2
	[ $# -eq 0 ] && set -- "$sock"
	printf '%s\n' "$cmd" | "$VMLAUNCH" console --timeout 30 "$@" >"$tmp/console.log" 2>"$tmp/err"
	status=$?
	[ $status -eq 0 ] || fail "console $*: status $status: $(cat "$tmp/err")"
	grep -q -- "$pattern" "$tmp/console.log" || fail "console $*: no '$pattern' in the answer to '$cmd'"
}

wait_guest_shell "$sock"

ask 'echo "x=$((6*7))"' '^x=42'
[ -s "$tmp/err" ] && fail "pipe mode wrote to stderr: $(cat "$tmp/err")"

printf 'kernel = %s\nserial = serial.sock\n' "$top/images/out/bzImage" >"$tmp/vm.conf"
(cd / && ask 'echo "c=$((5*5))"' '^c=25' "$tmp/vm.conf") || exit 1

mkdir -p "$tmp/kit/scripts"
cp "$top/scripts/connect_to_socket.sh" "$tmp/kit/scripts/"
ln -s "$VMLAUNCH" "$tmp/kit/vmlaunch"
printf 'echo "s=$((3*3))"\n' | "$tmp/kit/scripts/connect_to_socket.sh" --timeout 30 "$sock" \
	>"$tmp/console.log" 2>"$tmp/err" || fail "connect_to_socket.sh: $(cat "$tmp/err")"
grep -q '^s=9' "$tmp/console.log" || fail "connect_to_socket.sh: no answer"

# An input that stays open: only --timeout ends it.
mkfifo "$tmp/in"
exec 4<>"$tmp/in"
"$VMLAUNCH" console --timeout 2 "$sock" <"$tmp/in" >"$tmp/console.log" 2>"$tmp/err"
status=$?
exec 4>&-
[ $status -eq 124 ] || fail "--timeout 2: status $status, want 124: $(cat "$tmp/err")"
grep -q '^vmlaunch: console: timeout after 2 s$' "$tmp/err" || fail "no timeout message: $(cat "$tmp/err")"

# The input stays open, so only the VM's end of the connection ends it.
exec 4<>"$tmp/in"
printf 'poweroff\n' >&4
"$VMLAUNCH" console --timeout 60 "$sock" <"$tmp/in" >"$tmp/console.log" 2>"$tmp/err"
status=$?
exec 4>&-
[ $status -eq 0 ] || fail "console during poweroff: status $status: $(cat "$tmp/err")"
grep -q '^vmlaunch: connection closed by the VM$' "$tmp/err" ||
	fail "no 'connection closed by the VM': $(cat "$tmp/err")"
wait_vm_exit 30
[ "$vm_status" -eq 0 ] || fail "the VM exited $vm_status after poweroff"
exit 0
