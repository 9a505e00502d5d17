#!/bin/sh
# Built images are up to date: a second `make images` has nothing to do
# (make -q), and the kernel script with a warm cache only copies.
. "$(dirname "$0")/lib.sh"
need_images
make -s -C "$top" -q images || fail "make images would rebuild something right after a build"
out=$("$top/scripts/build-kernel" "$tmp/k" 2>&1) || fail "build-kernel failed: $out"
echo "$out" | grep -q "<- .*kernel-" || fail "build-kernel did not take the cache: $out"
cmp -s "$tmp/k/bzImage" "$top/images/out/bzImage" || fail "the cached bzImage differs from images/out"
exit 0
