#!/bin/sh
# gdb lab, exercise 1: at start_kernel, boot_command_line is the command line
# vmlaunch built: the config's append plus root=/dev/vda, console=ttyS0 and,
# because gdb is set, nokaslr (so the symbols' addresses are the real ones).
. "$(dirname "$0")/lib.sh"
gdb_setup

timeout 60 "$top/scripts/gdb-kernel.sh" "$top/images/mini.conf" -batch -ex 'hbreak start_kernel' \
	-ex c -ex 'printf "cmdline=[%s]\n", boot_command_line' >"$tmp/out" 2>"$tmp/err"
status=$?
[ $status -eq 0 ] || fail "gdb-kernel.sh exited $status: $(cat "$tmp/err" "$tmp/out")"
line=$(sed -n 's/^cmdline=\[\(.*\)\]$/\1/p' "$tmp/out")
[ -n "$line" ] || fail "gdb printed no boot_command_line: $(cat "$tmp/out")"
for word in root=/dev/vda console=ttyS0 nokaslr quiet noapictimer; do
	case " $line " in
	*" $word "*) ;;
	*) fail "boot_command_line lacks $word: $line" ;;
	esac
done
# It starts with the line `vmlaunch print` shows for the same settings
# (on microvm QEMU adds virtio_mmio.device=... after it).
"$VMLAUNCH" print -o accel=tcg -o gdb=1 "$top/images/mini.conf" 2>/dev/null >"$tmp/cmd"
append=$(sed -n "s/^ *-append '\(.*\)'\$/\1/p" "$tmp/cmd")
[ -n "$append" ] || fail "no -append in vmlaunch print: $(cat "$tmp/cmd")"
case $line in
"$append"*) ;;
*) fail "the guest's command line is not the one vmlaunch print shows: [$line] vs [$append]" ;;
esac
! pgrep -f "qemu-system.*$tmp/" >/dev/null || fail "a QEMU is left running: $(pgrep -af "qemu-system.*$tmp/")"
exit 0
