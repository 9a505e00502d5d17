#!/bin/sh
# e2e-exclusive: looks for any fake QEMU of the tree (pgrep)
# Faults a review found in vmlaunch test, each a case here:
# - the guest's last output, still in the socket when QEMU exits, is read
#   before the run is judged (its last step passes);
# - a guest that never reads its input cannot block the loop: --send goes
#   out without blocking, the timeout and SIGTERM still work;
# - a QEMU whose monitor accepts and never answers is still stopped and
#   reaped, and nothing is left;
# - a signal during the last run's stop is not lost (exit 128+N, not 0).
. "$(dirname "$0")/lib.sh"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
fake_conf "$tmp/fake.conf"

# 300 KB of output, then DONE, then QEMU exits at once, its output unread.
python3 - "$top/tests/e2e/fake-qemu" "$tmp/fake-last" <<'PY'
import sys
src = open(sys.argv[1]).read()
# A variant that prints 300 KB, then DONE, then exits with its output unread.
src = src.replace('if os.environ.get("FAKE_THEN") == "exit":',
                  'if os.environ.get("FAKE_THEN") == "exit":\n    say_bytes(b"\\nDONE\\n")', 1)
open(sys.argv[2], "w").write(src)
PY
chmod +x "$tmp/fake-last"
sed "s|^qemu = .*|qemu = $tmp/fake-last|" "$tmp/fake.conf" >"$tmp/last.conf"
for i in 1 2 3; do
	FAKE_FLOOD=300000 FAKE_THEN=exit "$VMLAUNCH" test --ready 'progress' --expect '^DONE$' \
		--timeout 20 "$tmp/last.conf" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ $status -eq 0 ] || fail "round $i: output before QEMU's exit was lost: status $status: $(head -c 600 "$tmp/out")"
done

# A guest that never reads: four big --send steps, then the timeout.
big=$(head -c 120000 /dev/zero | tr '\0' 'x')
start=$(date +%s)
FAKE_SAY='vmlaunch: boot ok\n' FAKE_DEAF=1 timeout 30 "$VMLAUNCH" test --timeout 4 \
	--send "$big" --send "$big" --send "$big" --send "$big" --expect never \
	"$tmp/fake.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
secs=$(( $(date +%s) - start ))
[ $status -eq 124 ] || fail "a deaf guest: status $status, want 124 (timeout): $(head -c 600 "$tmp/out" "$tmp/err")"
[ $secs -lt 20 ] || fail "a deaf guest: the timeout took $secs s"
[ "$(wc -c <"$tmp/out")" -lt 8192 ] || fail "the TIMEOUT report holds the sent text"
grep -q "no 'never' on the console" "$tmp/out" || fail "the timeout does not name the awaited step: $(head -c 300 "$tmp/out")"

# A deaf monitor: QEMU is still stopped (SIGTERM) and reaped.
FAKE_SAY='vmlaunch: boot ok\n' FAKE_MONITOR=deaf "$VMLAUNCH" test --timeout 20 \
	"$tmp/fake.conf" "$tmp/fake.conf" >"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
wait $vm_pid
status=$?
vm_pid=
[ $status -eq 0 ] || fail "a deaf monitor: status $status: $(cat "$tmp/out" "$tmp/err")"
pgrep -f "$top/tests/e2e/fake-qemu" >/dev/null && fail "a fake QEMU with a deaf monitor is left"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"

# SIGINT while the last run is being stopped: the deaf monitor makes that
# stop take 2 s; the run passed at once (the fake boots in a fraction of one).
env --default-signal=INT sh -c 'FAKE_SAY="vmlaunch: boot ok\n" FAKE_MONITOR=deaf exec "$0" test --timeout 20 "$1"' \
	"$VMLAUNCH" "$tmp/fake.conf" >"$tmp/out" 2>"$tmp/err" &
vm_pid=$!
sleep 1.2
kill -INT $vm_pid 2>/dev/null
wait $vm_pid
status=$?
vm_pid=
[ $status -eq 130 ] || fail "SIGINT during the last stop: status $status, want 130: $(cat "$tmp/out" "$tmp/err")"
grep -q 'stopped by signal 2' "$tmp/err" || fail "no word of the signal: $(cat "$tmp/err")"
pgrep -f "$top/tests/e2e/fake-qemu" >/dev/null && fail "a fake QEMU is left after SIGINT"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
exit 0
