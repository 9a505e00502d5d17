#!/bin/sh
# e2e-timeout: 180
# The Debian package: dpkg-buildpackage -us -uc -b in a clean copy of the
# sources (git's files only: no build/, no images/out, no ../shared beside
# it; without network when unshare can take it away) builds
# vmlaunch_VERSION_ARCH.deb with exactly the expected files, the Depends
# vmlaunch run needs, and no lintian error.  Then the package is unpacked
# into a throw-away root (dpkg -x): the installed binary runs and says the
# changelog's version (bumped in the copy's changelog alone), the installed
# man pages render with it, the
# completion loads from its installed path, both scripts run from theirs;
# the root is removed.
. "$(dirname "$0")/lib.sh"
for t in dpkg-buildpackage dh lintian git; do
	command -v $t >/dev/null || skip "$t is not installed (apt-get install debhelper dpkg-dev lintian git)"
done
command -v man >/dev/null || skip "man (man-db) is not installed"
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$top/debian/changelog")
[ -n "$version" ] || fail "no version in debian/changelog"
arch=$(dpkg --print-architecture)

# A clean copy: what a clone would hold (files not yet committed included).
src=$tmp/b/vmlaunch-$version
mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 tar -c --no-recursion -f -) |
	tar -x -C "$src" || fail "cannot copy the sources"
[ ! -e "$src/build" ] && [ ! -e "$src/images/out" ] || fail "the copy is not clean"
# One source of truth: bumped in the changelog alone, the version must show
# in the package, --version and both man pages.
version=$version.99
sed -i "1s/([^)]*)/($version)/" "$src/debian/changelog"
offline=
[ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null && offline="unshare -n"
start=$(date +%s)
(cd "$src" && $offline dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 ||
	fail "dpkg-buildpackage failed: $(tail -n 30 "$tmp/build.log")"
echo "built in $(( $(date +%s) - start )) s${offline:+ (without network)}"
deb=$tmp/b/vmlaunch_${version}_$arch.deb
[ -f "$deb" ] || fail "no $deb: $(ls "$tmp/b")"

# The file list, exactly.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $1, $6 }' | sort >"$tmp/files"
sort >"$tmp/want" <<LIST
-rw-r--r-- ./usr/share/bash-completion/completions/vmlaunch
-rw-r--r-- ./usr/share/doc/vmlaunch/README.md.gz
-rw-r--r-- ./usr/share/doc/vmlaunch/changelog.gz
-rw-r--r-- ./usr/share/doc/vmlaunch/copyright
-rw-r--r-- ./usr/share/lintian/overrides/vmlaunch
-rw-r--r-- ./usr/share/man/man1/vmlaunch.1.gz
-rw-r--r-- ./usr/share/man/man5/vmlaunch.conf.5.gz
-rwxr-xr-x ./usr/bin/vmlaunch
-rwxr-xr-x ./usr/share/vmlaunch/scripts/connect_to_socket.sh
-rwxr-xr-x ./usr/share/vmlaunch/scripts/gdb-kernel.sh
LIST
diff "$tmp/want" "$tmp/files" >"$tmp/diff" || fail "the package's files differ (- expected, + got): $(cat "$tmp/diff")"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version $(dpkg-deb -f "$deb" Version)"
dpkg-deb -f "$deb" Depends | grep -q 'qemu-system-x86' || fail "Depends: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -f "$deb" Suggests | grep -q 'gdb' || fail "Suggests: $(dpkg-deb -f "$deb" Suggests)"

# lintian: no error (warnings are shown; tags overridden in debian/ are not).
lintian --fail-on error "$deb" >"$tmp/lintian" 2>&1 || fail "lintian: $(cat "$tmp/lintian")"
grep -v 'running with root privileges' "$tmp/lintian" | sed 's/^/lintian: /'

# Installed into a throw-away root.
root=$tmp/root
dpkg -x "$deb" "$root" || fail "dpkg -x failed"
bin=$root/usr/bin/vmlaunch
[ "$("$bin" --version)" = "vmlaunch $version" ] || fail "installed --version: $("$bin" --version)"
cp "$top/tests/golden/files/bzImage" "$tmp/bzImage"
printf 'kernel = bzImage\nqemu = /bin/true\naccel = tcg\n' >"$tmp/min.conf"
"$bin" check --json "$tmp/min.conf" | grep -q '"ok":true' || fail "the installed binary cannot check a config"
for page in man1/vmlaunch.1 man5/vmlaunch.conf.5; do
	MANWIDTH=80 man -l "$root/usr/share/man/$page.gz" >"$tmp/page" 2>"$tmp/page.err" ||
		fail "man -l $page: $(cat "$tmp/page.err")"
	[ ! -s "$tmp/page.err" ] || fail "man -l $page warns: $(cat "$tmp/page.err")"
	tail -n 1 "$tmp/page" | grep -q "vmlaunch $version" || fail "$page does not say version $version: $(tail -n 1 "$tmp/page")"
done
MANWIDTH=80 man -l "$root/usr/share/man/man1/vmlaunch.1.gz" 2>/dev/null |
	grep -q '/share/vmlaunch/scripts/gdb-kernel.sh' || fail "vmlaunch(1) does not document the scripts' path"
bash -c '. "$1" && complete -p vmlaunch' sh "$root/usr/share/bash-completion/completions/vmlaunch" |
	grep -q '_vmlaunch vmlaunch' || fail "the installed completion does not register"
# The scripts, installed: each finds the installed vmlaunch in PATH.
env -u VMLAUNCH PATH=$root/usr/bin:$PATH "$root/usr/share/vmlaunch/scripts/connect_to_socket.sh" --timeout 1 \
	"$tmp/nosuch.sock" >"$tmp/out" 2>&1
grep -q 'nosuch.sock' "$tmp/out" || fail "connect_to_socket.sh, installed: $(cat "$tmp/out")"
env -u VMLAUNCH PATH=$root/usr/bin:$PATH GDB=true "$root/usr/share/vmlaunch/scripts/gdb-kernel.sh" "$tmp/nosuch.conf" \
	>"$tmp/out" 2>&1
grep -q 'vmlaunch not found' "$tmp/out" && fail "gdb-kernel.sh, installed, finds no vmlaunch: $(cat "$tmp/out")"
grep -q 'nosuch.conf' "$tmp/out" || fail "gdb-kernel.sh, installed: $(cat "$tmp/out")"
rm -rf "$root"
[ ! -e "$root" ] || fail "the throw-away root was not removed"
exit 0
