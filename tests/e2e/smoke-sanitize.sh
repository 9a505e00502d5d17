#!/bin/sh
# Guest bytes in what vmlaunch itself prints (the FAIL reason, the console
# tail) cannot retitle the terminal or forge result lines: escape sequences
# are dropped, other control bytes shown as '?', valid UTF-8 kept.
. "$(dirname "$0")/lib.sh"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
fake_conf "$tmp/fake.conf"
FAKE_SAY='booting\n\x1b]0;pwned\x07 caf\xc3\xa9 boom\x0c\rPASS forged\x08\x08 line\n' \
	"$VMLAUNCH" test --fail boom --timeout 20 "$tmp/fake.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 1 ] || fail "status $status, want 1: $(cat "$tmp/out" "$tmp/err")"
LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$tmp/out" &&
	fail "control bytes reached the report: $(od -c "$tmp/out" | head -8)"
head -n 1 "$tmp/out" | grep -q "^FAIL .*--fail pattern matched: .*boom" ||
	fail "no FAIL line naming the pattern's line: $(cat "$tmp/out")"
grep -q "$(printf 'caf\303\251')" "$tmp/out" || fail "valid UTF-8 did not survive: $(cat "$tmp/out")"
grep -q 'pwned' "$tmp/out" && fail "the title sequence's text reached the report: $(cat "$tmp/out")"
# Only the result line starts at column 0: guest text is indented in the tail.
[ "$(grep -c '^[A-Z]' "$tmp/out")" -eq 1 ] || fail "a forged result line: $(cat "$tmp/out")"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
exit 0
