#!/bin/sh
# scripts/gdb-kernel.sh picks another port when vmlaunch says the one it
# chose is in use (status 69).  A wrapper around vmlaunch makes the first
# port busy just before vmlaunch checks it, so the first try must fail.
. "$(dirname "$0")/lib.sh"
gdb_setup
busy_pid=
trap 'cleanup; [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null' EXIT

cat >"$tmp/vmlaunch" <<SH
#!/bin/sh
# The first run: listen on its gdb port first.
if [ "\$1" = run ] && [ ! -e '$tmp/busy.port' ]; then
	for a; do case \$a in gdb=*) port=\${a##*:} ;; esac; done
	socat TCP-LISTEN:\$port,bind=127.0.0.1,reuseaddr,fork /dev/null </dev/null >/dev/null 2>&1 &
	echo \$! >'$tmp/busy.pid'
	echo \$port >'$tmp/busy.port'
	hex=\$(printf ':%04X' \$port)
	i=0
	until awk -v p=\$hex '\$4 == "0A" && substr(\$2, length(\$2) - 4) == p { f = 1 } END { exit !f }' /proc/net/tcp; do
		i=\$((i + 1)); [ \$i -gt 50 ] && exit 70; sleep 0.1
	done
fi
exec '$VMLAUNCH' "\$@"
SH
chmod +x "$tmp/vmlaunch"

VMLAUNCH=$tmp/vmlaunch timeout 60 "$top/scripts/gdb-kernel.sh" "$top/images/mini.conf" -batch \
	-ex 'hbreak start_kernel' -ex c -ex 'bt 1' >"$tmp/out" 2>"$tmp/err"
status=$?
busy_pid=$(cat "$tmp/busy.pid" 2>/dev/null)
[ -s "$tmp/busy.port" ] || fail "the wrapper was not used: $(cat "$tmp/err")"
busy=$(cat "$tmp/busy.port")
[ $status -eq 0 ] || fail "status $status after port $busy was busy: $(cat "$tmp/err" "$tmp/out")"
port=$(sed -n 's/^gdb-kernel: paused VM with its gdb stub on 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$tmp/err")
[ -n "$port" ] || fail "no stub line: $(cat "$tmp/err")"
[ "$port" != "$busy" ] || fail "the session used the busy port $busy"
grep -q "in use" "$tmp/err" && fail "vmlaunch's 'in use' error was shown: $(cat "$tmp/err")"
grep -q '^#0  start_kernel ()' "$tmp/out" || fail "no stop at start_kernel on port $port: $(cat "$tmp/out")"
! pgrep -f "qemu-system.*$tmp/" >/dev/null || fail "a QEMU is left running: $(pgrep -af "qemu-system.*$tmp/")"
exit 0
