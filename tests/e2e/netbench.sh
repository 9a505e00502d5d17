#!/bin/sh
# e2e-exclusive: a benchmark (throughput and round trips on the host clock)
# scripts/netbench --quick runs (so the benchmark cannot rot): both cards
# measured on user networking, numbers in the table for every metric, the
# accelerator printed, the data file (and with gnuplot the plot) written.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
"$top/scripts/netbench" --quick --accel tcg --plot "$tmp/nb.png" >"$tmp/out" 2>&1 ||
	fail "netbench --quick failed: $(tail -n 25 "$tmp/out")"
grep -q 'accel=tcg' "$tmp/out" || fail "no accelerator in the output: $(cat "$tmp/out")"
num='[0-9]+\.[0-9]+ \[[0-9.]+-[0-9.]+\]'
for nic in e1000 virtio; do
	grep -Eq "^user +$nic +$num +$num +$num *$" "$tmp/out" ||
		fail "no numbers for user/$nic in: $(cat "$tmp/out")"
done
grep -Eq '^user +v/e +x[0-9]' "$tmp/out" || fail "no virtio/e1000 ratio in: $(cat "$tmp/out")"
grep -q '^tap ' "$tmp/out" && fail "--quick measured tap"
[ "$(grep -c '^user/' "$tmp/nb.dat" 2>/dev/null)" = 2 ] || fail "no data file with two rows: $tmp/nb.dat"
if command -v gnuplot >/dev/null; then
	[ -s "$tmp/nb.png" ] || fail "gnuplot is installed but no plot was written"
fi
exit 0
