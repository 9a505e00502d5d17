#!/bin/sh
# Restores that must not read the wrong file or hang, with the fake QEMU
# (tests/e2e/fake-qemu: it refuses an -incoming stream without "QEVM" and
# a qcow2 node whose file is no qcow2 image, as QEMU does):
# - the state file replaced by another state while test --restore runs:
#   every run reads the file that was checked (the old offsets into the
#   new file would hand QEMU a stream where its disk should be);
# - a FIFO as --restore FILE: refused with 66 at once, not waited on;
# - a stream QEMU refuses at once: start names the state file;
# - start --restore's supervisor holds neither the state file nor the disk
#   copy (QEMU has its own descriptors);
# - run --restore under the name of a VM that runs: refused (69), as start's
#   is; test --restore is not (its runs are not named VMs);
# - a relative -o path of the start is restored from another directory
#   (it is relative to where the start was).
. "$(dirname "$0")/lib.sh"
fake_vm_setup
TMPDIR=$tmp/runs
export TMPDIR
mkdir -m 700 "$TMPDIR" || fail "cannot create $TMPDIR"
disk=$tmp/disk.img
o="-o rootfs=$disk -o snapshot=yes"

# Two states of one VM, whose streams differ in size (so do their offsets).
"$VMLAUNCH" -q start $o -o name=a "$conf" >/dev/null 2>"$tmp/err" || fail "start a: $(cat "$tmp/err")"
"$VMLAUNCH" save a "$tmp/a.state" >/dev/null 2>"$tmp/err" || fail "save a: $(cat "$tmp/err")"
"$VMLAUNCH" stop --force a >/dev/null 2>&1
FAKE_STREAM=4000 "$VMLAUNCH" -q start $o -o name=b "$conf" >/dev/null 2>"$tmp/err" ||
	fail "start b: $(cat "$tmp/err")"
"$VMLAUNCH" save b "$tmp/b.state" >/dev/null 2>"$tmp/err" || fail "save b: $(cat "$tmp/err")"
"$VMLAUNCH" stop --force b >/dev/null 2>&1
cp "$tmp/a.state" "$tmp/t.state"

# The first run waits (FAKE_GATE) until t.state is b's; the second starts after.
FAKE_SAY='restored$ ' FAKE_GATE=$tmp/go "$VMLAUNCH" test --restore "$tmp/t.state" -j 1 \
	--timeout 30 --expect 'restored' $o "$conf" "$conf" >"$tmp/out" 2>"$tmp/err" &
test_pid=$!
until_ok 20 "the first run did not start" sh -c "ls '$TMPDIR' | grep -q ."
cp "$tmp/b.state" "$tmp/t.new"
mv "$tmp/t.new" "$tmp/t.state"
touch "$tmp/go"
wait $test_pid
st=$?
[ $st -eq 0 ] || fail "test --restore of a file replaced meanwhile: status $st: $(cat "$tmp/out" "$tmp/err")"
[ "$(grep -c '^PASS' "$tmp/out")" = 2 ] || fail "not two PASS: $(cat "$tmp/out")"

# A FIFO: refused at once by run, start and test.
mkfifo "$tmp/fifo"
for cmd in run start test; do
	timeout 10 "$VMLAUNCH" $cmd --restore "$tmp/fifo" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ $st -eq 66 ] || fail "$cmd --restore FIFO: status $st, not 66: $(cat "$tmp/err")"
	grep -q "fifo: not a vmlaunch state file (not a regular file)" "$tmp/err" ||
		fail "$cmd --restore FIFO said: $(cat "$tmp/err")"
done

# A stream QEMU refuses: its first bytes broken, the sizes right.
cp "$tmp/a.state" "$tmp/bad.state"
printf 'XXXX' | dd of="$tmp/bad.state" bs=1 seek=65536 conv=notrunc status=none
"$VMLAUNCH" start --restore "$tmp/bad.state" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 69 ] || fail "start --restore of a broken stream: status $st, not 69: $(cat "$tmp/err")"
grep -q "start: QEMU could not restore $tmp/bad.state: it exited with status 1 at once: .*load of migration failed" \
	"$tmp/err" || fail "broken stream message: $(cat "$tmp/err")"
[ -z "$(ls -A "$XDG_RUNTIME_DIR/vmlaunch")" ] || fail "a broken stream left a VM: $(ls -A "$XDG_RUNTIME_DIR/vmlaunch")"

"$VMLAUNCH" -q start --restore "$tmp/a.state" -o name=c >/dev/null 2>"$tmp/err" ||
	fail "start --restore: $(cat "$tmp/err")"
qemu=$(cut -d' ' -f1 "$XDG_RUNTIME_DIR/vmlaunch/c/pid")
sup=$(awk '{print $4}' "/proc/$qemu/stat")
ls -l "/proc/$qemu/fd" | grep -q 'vmlaunch-restore' || fail "QEMU has no disk copy: $(ls -l "/proc/$qemu/fd")"
held=$(ls -l "/proc/$sup/fd" | grep -e 'a.state' -e 'vmlaunch-restore')
[ -z "$held" ] || fail "the supervisor holds: $held"

"$VMLAUNCH" -q start --restore "$tmp/a.state" >/dev/null 2>"$tmp/err" || fail "start --restore as a: $(cat "$tmp/err")"
timeout 20 "$VMLAUNCH" run --restore "$tmp/a.state" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 69 ] || fail "run --restore as the running a: status $st, not 69: $(cat "$tmp/err")"
grep -q "run: a VM named 'a' is running" "$tmp/err" || fail "run --restore as a said: $(cat "$tmp/err")"
FAKE_SAY='restored$ ' "$VMLAUNCH" test --restore "$tmp/a.state" --timeout 20 --expect restored \
	>"$tmp/out" 2>"$tmp/err" || fail "test --restore while a runs: $(cat "$tmp/out" "$tmp/err")"

mkdir "$tmp/sub"
(cd "$tmp/sub" && cp ../disk.img rel.img &&
	"$VMLAUNCH" -q start -o rootfs=rel.img -o snapshot=yes -o name=rel "$conf" >/dev/null &&
	"$VMLAUNCH" save --stop rel rel.state >/dev/null) 2>"$tmp/err" || fail "relative start, save: $(cat "$tmp/err")"
(cd / && "$VMLAUNCH" -q start --restore "$tmp/sub/rel.state" >/dev/null) 2>"$tmp/err" ||
	fail "start --restore from / of a relative -o: $(cat "$tmp/err")"
# Its record keeps the start's directory: a second save and restore from elsewhere.
(cd "$tmp" && "$VMLAUNCH" save --stop rel "$tmp/rel2.state" >/dev/null &&
	cd / && FAKE_SAY='restored$ ' "$VMLAUNCH" test --restore "$tmp/rel2.state" --timeout 20 \
	--expect restored >/dev/null) 2>"$tmp/err" || fail "restore of a restore, from /: $(cat "$tmp/err")"
exit 0
