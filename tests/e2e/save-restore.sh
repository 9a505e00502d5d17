#!/bin/sh
# vmlaunch save and --restore with the real QEMU on the fast profile: a
# started VM is saved while it runs on; start --restore, test --restore
# (-j 2) and run --restore go on from it without a boot; each restore
# starts from the saved disk (writes after one are not seen by the next:
# checked on a disk of its own with O_DIRECT, which no page cache in the
# saved memory can answer); the base images stay byte-identical; save
# --stop ends the VM; a restore under a name that is running is refused; a
# paused VM is saved twice (QEMU leaves it postmigrate after the first).
. "$(dirname "$0")/lib.sh"
vm_setup
conf=images/mini.conf
state=$tmp/mini.state
cp "$rootfs" "$tmp/rootfs.orig"
head -c 1048576 /dev/zero >"$tmp/data.img"
o="-o accel=tcg -o snapshot=yes -o rootfs=$rootfs -o disk=$tmp/data.img"
# The block marker on /dev/vdb (the data disk), past any cache.
put() { echo "printf '%-512s' $1 | dd of=/dev/vdb bs=512 count=1 oflag=direct 2>/dev/null"; }
get='dd if=/dev/vdb bs=512 count=1 iflag=direct 2>/dev/null | head -c 12; echo'

"$VMLAUNCH" start --wait --timeout 90 $o -o name=src $conf >"$tmp/out" 2>"$tmp/err" ||
	fail "start: $(cat "$tmp/out" "$tmp/err")"
"$VMLAUNCH" exec src -- "echo saved-word >/root/word; sync; $(put saved-block)" >"$tmp/out" 2>&1 ||
	fail "exec before the save: $(cat "$tmp/out")"

"$VMLAUNCH" save src "$state" >"$tmp/out" 2>"$tmp/err" || fail "save: status $?: $(cat "$tmp/err")"
grep -q "^src saved to $state (.* MB in .* s); it runs on$" "$tmp/out" || fail "save said: $(cat "$tmp/out")"
[ "$(stat -c %a "$state")" = 600 ] || fail "the state file is not the owner's alone: $(stat -c %a "$state")"
[ -z "$(ls "$tmp" | grep 'mini.state.tmp-')" ] || fail "save left a temporary file: $(ls "$tmp")"
head -c 17 "$state" | grep -q '^VMLAUNCH-STATE 1$' || fail "no state file header"
# The saved VM goes on, and its later writes are not in the state.
"$VMLAUNCH" exec src -- 'echo after-save >/root/word; cat /root/word' >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = after-save ] || fail "the saved VM does not run on: $(cat "$tmp/out")"

# A restore under the running VM's name is refused before QEMU starts.
"$VMLAUNCH" start --restore "$state" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 69 ] || fail "restore as the running 'src': not 69: $(cat "$tmp/err")"
grep -q "a VM named 'src' is running" "$tmp/err" || fail "running-name message: $(cat "$tmp/err")"

# start --restore without CONFIG: the state's config and -o, then ours.
"$VMLAUNCH" start --restore "$state" -o name=r1 >"$tmp/out" 2>"$tmp/err" ||
	fail "start --restore: status $?: $(cat "$tmp/err")"
[ "$(cat "$tmp/out")" = r1 ] || fail "start --restore printed '$(cat "$tmp/out")'"
"$VMLAUNCH" exec r1 -- "cat /root/word; $get; $(put r1-block)" >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = "saved-word
saved-block " ] || fail "r1 did not go on from the save: $(cat "$tmp/out")"
"$VMLAUNCH" exec r1 -- "$get" >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = "r1-block    " ] || fail "r1's block write is not read back: $(cat "$tmp/out")"
grep -q 'vmlaunch: boot ok' "$XDG_RUNTIME_DIR/vmlaunch/r1/serial.sock.log" &&
	fail "r1 booted instead of restoring"
"$VMLAUNCH" stop --force r1 >/dev/null 2>&1

# Independent: the next restore sees the saved disk, not r1's write.
"$VMLAUNCH" start --restore "$state" -o name=r2 >/dev/null 2>"$tmp/err" || fail "second restore: $(cat "$tmp/err")"
"$VMLAUNCH" exec r2 -- "$get" >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = "saved-block " ] || fail "r2 saw another restore's write: $(cat "$tmp/out")"
# A restored VM can be saved again.
"$VMLAUNCH" save --stop r2 "$tmp/r2.state" >"$tmp/out" 2>"$tmp/err" || fail "save of a restored VM: $(cat "$tmp/err")"
grep -q 'it was stopped$' "$tmp/out" || fail "save --stop said: $(cat "$tmp/out")"
"$VMLAUNCH" status r2 >"$tmp/out" 2>&1 && fail "save --stop left r2 running: $(cat "$tmp/out")"

# test --restore: the steps start at once (no boot marker), -j 2 over four runs.
"$VMLAUNCH" test --restore "$state" -j 2 --timeout 60 \
	--send "$get; $(put x)" --expect '^saved-block' --exit-status \
	$o -o name=src $conf $conf $conf $conf >"$tmp/out" 2>"$tmp/err" ||
	fail "test --restore -j 2: status $?: $(cat "$tmp/out" "$tmp/err")"
[ "$(grep -c '^PASS' "$tmp/out")" = 4 ] || fail "test --restore: $(cat "$tmp/out")"

# run --restore: the config's own serial socket, the guest at its prompt.
"$VMLAUNCH" run --restore "$state" -o name=rr -o serial="$tmp/run.sock" >"$tmp/vm.out" 2>"$tmp/vm.err" &
vm_pid=$!
until_ok 20 "run --restore made no socket" test -S "$tmp/run.sock"
console_open "$tmp/run.sock"
sleep 0.5
guest "$get" '^saved-block' 30
kill "$vm_pid"
wait_vm_exit 20

# A paused VM, saved twice: the second save finds QEMU in postmigrate.
qmp src stop >/dev/null || fail "stop on src's monitor"
for n in 1 2; do
	"$VMLAUNCH" save src "$tmp/paused$n.state" >"$tmp/out" 2>"$tmp/err" ||
		fail "save $n of the paused src: status $?: $(cat "$tmp/err")"
	grep -q 'it stays paused$' "$tmp/out" || fail "save $n of the paused src said: $(cat "$tmp/out")"
done
"$VMLAUNCH" start --restore "$tmp/paused2.state" -o name=p2 >/dev/null 2>"$tmp/err" ||
	fail "restore of a paused state: $(cat "$tmp/err")"
"$VMLAUNCH" exec p2 -- "$get" >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = "saved-block " ] || fail "p2 (restored paused) does not answer: $(cat "$tmp/out")"
"$VMLAUNCH" stop --force p2 >/dev/null 2>&1

"$VMLAUNCH" stop --force src >/dev/null 2>&1
until_ok 20 "a QEMU is left" no_qemu_left
cmp "$rootfs" "$tmp/rootfs.orig" || fail "the base image changed"
cmp "$tmp/data.img" /dev/zero 2>&1 | grep -q EOF || fail "the data disk's base image changed"
exit 0
