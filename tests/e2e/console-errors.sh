#!/bin/sh
# vmlaunch console refuses what it cannot attach to, with one clear line and
# the documented status: usage 64, invalid config 65, missing or wrong file
# 66, nobody listening 69.  No VM needed.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to make test sockets"
kernel=$top/tests/golden/files/bzImage

# expect STATUS PATTERN ARGS...: run "vmlaunch ARGS", check status and stderr.
expect() {
	want=$1 pattern=$2
	shift 2
	"$VMLAUNCH" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] || fail "vmlaunch $*: status $got, want $want: $(cat "$tmp/err")"
	grep -q -- "$pattern" "$tmp/err" || fail "vmlaunch $*: no '$pattern' in: $(cat "$tmp/err")"
	[ -s "$tmp/out" ] && fail "vmlaunch $*: wrote to stdout: $(cat "$tmp/out")"
	return 0
}

cd "$tmp" || fail "cannot cd to $tmp"
expect 64 "missing SOCKET or CONFIG" console
expect 64 "Try 'vmlaunch --help'" console
expect 64 "unknown option '--bogus'" console --bogus x.sock
expect 64 "too many arguments" console a.sock b.sock
expect 64 "option --timeout needs SECONDS" console x.sock --timeout
for bad in 0 -3 abc 1.5 10s 9999999999; do
	expect 64 "--timeout '$bad' is not a whole number" console --timeout "$bad" x.sock
done

expect 66 "^vmlaunch: nope.sock: no such socket, config file or started VM$" console nope.sock
mkdir dir
expect 66 "^vmlaunch: dir: is a directory, not a socket or config file$" console dir
mkfifo fifo
expect 66 "^vmlaunch: fifo: is a named pipe, not a socket or config file$" console fifo

# A regular file is read as a config: a text file that is not one is 65.
echo "hello world" >notes.txt
expect 65 "notes.txt:1: " console notes.txt
expect 65 "notes.txt: not a socket, so it was read as a config file" console notes.txt

printf 'kernel = %s\n' "$kernel" >stdio.conf
expect 65 "^vmlaunch: stdio.conf: serial is stdio, not a socket: nothing to attach to$" \
	console stdio.conf
printf 'kernel = %s\nserial = none\n' "$kernel" >none.conf
expect 65 "^vmlaunch: none.conf: serial is none, not a socket: nothing to attach to$" \
	console none.conf
printf 'kernel = %s\nserial = gone.sock\n' "$kernel" >gone.conf
expect 66 "^vmlaunch: $tmp/gone.sock: no such socket (is the VM running?)$" console gone.conf
printf 'kernel = %s\nserial = notes.txt\n' "$kernel" >file.conf
expect 66 "notes.txt: is a regular file, not a socket (the serial of file.conf)" \
	console file.conf

# Stale: bound, then its listener gone; directly and through a config.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' stale.sock
[ -S stale.sock ] || fail "could not make a stale socket"
expect 69 "^vmlaunch: stale.sock: nobody is listening (is the VM running?)$" console stale.sock
printf 'kernel = %s\nserial = stale.sock\n' "$kernel" >stale.conf
expect 69 "$tmp/stale.sock: nobody is listening" console stale.conf

# The lab's script name runs the same command.
mkdir -p kit/scripts
cp "$top/scripts/connect_to_socket.sh" kit/scripts/
ln -s "$VMLAUNCH" kit/vmlaunch
kit/scripts/connect_to_socket.sh stale.sock </dev/null 2>"$tmp/err"
[ $? -eq 69 ] && grep -q "nobody is listening" "$tmp/err" ||
	fail "connect_to_socket.sh did not run vmlaunch console: $(cat "$tmp/err")"
mkdir lone
cp "$top/scripts/connect_to_socket.sh" lone/
PATH=/usr/bin:/bin lone/connect_to_socket.sh stale.sock </dev/null 2>"$tmp/err"
[ $? -eq 127 ] && grep -q "vmlaunch not found" "$tmp/err" ||
	fail "connect_to_socket.sh without vmlaunch: $(cat "$tmp/err")"
exit 0
