#!/bin/sh
# e2e-exclusive: a benchmark (boot times, runs per minute) and make in the tree
# scripts/bootbench --quick runs (so the benchmark cannot rot): every variant
# boots, and it prints its table with the accelerator and writes its files.
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
"$top/scripts/bootbench" --quick --out "$tmp/bench" >"$tmp/out" 2>&1 || fail "bootbench --quick failed: $(tail -n 15 "$tmp/out")"
grep -q 'accel=tcg' "$tmp/out" || fail "no accelerator in the output"
for v in lab vmlaunch-lab vmlaunch-fast restore restore-exit; do
	grep -Eq "^$v +1/1 " "$tmp/out" || fail "no boot of variant $v in: $(cat "$tmp/out")"
done
grep -Eq "^test --restore -j 2: [0-9]+ runs in .* runs per minute$" "$tmp/out" ||
	fail "no restore throughput in: $(cat "$tmp/out")"
[ -s "$tmp/bench/results.txt" ] || fail "no results.txt"
if command -v gnuplot >/dev/null; then
	[ -s "$tmp/bench/results.png" ] || fail "gnuplot is installed but no plot was written"
fi
exit 0
