#!/bin/sh
# A save that does not finish leaves no file under FILE's name (an existing
# FILE stays as it was), no temporary file, and the VM running: vmlaunch
# killed with -9 in the middle of the migration, SIGTERM (the migration is
# cancelled, status 143) and --timeout (124).  A save killed while a
# migration goes on to complete leaves the guest paused, as QEMU does, and
# the next save resumes it.  QEMU is tests/e2e/fake-qemu
# with a migration that never ends, so "the middle" is certain.
. "$(dirname "$0")/lib.sh"
fake_vm_setup
FAKE_MIGRATE=hang
export FAKE_MIGRATE
"$VMLAUNCH" -q start -o rootfs="$tmp/disk.img" -o snapshot=yes -o name=vm "$conf" >/dev/null 2>"$tmp/err" ||
	fail "start of the fake VM: $(cat "$tmp/err")"
qemu=$(cut -d' ' -f1 "$XDG_RUNTIME_DIR/vmlaunch/vm/pid")
state=$tmp/states/vm.state
echo "the old state" >"$state"

# in_migration N: the fake QEMU holds N files saves gave it (unnamed ones:
# a migration that hangs keeps its descriptor).
in_migration() { [ "$(ls -l "/proc/$qemu/fd" | grep -c "$tmp/states/")" -ge "$1" ]; }
intact() {
	[ "$(cat "$state")" = "the old state" ] || fail "$1: FILE was replaced: $(head -c 60 "$state")"
	[ "$(ls -A "$tmp/states")" = vm.state ] || fail "$1: left $(ls -A "$tmp/states")"
	"$VMLAUNCH" status vm >"$tmp/status" 2>&1 || fail "$1: the VM is gone: $(cat "$tmp/status")"
	grep -q 'state: *running' "$tmp/status" || fail "$1: the VM is not running: $(cat "$tmp/status")"
}

"$VMLAUNCH" save vm "$state" >"$tmp/out" 2>"$tmp/err" &
save=$!
until_ok 10 "the save did not start its migration" in_migration 1
kill -9 $save
wait $save 2>/dev/null
intact "kill -9 during the save"

"$VMLAUNCH" save vm "$state" >"$tmp/out" 2>"$tmp/err" &
save=$!
until_ok 10 "the second save did not start its migration" in_migration 2
kill -TERM $save
wait $save
st=$?
[ $st -eq 143 ] || fail "SIGTERM during the save: status $st, not 143: $(cat "$tmp/err")"
grep -q "save: stopped by signal 15; nothing was saved" "$tmp/err" || fail "SIGTERM message: $(cat "$tmp/err")"
intact "SIGTERM during the save"

"$VMLAUNCH" save --timeout 1 vm "$state" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 124 ] || fail "save --timeout 1: status $st, not 124: $(cat "$tmp/err")"
grep -q "save: vm was not saved within 1 s" "$tmp/err" || fail "timeout message: $(cat "$tmp/err")"
intact "a save past its timeout"

# Killed after QEMU began a migration that then completes: the guest is left
# paused ("postmigrate"), and the next save resumes it, as it was before.
FAKE_MIGRATE=slow "$VMLAUNCH" -q start -o rootfs="$tmp/disk.img" -o snapshot=yes -o name=slow \
	"$conf" >/dev/null 2>"$tmp/err" || fail "start of the slow VM: $(cat "$tmp/err")"
qemu=$(cut -d' ' -f1 "$XDG_RUNTIME_DIR/vmlaunch/slow/pid")
"$VMLAUNCH" save slow "$tmp/states/slow.state" >"$tmp/out" 2>"$tmp/err" &
save=$!
until_ok 10 "the slow save did not start its migration" in_migration 1
kill -9 $save
wait $save 2>/dev/null
paused() { "$VMLAUNCH" status slow 2>&1 | grep -q 'state: *postmigrate'; }
until_ok 10 "the guest of a killed save is not left paused" paused
[ -e "$tmp/states/slow.state" ] && fail "a killed save left its FILE"
"$VMLAUNCH" save slow "$tmp/states/slow.state" >"$tmp/out" 2>"$tmp/err" ||
	fail "a save after a killed one: $(cat "$tmp/err")"
grep -q 'it runs on$' "$tmp/out" || fail "the next save did not resume the guest: $(cat "$tmp/out")"
"$VMLAUNCH" status slow 2>&1 | grep -q 'state: *running' || fail "the guest is not running again"
head -c 17 "$tmp/states/slow.state" | grep -q '^VMLAUNCH-STATE 1$' || fail "the next save wrote no state"
exit 0
