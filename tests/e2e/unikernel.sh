#!/bin/sh
# Our unikernel (images/unikernel.conf: a multiboot kernel, no rootfs) boots
# under TCG, prints its greeting and exactly the arguments of append, and
# `vmlaunch run` exits with the status it asked for with exit=N, for two
# values and for none (0).
. "$(dirname "$0")/lib.sh"
need_qemu
uk=$top/images/out/unikernel.elf
[ -f "$uk" ] || fail "images/out/unikernel.elf is not built (make images)"

boot() {   # boot WANT_STATUS APPEND
	timeout 60 "$VMLAUNCH" run -o accel=tcg -o append="$2" "$top/images/unikernel.conf" \
		</dev/null >"$tmp/raw" 2>"$tmp/err"
	status=$?
	tr -d '\r' <"$tmp/raw" >"$tmp/out"     # a serial line ends in CR LF
	[ "$status" -eq "$1" ] ||
		fail "append '$2': exit $status, want $1; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
	grep -q '^vmlaunch unikernel: hello' "$tmp/out" || fail "no greeting: $(cat "$tmp/out")"
	# Only the arguments: not QEMU's kernel path, not a console= of vmlaunch's.
	grep -qx "cmdline: $2" "$tmp/out" || fail "arguments: $(grep cmdline "$tmp/out"), want: cmdline: $2"
	[ ! -s "$tmp/err" ] || fail "stderr is not empty: $(cat "$tmp/err")"
}
boot 7 "exit=7 from the unikernel test"
boot 42 "answer exit=42"
boot 0 "no status given"

# A status QEMU cannot carry ((N << 1) | 1 must fit in 8 bits) is refused.
boot 127 "exit=200"
grep -q 'exit=' "$tmp/out" || fail "no message about exit=200: $(cat "$tmp/out")"

# vmlaunch test: the console checks pass; a guest that ends the VM early
# through isa-debug-exit fails the run with its status in the reason.
"$VMLAUNCH" test -o accel=tcg --ready 'vmlaunch unikernel: hello' --expect 'cmdline: hello from' \
	"$top/images/unikernel.conf" >"$tmp/out" 2>&1 || fail "test: $(cat "$tmp/out")"
"$VMLAUNCH" test -o accel=tcg -o append=exit=5 --ready 'cmdline:' --expect 'never printed' \
	"$top/images/unikernel.conf" >"$tmp/out" 2>&1
status=$?
[ "$status" -eq 1 ] || fail "test of an early exit: status $status: $(cat "$tmp/out")"
grep -q 'isa-debug-exit with status 5 before the test was done' "$tmp/out" ||
	fail "test of an early exit: $(cat "$tmp/out")"
exit 0
