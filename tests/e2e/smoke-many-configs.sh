#!/bin/sh
# `vmlaunch test` of more configs than its limit of open files (RLIMIT_NOFILE
# 40, 100 configs, -j 2): only the running jobs hold descriptors and are
# polled, so every config gets its result line (here FAIL: a QEMU that exits
# at start), the status is 1, there is no poll error, and nothing is left
# in TMPDIR.  And whatever the limit, when a run cannot even open the
# directory it just made, that directory is not left behind.
. "$(dirname "$0")/lib.sh"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
cd "$tmp" || fail "cannot cd to $tmp"
n=0
set --
while [ "$n" -lt 100 ]; do
	n=$((n + 1))
	printf 'kernel = %s\naccel = tcg\n' "$top/tests/golden/files/bzImage" >"c$n.conf"
	set -- "$@" "c$n.conf"
done
(
	ulimit -n 40 || exit 99
	exec "$VMLAUNCH" test -j 2 -o qemu=/bin/false --timeout 10 "$@"
) >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 99 ] && skip "cannot lower the limit of open files"
grep -q 'poll' "$tmp/err" && fail "a poll error: $(head -n 3 "$tmp/err")"
[ "$status" -eq 1 ] || fail "status $status, want 1: $(head -n 3 "$tmp/out" "$tmp/err")"
lines=$(grep -c '^[A-Z]' "$tmp/out")
[ "$lines" -eq 100 ] || fail "$lines result lines, want 100: $(head -n 5 "$tmp/out" "$tmp/err")"
fails=$(grep -c '^FAIL  *c[0-9]*\.conf (.*QEMU exited at start' "$tmp/out")
[ "$fails" -eq 100 ] || fail "$fails lines of FAIL ... QEMU exited at start, want 100: $(grep -v '^FAIL' "$tmp/out" | head -n 5)"
n=0
while [ "$n" -lt 100 ]; do
	n=$((n + 1))
	[ "$(grep -c "^FAIL  *c$n\.conf " "$tmp/out")" -eq 1 ] || fail "c$n.conf has not exactly one result line"
done
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir | head -n 5)"

# Limits so low that runs cannot be set up (the directory made but not
# opened, its lock or logs not created): each of 10 configs still gets its
# line, the status says a setup failed (71), and nothing is left.  A limit too
# low to read the configs (66) does not count; one must have made a run dir.
shift 90
lim=3 seen=
while [ "$lim" -lt 12 ]; do
	lim=$((lim + 1))
	(
		ulimit -n "$lim" || exit 99
		exec "$VMLAUNCH" test -j 2 -o qemu=/bin/false --timeout 10 "$@"
	) >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -eq 99 ] && skip "cannot lower the limit of open files"
	[ "$status" -eq 66 ] && grep -q 'cannot open config file' "$tmp/err" && continue
	[ "$status" -eq 71 ] || [ "$status" -eq 1 ] ||
		fail "limit $lim: status $status, want 71 or 1: $(head -n 3 "$tmp/out" "$tmp/err")"
	lines=$(grep -c '^[A-Z]' "$tmp/out")
	[ "$lines" -eq 10 ] || fail "limit $lim: $lines result lines, want 10: $(head -n 5 "$tmp/out" "$tmp/err")"
	[ -z "$(left_in_tmpdir)" ] || fail "limit $lim: left behind in TMPDIR: $(left_in_tmpdir | head -n 5): $(head -n 2 "$tmp/out")"
	grep -q 'cannot create its directory' "$tmp/out" && seen=1
done
[ -n "$seen" ] || fail "no limit from 4 to 12 made a run fail to create its directory"
exit 0
