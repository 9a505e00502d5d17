#!/bin/sh
# --transcript and --junit are opened before anything starts and without
# blocking: a FIFO nobody reads is an error at once (71), not a hang that
# only SIGKILL ends; a reader that stops reading loses the rest of the
# transcript with a warning, and vmlaunch goes on.
. "$(dirname "$0")/lib.sh"
TMPDIR=$tmp/runs
export TMPDIR
mkdir "$TMPDIR"
fake_conf "$tmp/fake.conf"
mkfifo "$tmp/fifo"
for opt in --transcript --junit; do
	timeout 10 "$VMLAUNCH" test --timeout 5 $opt "$tmp/fifo" "$tmp/fake.conf" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -eq 71 ] || fail "$opt FIFO without a reader: status $status, want 71: $(cat "$tmp/out" "$tmp/err")"
	grep -q "cannot write $tmp/fifo: it is a FIFO that nobody reads" "$tmp/err" ||
		fail "$opt: no clear message: $(cat "$tmp/err")"
	[ -z "$(left_in_tmpdir)" ] || fail "$opt: left behind in TMPDIR: $(left_in_tmpdir)"
done
# A reader that opens the FIFO and never reads: the transcript's writes give up.
sleep 30 <"$tmp/fifo" &
reader=$!
FAKE_FLOOD=300000 timeout 30 "$VMLAUNCH" test --timeout 3 \
	--transcript "$tmp/fifo" "$tmp/fake.conf" "$tmp/fake.conf" >"$tmp/out" 2>"$tmp/err"
status=$?
kill "$reader" 2>/dev/null
[ "$status" -eq 124 ] || fail "a stalled transcript reader: status $status, want 124: $(cat "$tmp/out" "$tmp/err")"
grep -q "cannot write the transcript $tmp/fifo: nobody reads it; the rest of it is lost" "$tmp/err" ||
	fail "no warning about the lost transcript: $(cat "$tmp/err")"
[ "$(grep -c '^TIMEOUT' "$tmp/out")" -eq 2 ] || fail "both runs should be reported: $(cat "$tmp/out")"
[ -z "$(left_in_tmpdir)" ] || fail "left behind in TMPDIR: $(left_in_tmpdir)"
exit 0
