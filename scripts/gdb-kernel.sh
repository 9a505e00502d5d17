#!/bin/bash
# scripts/gdb-kernel.sh CONFIG [GDB_ARGS...] — debug the kernel of a vmlaunch VM.
#
# Boots CONFIG paused, with QEMU's gdb stub on a free loopback port and the
# serial console on a socket in a private temp dir, then runs
#   gdb -q VMLINUX -ex 'target remote 127.0.0.1:PORT' GDB_ARGS...
# It prints the command that attaches to the console (the boot log is in
# SOCKET.log beside the socket).  When gdb exits, however it exits (quit,
# error, Ctrl-C then quit, a signal to gdb or to this script), the VM is
# stopped and the temp dir removed.  The exit status is gdb's.
#
#   scripts/gdb-kernel.sh images/mini.conf
#   scripts/gdb-kernel.sh images/mini.conf -batch -ex 'hbreak start_kernel' -ex c -ex bt
#
# Symbols: the config's kernel if it is an ELF with debug info; for a bzImage,
# the vmlinux next to it (make images puts images/out/vmlinux beside
# images/out/bzImage); or VMLINUX=FILE.  A kernel without symbols is an error
# before anything starts.  vmlaunch adds nokaslr to the kernel command line
# (unless append mentions kaslr), so the symbols' addresses are the real ones.
#
# The rootfs is opened with snapshot = yes: the VM is stopped at any point
# (a pulled plug), so its disk writes are thrown away.  Options in
# VMLAUNCH_OPTS come after that and may say otherwise.
#
# Environment:
#   VMLAUNCH       vmlaunch binary [this repo's ./vmlaunch, else vmlaunch in PATH]
#   VMLAUNCH_OPTS  more vmlaunch options, split on blanks, e.g. "-o accel=tcg"
#                  (without it the config's accel is used)
#   VMLINUX        symbol file, instead of the one found from the kernel
#   GDB            gdb binary [gdb]
#
# Exit status: gdb's; 64 usage; 66 no symbols (or a missing file); 69 gdb
# missing, or no free port after several tries; otherwise vmlaunch's status
# when the VM does not start.
set -u

prog=gdb-kernel
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { st=$1; shift; say "error: $*"; exit "$st"; }

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	echo "usage: scripts/gdb-kernel.sh CONFIG [GDB_ARGS...]" >&2
	exit 64
fi
config=$1
shift

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Installed (/usr/share/vmlaunch/scripts), there is no ../vmlaunch: use PATH's.
[ -n "${VMLAUNCH:-}" ] || { [ -x "$top/vmlaunch" ] && VMLAUNCH=$top/vmlaunch; } || VMLAUNCH=vmlaunch
GDB=${GDB:-gdb}
read -r -a user_opts <<<"${VMLAUNCH_OPTS:-}"
command -v "$GDB" >/dev/null || die 69 "$GDB not found; install it: sudo apt-get install gdb"
command -v "$VMLAUNCH" >/dev/null || die 69 "$VMLAUNCH not found: run make, or set VMLAUNCH"

# --- the kernel and its symbols -----------------------------------------------

# The kernel QEMU will get: the -kernel line of `vmlaunch print` (a word,
# shell-quoted as '...' with '\'' for a quote when it is not plain).
config_kernel() {
	local cmd line
	cmd=$("$VMLAUNCH" -q print "${user_opts[@]}" "$config") || exit
	line=$(printf '%s\n' "$cmd" | sed -n 's/^ *-kernel \(.*\)$/\1/p')
	line=${line% \\}
	case $line in
	"'"*"'") line=${line#\'}; line=${line%\'}; line=${line//"'\\''"/"'"} ;;
	esac
	[ -n "$line" ] || die 70 "no -kernel in: $VMLAUNCH print $config"
	printf '%s\n' "$line"
}

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | tr -d '\0')" = $'\177ELF' ]; }

has_debug_info() {
	if command -v readelf >/dev/null; then
		readelf -S -W "$1" 2>/dev/null | grep -q ' \.debug_info '
	else
		"$GDB" -nx -batch -ex 'info line start_kernel' "$1" 2>/dev/null | grep -q '^Line '
	fi
}

# A bzImage names its version in the setup header (a pointer at 0x20e);
# the matching vmlinux has it in linux_banner.  A stale vmlinux gives wrong
# addresses without any error, so say so.
check_same_build() {
	local off ver banner
	off=$(od -An -tu2 -j $((0x20e)) -N 2 "$1" 2>/dev/null | tr -d ' ')
	[ -n "$off" ] && [ "$off" -gt 0 ] || return 0
	ver=$(dd if="$1" bs=1 skip=$((off + 0x200)) count=256 2>/dev/null | tr '\0' '\n' | head -n 1)
	banner=$(LC_ALL=C grep -a -o -E 'Linux version [ -~]+ #[0-9]+ [ -~]+' "$2" | head -n 1)
	case $ver in *' #'*) ;; *) return 0 ;; esac
	case $banner in
	"Linux version ${ver%% *} "*"#${ver#* #}"*) ;;
	*)	banner=${banner#Linux version }
		say "warning: $2 is not the build of $1 (${banner%% *} #${banner##* #} vs" \
			"${ver%% *} #${ver#* #}): breakpoints may be at the wrong addresses" ;;
	esac
}

find_symbols() {
	local kernel=$1 cand
	if [ -n "${VMLINUX:-}" ]; then
		[ -r "$VMLINUX" ] || die 66 "VMLINUX=$VMLINUX: no such readable file"
		has_debug_info "$VMLINUX" ||
			die 66 "VMLINUX=$VMLINUX has no debug info (.debug_info): name a vmlinux built with CONFIG_DEBUG_INFO"
		is_elf "$kernel" || check_same_build "$kernel" "$VMLINUX"
		sym=$VMLINUX
	elif is_elf "$kernel"; then
		has_debug_info "$kernel" ||
			die 66 "$kernel has no debug info (.debug_info): build it with CONFIG_DEBUG_INFO, or name a vmlinux that has it with VMLINUX=FILE"
		sym=$kernel
	else
		cand=$(dirname "$kernel")/vmlinux
		if ! is_elf "$cand" || ! has_debug_info "$cand"; then
			die 66 "$kernel has no symbols and there is no vmlinux with debug info next to it ($cand): run make images, or name the kernel's vmlinux with VMLINUX=FILE"
		fi
		check_same_build "$kernel" "$cand"
		sym=$cand
	fi
}

kernel=$(config_kernel) || exit
[ -r "$kernel" ] || die 66 "kernel $kernel: no such readable file"
find_symbols "$kernel"

# --- the VM -------------------------------------------------------------------

dir=$(mktemp -d "${TMPDIR:-/tmp}/gdb-kernel.XXXXXX") || die 71 "cannot create a temp dir"
sock=$dir/serial.sock
vm_pid='' gdb_pid='' port='' sig=''

# shellcheck disable=SC2317  # called from the EXIT trap
stop_vm() {
	local i=0
	[ -n "$vm_pid" ] || return 0
	# QEMU has its own session (setsid), so signal its whole process group.
	kill -TERM -- "-$vm_pid" 2>/dev/null || kill -TERM "$vm_pid" 2>/dev/null
	while kill -0 "$vm_pid" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL -- "-$vm_pid" 2>/dev/null || kill -KILL "$vm_pid" 2>/dev/null
	wait "$vm_pid" 2>/dev/null
	vm_pid=
}

# shellcheck disable=SC2317
cleanup() {
	trap '' INT TERM HUP
	if [ -n "$gdb_pid" ] && kill -0 "$gdb_pid" 2>/dev/null; then
		kill -TERM "$gdb_pid" 2>/dev/null
		wait "$gdb_pid" 2>/dev/null
	fi
	stop_vm
	rm -rf "$dir"
}
trap cleanup EXIT
# Ctrl-C belongs to gdb (it stops the guest); this script only waits.
trap 'sig=INT' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

port_hex() { printf ':%04X' "$1"; }

# The inode of a socket listening on PORT (any local address), if any.
listen_inode() {
	awk -v p="$(port_hex "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10; exit }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# True when the stub QEMU listens on is PORT (not someone else's socket).
vm_listens() {
	local inode fd
	inode=$(listen_inode "$1")
	[ -n "$inode" ] || return 1
	for fd in /proc/"$vm_pid"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ] && return 0
	done
	return 1
}

# Start the VM on a random free port in 20000-29999 (below the ephemeral
# range); returns 0 when its stub listens, 2 when the port turned out to be
# in use (try another), else vmlaunch's status.
start_vm() {
	local i=0 st pdeath=()
	port=$((20000 + RANDOM % 10000))
	[ -z "$(listen_inode "$port")" ] || return 2
	rm -f "$sock" "$sock.log"
	# The VM dies with this script even on SIGKILL (parent-death signal);
	# its own session keeps the terminal's Ctrl-C away from it.
	setpriv --pdeathsig TERM true 2>/dev/null && pdeath=(setpriv --pdeathsig TERM --)
	setsid "${pdeath[@]}" "$VMLAUNCH" run -o snapshot=yes "${user_opts[@]}" \
		-o serial="$sock" -o gdb="127.0.0.1:$port" -o gdb_wait=yes "$config" \
		</dev/null >"$dir/vm.out" 2>"$dir/vm.err" &
	vm_pid=$!
	until [ -S "$sock" ] && vm_listens "$port"; do
		if ! kill -0 "$vm_pid" 2>/dev/null; then
			wait "$vm_pid"
			st=$?
			vm_pid=
			grep -q "$port.*in use\|in use.*$port" "$dir/vm.err" && return 2
			cat "$dir/vm.out" "$dir/vm.err" >&2
			return $st
		fi
		i=$((i + 1))
		[ $i -gt 300 ] && { cat "$dir/vm.err" >&2; say "error: the VM's gdb stub did not listen within 30 s"; return 70; }
		sleep 0.1
	done
	return 0
}

tries=0
while :; do
	start_vm
	st=$?
	[ $st -eq 0 ] && break
	[ $st -eq 2 ] || exit $st
	tries=$((tries + 1))
	[ $tries -lt 10 ] || die 69 "no free port for the gdb stub after $tries tries"
done
# vmlaunch's warnings so far; QEMU's later messages are shown only if the
# VM ends during the session.
cat "$dir/vm.err" >&2
err_seen=$(wc -c <"$dir/vm.err")

say "paused VM with its gdb stub on 127.0.0.1:$port; symbols: $sym"
printf -v attach '%q console --replay %q' "$VMLAUNCH" "$sock"
say "console: $attach"

# --- gdb ----------------------------------------------------------------------

# In the background so that this script can act on TERM/HUP at once; stdin
# stays the terminal.  gdb sets its own SIGINT handler.
"$GDB" -q "$sym" -ex "target remote 127.0.0.1:$port" "$@" <&0 &
gdb_pid=$!
while :; do
	sig=
	wait "$gdb_pid"
	status=$?
	[ -z "$sig" ] && break
done
gdb_pid=
if ! kill -0 "$vm_pid" 2>/dev/null && [ "$(wc -c <"$dir/vm.err")" -gt "$err_seen" ]; then
	say "the VM ended during the session:"
	tail -c +$((err_seen + 1)) "$dir/vm.err" >&2
fi
exit "$status"
