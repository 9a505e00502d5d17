#!/bin/sh
# The lab from one terminal: start the VM in the background, see it in
# list, talk to its console by name, run commands in it (their output and
# status only), stop it; then nothing is left: no QEMU, no runtime files.
. "$(dirname "$0")/lib.sh"
vm_setup
command -v python3 >/dev/null || skip "python3 is needed to read the JSON"
vm_start busybox
"$VMLAUNCH" list >"$tmp/list" 2>&1 || fail "list failed: $(cat "$tmp/list")"
grep -Eq '^busybox +running +pid [0-9]+' "$tmp/list" || fail "list does not show busybox running: $(cat "$tmp/list")"
printf 'uname -r\n' | "$VMLAUNCH" console --timeout 30 busybox >"$tmp/console" 2>&1 ||
	fail "console busybox failed: $(cat "$tmp/console")"
grep -q '^6\.1' "$tmp/console" || fail "console: no kernel release: $(cat "$tmp/console")"
"$VMLAUNCH" exec busybox -- cat /proc/cmdline >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 0 ] || fail "exec cat /proc/cmdline: status $status: $(cat "$tmp/out" "$tmp/err")"
want=$("$VMLAUNCH" print -q -o accel=tcg -o rootfs="$rootfs" -o snapshot=yes images/busybox.conf |
	sed -n "s/^ *-append '\(.*\)'$/\1/p")
[ "$(cat "$tmp/out")" = "$want" ] || fail "exec printed more or less than the command's output: [$(cat "$tmp/out")], want [$want]"
"$VMLAUNCH" exec busybox -- false >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 1 ] || fail "exec false: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "exec false printed: $(cat "$tmp/out")"
"$VMLAUNCH" exec busybox -- 'echo "a b" | wc -w; sh -c "exit 7"' >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 7 ] && [ "$(tr -d ' ' <"$tmp/out")" = 2 ] ||
	fail "exec of a shell line: status $status, output [$(cat "$tmp/out")]"
# The command runs in a subshell from a quoted string: exit, cd, quotes and
# long lines cannot break the guest's shell.
"$VMLAUNCH" exec busybox -- 'exit 3' >"$tmp/out" 2>"$tmp/err"
[ $? -eq 3 ] || fail "exec 'exit 3': not 3: $(cat "$tmp/out" "$tmp/err")"
"$VMLAUNCH" exec busybox -- "echo 'unterminated" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] || fail "exec of an unbalanced quote: not the shell's 2: $(cat "$tmp/out" "$tmp/err")"
"$VMLAUNCH" exec busybox -- 'cd /tmp; X=1' || fail "exec cd"
[ "$("$VMLAUNCH" exec busybox -- 'pwd; echo "X=$X"')" = "$(printf '/\nX=')" ] ||
	fail "an exec changed the guest shell's state: $("$VMLAUNCH" exec busybox -- 'pwd; echo "X=$X"')"
long=$(head -c 1500 /dev/zero | tr '\0' A)
[ "$("$VMLAUNCH" exec busybox -- "echo $long | wc -c")" -eq 1501 ] || fail "a long command was cut"
[ "$("$VMLAUNCH" exec busybox -- "printf 'x\\000y'" | od -An -c | tr -d ' ')" = 'x\0y' ] ||
	fail "a NUL in the output"
"$VMLAUNCH" list --json >"$tmp/json" || fail "list --json failed"
python3 - "$tmp/json" "$rootfs" <<'PY' || fail "list --json: $(cat "$tmp/json")"
import json, sys
vms = json.load(open(sys.argv[1]))
assert len(vms) == 1, vms
v = vms[0]
assert v["name"] == "busybox" and v["state"] == "running", v
assert isinstance(v["pid"], int) and v["pid"] > 0 and isinstance(v["uptime_seconds"], int), v
assert v["console"].endswith("/busybox/serial.sock") and v["exit_status"] is None, v
assert v["disks"] == [sys.argv[2]] and v["forwards"] == [] and v["gdb"] is None, v
PY
"$VMLAUNCH" status --json busybox | python3 -c 'import json,sys; v=json.load(sys.stdin); assert v["name"]=="busybox", v' ||
	fail "status --json busybox"
"$VMLAUNCH" stop busybox >"$tmp/out" 2>"$tmp/err" || fail "stop failed: $(cat "$tmp/out" "$tmp/err")"
grep -q '^busybox powered off$' "$tmp/out" || fail "stop did not power the guest off: $(cat "$tmp/out" "$tmp/err")"
[ -z "$("$VMLAUNCH" list)" ] || fail "list after stop: $("$VMLAUNCH" list)"
[ "$("$VMLAUNCH" list --json)" = "[]" ] || fail "list --json after stop: $("$VMLAUNCH" list --json)"
until_ok 5 "a QEMU is left on $rootfs" no_qemu_left
[ -z "$(ls -A "$XDG_RUNTIME_DIR/vmlaunch")" ] || fail "runtime files left: $(ls -A "$XDG_RUNTIME_DIR/vmlaunch")"
exit 0
