#!/bin/sh
# A real Unikraft unikernel (app-helloworld, built by Unikraft's own build
# system; ../shared/fixtures/unikraft/, see its README) boots from
# images/unikraft-helloworld.conf under TCG, prints its banner and exactly
# the arguments of append, and ends the VM itself: with debug_exit = 0x501
# (Unikraft's port) its clean exit's 41 is vmlaunch's status; without the
# device its ACPI power-off gives QEMU's, and vmlaunch's, 0.
. "$(dirname "$0")/lib.sh"
[ -d "$top/../shared/fixtures/unikraft" ] ||
	skip "no ../shared/fixtures/unikraft (third-party Unikraft images, not in this repository)"
need_qemu
conf=$top/images/unikraft-helloworld.conf

boot() {   # boot WANT_STATUS APPEND [ARGS...]
	want=$1 args=$2
	shift 2
	timeout 60 "$VMLAUNCH" run -o accel=tcg -o append="$args" "$@" "$conf" \
		</dev/null >"$tmp/raw" 2>"$tmp/err"
	status=$?
	tr -d '\r' <"$tmp/raw" >"$tmp/out"
	[ "$status" -eq "$want" ] ||
		fail "append '$args' $*: exit $status, want $want; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
	grep -q 'Calypso 0\.17\.0' "$tmp/out" || fail "no Unikraft banner: $(cat "$tmp/out")"
	grep -qx 'Hello world!' "$tmp/out" || fail "no 'Hello world!': $(cat "$tmp/out")"
	[ ! -s "$tmp/err" ] || fail "stderr is not empty: $(cat "$tmp/err")"
}

token=uk$$
boot 41 "one $token three"
# Its arguments, word by word after its own path (QEMU's -kernel file).
grep -q "^Arguments:  \"[^\"]*/helloworld\" \"one\" \"$token\" \"three\"" "$tmp/out" ||
	fail "arguments: $(grep Arguments "$tmp/out")"

# Without the device the same clean exit is QEMU's ACPI power-off: 0.
boot 0 "no device" -o debug_exit=no
grep -q '"no" "device"' "$tmp/out" || fail "arguments: $(grep Arguments "$tmp/out")"
exit 0
