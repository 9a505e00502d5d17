# Shared helpers for the end-to-end tests (sourced, POSIX sh).
# A test exits 0 (pass), 77 (skip, with a reason on stdout) or anything
# else (fail, with the reason on stdout).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
VMLAUNCH=${VMLAUNCH:-$top/vmlaunch}
case "$VMLAUNCH" in /*) ;; *) VMLAUNCH=$top/$VMLAUNCH ;; esac
BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}
tmp=$(mktemp -d /tmp/vmlaunch-e2e.XXXXXX)
vm_pid= console_pid=

cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$console_pid" ] && kill "$console_pid" 2>/dev/null
	if [ -n "$vm_pid" ] && kill -0 "$vm_pid" 2>/dev/null; then
		kill "$vm_pid" 2>/dev/null
		sleep 0.2
		kill -9 "$vm_pid" 2>/dev/null
	fi
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*"; [ -f "$tmp/console.log" ] && tail -n 15 "$tmp/console.log" | sed 's/^/    console: /'; exit 1; }
skip() { echo "skip: $*"; exit 77; }

need_qemu() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	command -v socat >/dev/null || skip "socat is not installed"
}

need_images() {
	[ -f "$top/images/out/bzImage" ] && [ -f "$top/images/out/rootfs.ext4" ] ||
		fail "images/out is not built (make images)"
}

# A private copy of the default image's disk, so tests never change the original.
copy_rootfs() {
	cp "$top/images/out/rootfs.ext4" "$1"
}

# start_vm ARGS...: vmlaunch run in the background, its console on $sock.
start_vm() {
	sock=$tmp/serial.sock
	"$VMLAUNCH" run -o accel=tcg -o serial="$sock" "$@" >"$tmp/vm.out" 2>"$tmp/vm.err" &
	vm_pid=$!
	i=0
	while [ ! -S "$sock" ]; do
		kill -0 "$vm_pid" 2>/dev/null || fail "vmlaunch exited early: $(cat "$tmp/vm.err")"
		i=$((i + 1))
		[ "$i" -gt 200 ] && fail "no serial socket after 20 s"
		sleep 0.1
	done
	console_open "$sock"
}

# One connection to the socket: what we type goes in on fd 3, what the
# guest prints collects in $tmp/console.log.
console_open() {
	rm -f "$tmp/console.in"
	mkfifo "$tmp/console.in"
	: >"$tmp/console.log"
	socat UNIX-CONNECT:"$1" - <"$tmp/console.in" >>"$tmp/console.log" 2>&1 &
	console_pid=$!
	exec 3>"$tmp/console.in"
}

console_send() {
	printf '%s\n' "$1" >&3
}

# console_wait PATTERN [SECONDS]: wait until the guest printed PATTERN (grep -E).
console_wait() {
	limit=$(( ${2:-$BOOT_TIMEOUT} * 10 ))
	i=0
	until grep -Eq -- "$1" "$tmp/console.log"; do
		i=$((i + 1))
		[ "$i" -gt "$limit" ] && fail "'$1' did not appear on the console in ${2:-$BOOT_TIMEOUT} s"
		if [ -n "$vm_pid" ] && ! kill -0 "$vm_pid" 2>/dev/null; then
			grep -Eq -- "$1" "$tmp/console.log" && return 0
			fail "the VM exited before '$1' appeared: $(cat "$tmp/vm.err")"
		fi
		sleep 0.1
	done
}

# wait_vm_exit SECONDS: the VM must exit by itself; its status is in $vm_status.
wait_vm_exit() {
	i=0
	while kill -0 "$vm_pid" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $(( $1 * 10 )) ] && fail "the VM did not exit within $1 s"
		sleep 0.1
	done
	wait "$vm_pid"
	vm_status=$?
	vm_pid=
}

# until_ok SECONDS WHAT COMMAND...: poll COMMAND every 0.1 s until it
# succeeds.  A test may define fail_detail to add context to the failure.
fail_detail() { :; }
until_ok() {
	limit=$(( $1 * 10 )) what=$2 i=0
	shift 2
	until "$@"; do
		i=$((i + 1))
		[ $i -gt $limit ] && fail "$what (waited $((limit / 10)) s)$(fail_detail)"
		sleep 0.1
	done
}

# Terminal tests: a private tmux server; $name is the session, $ptty its tty.
tmux_sock=vmlaunch-e2e-$$
name=none
tmx() { tmux -L "$tmux_sock" "$@"; }
is_raw() { stty -F "$ptty" -a 2>/dev/null | grep -q -- '-icanon'; }
pane_has() { tmx capture-pane -p -t "$name" | grep -qF -- "$1"; }

# wait_guest_shell SOCK: until the guest's shell answers through the console
# (input sent while the guest still boots is lost).
wait_guest_shell() {
	i=0
	until printf 'echo "ready=$((40+2))"\n' |
		"$VMLAUNCH" console --timeout 30 "$1" 2>"$tmp/err" | grep -q 'ready=42'; do
		kill -0 "$vm_pid" 2>/dev/null || fail "the VM exited while booting: $(cat "$tmp/vm.err")"
		i=$((i + 1))
		[ $i -gt 15 ] && fail "the guest's shell did not answer: $(cat "$tmp/err")"
	done
}

# Tests of `vmlaunch test`: run from the top, with a private copy of the
# default disk in $rootfs (its sha256 in $base) and a private TMPDIR, so
# that what a run leaves behind can be seen.
smoke_setup() {
	need_qemu
	need_images
	cd "$top" || fail "cannot cd to $top"
	rootfs=$tmp/rootfs.ext4
	copy_rootfs "$rootfs"
	base=$(sha256sum <"$rootfs")
	TMPDIR=$tmp/runs
	export TMPDIR
	mkdir "$TMPDIR" || fail "cannot create $TMPDIR"
}

# wait_qemu [WHAT]: while vmlaunch ($vm_pid) runs, until its QEMU (whose
# command line names our disk) shows up; its pid goes in $qemu.
vm_alive() { kill -0 "$vm_pid" 2>/dev/null; }
wait_qemu() {
	i=0
	until qemu=$(pgrep -f "filename=$rootfs,"); do
		vm_alive || fail "${1:-}vmlaunch exited before QEMU was seen: $(cat "$tmp/out" "$tmp/err")"
		i=$((i + 1))
		[ "$i" -gt 200 ] && fail "${1:-}no QEMU on $rootfs after 20 s"
		sleep 0.1
	done
}

# wait_run_log PATTERN [WHAT]: until a test run's boot log shows PATTERN (a run
# keeps one only with --transcript).
wait_run_log() {
	i=0
	until cat "$TMPDIR"/vmlaunch-test.*/serial.sock.log 2>/dev/null | grep -q -- "$1"; do
		vm_alive || fail "${2:-}vmlaunch exited before '$1': $(cat "$tmp/out" "$tmp/err")"
		i=$((i + 1))
		[ "$i" -gt 500 ] && fail "${2:-}no '$1' in the run's boot log within 50 s"
		sleep 0.1
	done
}

# vmtest ARGS...: `vmlaunch test` of the default image on the private disk
# (after smoke_setup); the status in $status, the output in $tmp/out, $tmp/err.
vmtest() {
	"$VMLAUNCH" test -o accel=tcg -o rootfs="$rootfs" --timeout 60 "$@" images/busybox.conf \
		>"$tmp/out" 2>"$tmp/err"
	status=$?
}

# console_pane NAME [OPTION]: a tmux session $name running `vmlaunch console
# [OPTION] $sock` in a wrapper that keeps `stty -a` from before and after, and
# the status, in $tmp/NAME.{before,after,status}; $ptty is the pane's tty.
console_pane() {
	cat >"$tmp/$1.sh" <<SH
stty -a >'$tmp/$1.before'
'$VMLAUNCH' console ${2:-} '$sock'
st=\$?
stty -a >'$tmp/$1.after'
echo status=\$st >'$tmp/$1.status'
exec sleep 600
SH
	name=$1-$$
	tmx new-session -d -s "$name" -x 120 -y 40 "sh '$tmp/$1.sh'" || fail "tmux did not start"
	ptty=$(tmx display-message -p -t "$name" '#{pane_tty}')
}

# Tests of scripts/gdb-kernel.sh: gdb and the images present, the script's
# temp dirs under $tmp (so the test sees what it leaves), TCG.
gdb_setup() {
	command -v gdb >/dev/null || skip "gdb is not installed"
	need_qemu
	need_images
	[ -f "$top/images/out/vmlinux" ] || fail "images/out/vmlinux is not built (make images)"
	TMPDIR=$tmp VMLAUNCH_OPTS="-o accel=tcg"
	export TMPDIR VMLAUNCH_OPTS
}

# The gdb lab's `current` (README, exercise 4): the task on the CPU that
# stopped, read from its per-CPU area (the GS base, while in the kernel).
gdb_current='macro define current (*(typeof(&current_task))((char *)&current_task + $gs_base))'

# gdb_session GDB_ARGS...: gdb-kernel.sh on images/mini.conf in the
# background (as $vm_pid; gdb's output in $tmp/vm.out, the script's in
# $tmp/vm.err), its console open on fd 3, and the guest's shell answering.
gdb_session() {
	: >"$tmp/vm.out"
	: >"$tmp/vm.err"
	fail_detail() { printf ': %s' "$(cat "$tmp/vm.err" "$tmp/vm.out")"; }
	"$top/scripts/gdb-kernel.sh" "$top/images/mini.conf" "$@" >"$tmp/vm.out" 2>"$tmp/vm.err" &
	vm_pid=$!
	until_ok 30 "gdb-kernel.sh printed no console line" grep -q '^gdb-kernel: console: ' "$tmp/vm.err"
	sock=$(sed -n 's/^gdb-kernel: console: .* //p' "$tmp/vm.err")
	console_open "$sock"
	console_wait 'vmlaunch: boot ok' 30
	# Input typed while the guest still boots is lost: until the shell answers.
	until_ok 20 "the guest's shell did not answer" gdb_shell_answers
}
gdb_shell_answers() {
	vm_alive || fail "gdb-kernel.sh exited$(fail_detail)"
	console_send 'echo "ready=$((40+2))"'
	sleep 0.3
	grep -q 'ready=42' "$tmp/console.log"
}

# fake_vm SOCKET GREETING RECORD CLOSE: a fake serial socket (python) in the
# background as $fake_pid: it accepts one client, sends GREETING (python
# escapes), then closes (CLOSE=1) or records what it gets in RECORD.  The
# test kills $fake_pid in its EXIT trap.
fake_vm() {
	command -v python3 >/dev/null || skip "python3 is needed for the fake serial socket"
	cat >"$tmp/fake.py" <<'PY'
import os, socket, sys
path, greet, record, close = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
s = socket.socket(socket.AF_UNIX)
s.bind(path + ".new")
s.listen(1)
os.rename(path + ".new", path)   # the socket appears only once it listens
c, _ = s.accept()
c.sendall(greet.encode().decode("unicode_escape").encode("latin-1"))
if not close:
    with open(record, "wb", buffering=0) as f:
        while True:
            b = c.recv(4096)
            if not b:
                break
            f.write(b)
c.close()
PY
	rm -f "$1"
	python3 "$tmp/fake.py" "$@" &
	fake_pid=$!
	until_ok 10 "the fake socket $1 did not appear" test -S "$1"
}

# fake_conf FILE: a config whose QEMU is tests/e2e/fake-qemu (a guest played
# by FAKE_SAY and FAKE_FLOOD), with the golden tests' minimal bzImage as its
# kernel: `vmlaunch test` of it takes no boot.
fake_conf() {
	command -v python3 >/dev/null || skip "python3 is needed for the fake QEMU"
	cat >"$1" <<CONF
kernel = $top/tests/golden/files/bzImage
qemu = $top/tests/e2e/fake-qemu
accel = tcg
CONF
}

# left_in_tmpdir: what a run left in $TMPDIR (empty when nothing).
left_in_tmpdir() { ls -A "$TMPDIR"; }

# Tests of started VMs (vmlaunch start): a private runtime directory, a
# private copy of the default disk in $rootfs, and every VM of the test
# stopped (and no QEMU on $rootfs left) when it ends.
vm_setup() {
	need_qemu
	need_images
	command -v pgrep >/dev/null || skip "pgrep is not installed"
	cd "$top" || fail "cannot cd to $top"
	XDG_RUNTIME_DIR=$tmp/run
	export XDG_RUNTIME_DIR
	mkdir -m 700 "$XDG_RUNTIME_DIR" || fail "cannot create $XDG_RUNTIME_DIR"
	rootfs=$tmp/rootfs.ext4
	copy_rootfs "$rootfs"
	trap 'vm_cleanup; cleanup' EXIT
}
vm_cleanup() {
	"$VMLAUNCH" stop --all --force >/dev/null 2>&1
	for p in $(pgrep -f "filename=$rootfs"); do kill -9 "$p" 2>/dev/null; done
}
# vm_start NAME [ARGS...]: start --wait the default image as NAME on the private disk.
vm_start() {
	n=$1
	shift
	"$VMLAUNCH" start --wait --timeout 90 -o accel=tcg -o rootfs="$rootfs" -o name="$n" \
		-o snapshot=yes "$@" images/busybox.conf >"$tmp/start.out" 2>"$tmp/start.err" ||
		fail "start $n: status $?: $(cat "$tmp/start.out" "$tmp/start.err")"
	[ "$(cat "$tmp/start.out")" = "$n" ] || fail "start $n printed '$(cat "$tmp/start.out")'"
}
# gone PID SECONDS: PID has ended (a zombie counts) within SECONDS.
gone() {
	i=0
	while st=$(ps -o stat= -p "$1") && [ "${st#Z}" = "$st" ]; do
		i=$((i + 1))
		[ "$i" -gt $(( $2 * 10 )) ] && return 1
		sleep 0.1
	done
	return 0
}

# no_qemu_left: no QEMU on the test's disk runs (a zombie counts as gone).
no_qemu_left() {
	for p in $(pgrep -f "filename=$rootfs"); do
		st=$(ps -o stat= -p "$p") && [ "${st#Z}" = "$st" ] && return 1
	done
	return 0
}

# Disk and share tests.  data_disk IMG WORD: a small ext4 image IMG (8 MiB,
# made without mounting) whose hello.txt holds WORD.
data_disk() {
	command -v mke2fs >/dev/null || skip "mke2fs (e2fsprogs) is not installed"
	rm -rf "$tmp/disk-src"
	mkdir "$tmp/disk-src" || fail "cannot make $tmp/disk-src"
	printf '%s\n' "$2" >"$tmp/disk-src/hello.txt"
	mke2fs -q -t ext4 -d "$tmp/disk-src" "$1" 8M >/dev/null || fail "mke2fs of $1 failed"
}
need_qemu_img() {
	command -v qemu-img >/dev/null || skip "qemu-img (qemu-utils) is not installed"
}

# guest COMMAND PATTERN [SECONDS]: type COMMAND into the guest's shell (on
# the console of start_vm), until PATTERN shows.  The shell echoes what is
# typed: PATTERN must match only what COMMAND prints.
guest() {
	console_send "$1"
	console_wait "$2" "${3:-30}"
}

# qmp NAME COMMAND: COMMAND (no arguments) on started VM NAME's monitor; its
# reply on stdout, status 1 on an error reply.
qmp() {
	python3 - "$XDG_RUNTIME_DIR/vmlaunch/$1/qmp.sock" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
f.readline()
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}).encode() + b"\n")
    reply = json.loads(f.readline())
    if "error" in reply:
        sys.exit(1)
print(json.dumps(reply))
PY
}

# fake_vm_setup: started VMs on tests/e2e/fake-qemu in a private runtime
# directory: $conf, a 1 MiB $tmp/disk.img, $tmp/states; all stopped at exit.
fake_vm_setup() {
	command -v python3 >/dev/null || skip "python3 is needed for the fake QEMU"
	XDG_RUNTIME_DIR=$tmp/run
	export XDG_RUNTIME_DIR
	mkdir -m 700 "$XDG_RUNTIME_DIR" "$tmp/states" || fail "cannot create $XDG_RUNTIME_DIR"
	trap '"$VMLAUNCH" stop --all --force >/dev/null 2>&1; cleanup' EXIT
	conf=$tmp/fake.conf
	fake_conf "$conf"
	head -c 1048576 /dev/zero >"$tmp/disk.img"
}
