#!/bin/sh
# The serial socket path: a stale socket is fine (QEMU replaces it), a live
# one is "in use" (69), and any other file there is refused (66) and kept.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to make test sockets"
stub=$top/tests/stub/qemu-system-x86_64
conf=$tmp/vm.conf
printf 'kernel = %s\naccel = tcg\nqemu = %s\n' "$top/tests/golden/files/bzImage" "$stub" >"$conf"

# Stale: bound, then its listener gone.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/stale.sock"
[ -S "$tmp/stale.sock" ] || fail "could not make a stale socket"
"$VMLAUNCH" check -o serial="$tmp/stale.sock" "$conf" >/dev/null 2>"$tmp/err" ||
	fail "a stale socket was refused: $(cat "$tmp/err")"

# Live: something listening.
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)' "$tmp/live.sock" &
listener=$!
i=0; while [ ! -S "$tmp/live.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
"$VMLAUNCH" run -o serial="$tmp/live.sock" "$conf" 2>"$tmp/err"
status=$?
kill $listener
[ $status -eq 69 ] || fail "a live socket gave $status, want 69"
grep -q "is in use" "$tmp/err" || fail "no 'in use' message: $(cat "$tmp/err")"

# A regular file, a directory, a symlink to a file: refused, untouched.
echo precious >"$tmp/file"
ln -s "$tmp/file" "$tmp/link"
mkdir "$tmp/dir"
for path in "$tmp/file" "$tmp/link" "$tmp/dir"; do
	"$VMLAUNCH" run -o serial="$path" "$conf" 2>"$tmp/err"
	status=$?
	[ $status -eq 66 ] || fail "serial=$path gave $status, want 66"
	grep -q "refusing to replace it" "$tmp/err" || fail "no refusal for $path: $(cat "$tmp/err")"
done
[ "$(cat "$tmp/file")" = precious ] && [ -L "$tmp/link" ] && [ -d "$tmp/dir" ] ||
	fail "a file at the serial path was changed"
exit 0
