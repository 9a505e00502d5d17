#!/bin/sh
# Saves that fail or repeat, with the fake QEMU (tests/e2e/fake-qemu, which
# like QEMU 7.2 refuses to migrate a VM in postmigrate):
# - a paused VM is saved twice (QEMU left it postmigrate after the first),
#   and stays paused;
# - save --stop into a directory: refused before the migration, the VM runs
#   on;
# - save --stop whose file cannot be committed after the migration (its
#   directory removed meanwhile): 71, the VM is not stopped and runs again;
# - a migrate QEMU refuses: QEMU is not left holding the file (closefd);
# - a state saved while paused: start --restore and test --restore continue
#   the guest, run --restore refuses it (69); test's timeout message of a
#   restore's first step says "nothing", never "(null)";
# - metadata too big for the header: refused (65) before any migration;
# - SIGINT while the overlay is copied (after the migration): 130 at once,
#   no FILE, the guest runs on.
. "$(dirname "$0")/lib.sh"
fake_vm_setup
o="-o rootfs=$tmp/disk.img -o snapshot=yes"

state_is() { "$VMLAUNCH" status "$1" 2>&1 | grep -q "state: *$2"; }
qemu_of() { cut -d' ' -f1 "$XDG_RUNTIME_DIR/vmlaunch/$1/pid"; }

# A paused VM, saved twice.
"$VMLAUNCH" -q start $o -o name=p "$conf" >/dev/null 2>"$tmp/err" || fail "start p: $(cat "$tmp/err")"
qmp p stop >/dev/null || fail "stop on p's monitor"
for n in 1 2; do
	"$VMLAUNCH" save p "$tmp/states/p$n.state" >"$tmp/out" 2>"$tmp/err" ||
		fail "save $n of a paused VM: status $?: $(cat "$tmp/err")"
	grep -q 'it stays paused$' "$tmp/out" || fail "save $n of a paused VM said: $(cat "$tmp/out")"
	state_is p 'p\(aused\|ostmigrate\)' || fail "save $n: p is not paused: $("$VMLAUNCH" status p 2>&1)"
done

# --stop into a directory: refused before anything is migrated.
"$VMLAUNCH" -q start $o -o name=s "$conf" >/dev/null 2>"$tmp/err" || fail "start s: $(cat "$tmp/err")"
mkdir "$tmp/adir"
"$VMLAUNCH" save --stop s "$tmp/adir" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 71 ] || fail "save --stop into a directory: status $st, not 71: $(cat "$tmp/err")"
grep -q "adir: is a directory" "$tmp/err" || fail "directory message: $(cat "$tmp/err")"
state_is s running || fail "after a refused save --stop, s is not running: $("$VMLAUNCH" status s 2>&1)"

# --stop, the file's directory gone during the migration: the guest goes on.
"$VMLAUNCH" stop --force s >/dev/null 2>&1
FAKE_MIGRATE=slow "$VMLAUNCH" -q start $o -o name=s "$conf" >/dev/null 2>"$tmp/err" ||
	fail "start slow s: $(cat "$tmp/err")"
mkdir "$tmp/gone"
"$VMLAUNCH" save --stop s "$tmp/gone/s.state" >"$tmp/out" 2>"$tmp/err" &
save=$!
until_ok 10 "the save did not start its migration" sh -c "ls -l /proc/$(qemu_of s)/fd | grep -q '$tmp/gone/'"
rmdir "$tmp/gone"
wait $save
st=$?
[ $st -eq 71 ] || fail "save --stop into a removed directory: status $st, not 71: $(cat "$tmp/err")"
grep -q "save: s goes on running" "$tmp/err" || fail "no word that s goes on: $(cat "$tmp/err")"
state_is s running || fail "a failed save --stop left s: $("$VMLAUNCH" status s 2>&1)"

# A migrate QEMU refuses: the file is not left open in QEMU.
FAKE_MIGRATE=fail "$VMLAUNCH" -q start $o -o name=f "$conf" >/dev/null 2>"$tmp/err" ||
	fail "start f: $(cat "$tmp/err")"
"$VMLAUNCH" save f "$tmp/states/f.state" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 69 ] || fail "a refused migrate: status $st, not 69: $(cat "$tmp/err")"
held=$(ls -l "/proc/$(qemu_of f)/fd" | grep "$tmp/states/")
[ -z "$held" ] || fail "QEMU holds the failed save's file: $held"
[ -e "$tmp/states/f.state" ] && fail "a failed save left its FILE"
state_is f running || fail "after a refused migrate, f: $("$VMLAUNCH" status f 2>&1)"

# 5000 -o: metadata over 64 KiB, found before QEMU migrates anything.
many=$(i=0; while [ $i -lt 5000 ]; do printf ' -o memory=256M'; i=$((i + 1)); done)
"$VMLAUNCH" -q start $o $many -o name=big "$conf" >/dev/null 2>"$tmp/err" || fail "start big: $(cat "$tmp/err")"
"$VMLAUNCH" save big "$tmp/states/big.state" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 65 ] || fail "save of too much metadata: status $st, not 65: $(cat "$tmp/err")"
grep -q "save: the metadata of big (.*) takes [a-z ]*[0-9]* bytes, more than a state file's 65536: nothing was saved" \
	"$tmp/err" || fail "metadata message: $(cat "$tmp/err")"
qmp big query-migrate | grep -q '"status": "none"' || fail "a migration ran: $(qmp big query-migrate)"
[ -e "$tmp/states/big.state" ] && fail "a refused save left its FILE"

# An overlay of 1 GiB (grown through QEMU's descriptor): a copy that takes a while.
"$VMLAUNCH" -q start $o -o name=cp "$conf" >/dev/null 2>"$tmp/err" || fail "start cp: $(cat "$tmp/err")"
q=$(qemu_of cp)
ov=$(ls -l "/proc/$q/fd" | awk '/vmlaunch-overlay|\(deleted\)/ && !/states/ {print $9; exit}')
[ -n "$ov" ] || fail "no overlay among QEMU's files: $(ls -l "/proc/$q/fd")"
truncate -s 1G "/proc/$q/fd/$ov" || fail "cannot grow the overlay"
"$VMLAUNCH" save cp "$tmp/states/cp.state" >"$tmp/out" 2>"$tmp/err" &
save=$!
copying() {
	for f in /proc/$save/fd/*; do
		case $(readlink "$f") in "$tmp/states/"*) [ "$(stat -L -c %s "$f")" -gt 2000000 ] && return 0 ;; esac
	done
	return 1
}
until_ok 20 "the save did not start copying the overlay" copying
kill -INT $save
wait $save
st=$?
[ $st -eq 130 ] || fail "SIGINT during the copy: status $st, not 130: $(cat "$tmp/out" "$tmp/err")"
grep -q "save: stopped by signal 2; nothing was saved" "$tmp/err" || fail "SIGINT message: $(cat "$tmp/err")"
[ -e "$tmp/states/cp.state" ] && fail "a save stopped by SIGINT left its FILE"
state_is cp running || fail "after SIGINT during the copy, cp: $("$VMLAUNCH" status cp 2>&1)"
"$VMLAUNCH" stop --force cp >/dev/null 2>&1

# A state saved while paused (p1.state, above).
"$VMLAUNCH" -q start --restore "$tmp/states/p1.state" -o name=p3 >/dev/null 2>"$tmp/err" ||
	fail "start --restore of a paused state: $(cat "$tmp/err")"
state_is p3 running || fail "start --restore left p3: $("$VMLAUNCH" status p3 2>&1)"
FAKE_SAY='restored$ ' "$VMLAUNCH" test --restore "$tmp/states/p1.state" --timeout 20 \
	--expect 'restored' >"$tmp/out" 2>"$tmp/err" ||
	fail "test --restore of a paused state: status $?: $(cat "$tmp/out" "$tmp/err")"
"$VMLAUNCH" test --restore "$tmp/states/p1.state" --timeout 2 >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 124 ] || fail "test --restore, a silent guest: status $st, not 124: $(cat "$tmp/out" "$tmp/err")"
grep -q "nothing on the console within 2 s" "$tmp/out" || fail "silent guest message: $(cat "$tmp/out")"
grep -q "(null)" "$tmp/out" "$tmp/err" && fail "(null) in: $(cat "$tmp/out")"
timeout 20 "$VMLAUNCH" run --restore "$tmp/states/p1.state" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 69 ] || fail "run --restore of a paused state: status $st, not 69: $(cat "$tmp/err")"
grep -q "p1.state: saved while its guest was paused: run --restore would start it paused" "$tmp/err" ||
	fail "run --restore of a paused state said: $(cat "$tmp/err")"
exit 0
