#!/bin/sh
# vmlaunch test checks every pattern before anything starts: an invalid
# --expect, --ready or --fail is a usage error (64) and QEMU is never run.
. "$(dirname "$0")/lib.sh"
need_images
cd "$top" || fail "cannot cd to $top"
export TMPDIR="$tmp/runs"
mkdir "$TMPDIR" || fail "cannot create $TMPDIR"
# A QEMU that leaves a mark whenever it is run, even for --version.
cat >"$tmp/qemu" <<STUB
#!/bin/sh
touch "$tmp/qemu-ran"
exit 1
STUB
chmod +x "$tmp/qemu" || fail "cannot make the QEMU stub"

vmtest() {
	"$VMLAUNCH" test -o qemu="$tmp/qemu" -o accel=tcg "$@" images/busybox.conf \
		>"$tmp/out" 2>"$tmp/err"
	status=$?
}

for opt in --expect --ready --fail; do
	vmtest --send true "$opt" 'x('
	[ "$status" -eq 64 ] || fail "$opt 'x(': status $status, want 64: $(cat "$tmp/out" "$tmp/err")"
	grep -q "invalid regular expression 'x('" "$tmp/err" ||
		fail "$opt 'x(': no word of the bad pattern: $(cat "$tmp/err")"
	[ -s "$tmp/out" ] && fail "$opt 'x(': results on stdout: $(cat "$tmp/out")"
	[ -e "$tmp/qemu-ran" ] && fail "$opt 'x(': QEMU was run"
	[ -z "$(ls -A "$TMPDIR")" ] || fail "$opt 'x(': left behind in TMPDIR: $(ls -A "$TMPDIR")"
done

# One bad pattern among good ones, after a good config: still nothing runs.
vmtest --expect ok --fail 'a[' --expect 'fine'
[ "$status" -eq 64 ] || fail "--fail 'a[': status $status, want 64: $(cat "$tmp/out" "$tmp/err")"
[ -e "$tmp/qemu-ran" ] && fail "--fail 'a[': QEMU was run"

# The control: with good patterns the stub is run (and fails the run).
vmtest --expect ok --timeout 10
[ "$status" -eq 1 ] || fail "good patterns: status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
[ -e "$tmp/qemu-ran" ] || fail "good patterns: the QEMU stub was not run, so this test proves nothing"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind in TMPDIR: $(ls -A "$TMPDIR")"
exit 0
