#!/bin/sh
# scripts/debian-kernel with apt and dpkg stubbed (no network): two runs at
# once fetch once (flock) and leave the cache a symlink to one complete
# directory; a new version is swapped in with one rename and the old
# directory goes; a cache without .package that holds the wanted kernel is
# adopted, not fetched again; fetch-debian-kernel names a real kernel when
# it cannot make boot/vmlinuz.
. "$(dirname "$0")/lib.sh"
mkdir "$tmp/bin" || fail "mkdir"
echo 1 >"$tmp/ver"
cat >"$tmp/bin/apt-cache" <<STUB
#!/bin/sh
v=\$(cat "$tmp/ver")
case "\$1" in
depends) echo "linux-image-amd64"; echo "  Depends: linux-image-6.1.0-\$v-amd64" ;;
show) echo "Version: 6.1.\$v-1" ;;
esac
STUB
cat >"$tmp/bin/apt-get" <<STUB
#!/bin/sh
[ "\$1" = download ] || exit 0
echo x >>"$tmp/downloads"
sleep 1     # the other run waits on the lock meanwhile
: >"\$3.deb"
STUB
cat >"$tmp/bin/dpkg" <<STUB
#!/bin/sh
v=\$(cat "$tmp/ver")
mkdir -p "\$3/boot" "\$3/lib/modules/6.1.0-\$v-amd64" && echo k >"\$3/boot/vmlinuz-6.1.0-\$v-amd64"
STUB
chmod +x "$tmp/bin/"*
PATH=$tmp/bin:$PATH
VMLAUNCH_CACHE=$tmp/c
export PATH VMLAUNCH_CACHE
"$top/scripts/debian-kernel" "$tmp/l1" 2>"$tmp/err1" & p1=$!
"$top/scripts/debian-kernel" "$tmp/l2" 2>"$tmp/err2" & p2=$!
wait $p1 || fail "run 1: $(cat "$tmp/err1")"
wait $p2 || fail "run 2: $(cat "$tmp/err2")"
[ "$(wc -l <"$tmp/downloads")" -eq 1 ] || fail "two runs fetched $(wc -l <"$tmp/downloads") times"
[ -L "$tmp/c/debian-kernel" ] || fail "the cache is not a symlink"
[ -e "$tmp/l1/boot/vmlinuz-6.1.0-1-amd64" ] && [ -e "$tmp/l2/boot/vmlinuz" ] ||
	fail "the links name no kernel: $(ls -lR "$tmp/c")"
first=$(readlink "$tmp/c/debian-kernel")
[ "$(ls -d "$tmp/c"/debian-kernel.* | wc -l)" -eq 1 ] || fail "left over: $(ls -a "$tmp/c")"
# A new version: another directory, swapped in; the old one is gone.
echo 2 >"$tmp/ver"
"$top/scripts/debian-kernel" "$tmp/l1" 2>"$tmp/err1" || fail "run 3: $(cat "$tmp/err1")"
[ -e "$tmp/l1/boot/vmlinuz-6.1.0-2-amd64" ] || fail "not the new kernel: $(ls -lR "$tmp/c")"
[ "$(readlink "$tmp/c/debian-kernel")" != "$first" ] && [ ! -e "$tmp/c/$first" ] ||
	fail "the old directory stayed: $(ls -a "$tmp/c")"
# The old layout: a directory without .package, with the wanted kernel: used as it is.
rm -rf "$tmp/c" && mkdir -p "$tmp/c/debian-kernel/boot" &&
	echo k >"$tmp/c/debian-kernel/boot/vmlinuz-6.1.0-2-amd64" || fail "mkdir"
: >"$tmp/downloads"
"$top/scripts/debian-kernel" "$tmp/l1" 2>"$tmp/err1" || fail "run 4: $(cat "$tmp/err1")"
[ ! -s "$tmp/downloads" ] || fail "an old cache of the wanted kernel was fetched again"
# A directory holding a kernel already: no boot/vmlinuz link, so the line names the newest file.
echo 3 >"$tmp/ver"
out=$("$top/scripts/fetch-debian-kernel" "$tmp/c/debian-kernel" linux-image-6.1.0-9-amd64 2>/dev/null) ||
	fail "fetch-debian-kernel failed"
printf '%s\n' "$out" | grep -qx "kernel = $tmp/c/debian-kernel/boot/vmlinuz-6.1.0-3-amd64" ||
	fail "fetch-debian-kernel printed: $out"
exit 0
