#!/bin/sh
# A VM whose console is attached: QEMU listens with a backlog of 1 and
# accepts no one else, so a blocking probe of the socket queued behind the
# console and check, run, print and doctor hung.  They must answer at once:
# "in use" (69; a warning for print).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the fake listener"
stub=$top/tests/stub/qemu-system-x86_64
conf=$tmp/vm.conf
sock=$tmp/serial.sock
printf 'kernel = %s\naccel = tcg\nqemu = %s\nserial = %s\n' \
	"$top/tests/golden/files/bzImage" "$stub" "$sock" >"$conf"

# The listener never accepts; clients fill its queue until one more would wait.
cat >"$tmp/busy.py" <<'PY'
import os, socket, sys, time
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path + ".new")
s.listen(1)
queued = []
while True:
    c = socket.socket(socket.AF_UNIX)
    c.setblocking(False)
    try:
        c.connect(path + ".new")
    except BlockingIOError:
        break
    queued.append(c)
os.rename(path + ".new", path)   # the socket appears once its queue is full
time.sleep(120)
PY
python3 "$tmp/busy.py" "$sock" &
vm_pid=$!
until_ok 10 "the busy socket did not appear" test -S "$sock"

for cmd in check run doctor print; do
	STUB_ARGV=$tmp/argv timeout 10 "$VMLAUNCH" "$cmd" "$conf" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ $status -eq 124 ] && fail "$cmd hung on a socket whose console is attached"
	want=69
	[ "$cmd" = print ] && want=0
	[ $status -eq $want ] || fail "$cmd gave $status, want $want: $(cat "$tmp/err")"
	grep -qF "serial socket '$sock' is in use: something is listening on it (a console may be attached)" \
		"$tmp/err" || fail "$cmd: no 'in use' message: $(cat "$tmp/err")"
done
[ -e "$tmp/argv" ] && fail "run started QEMU on a socket in use"
exit 0
