#!/bin/sh
# e2e-exclusive: runs make install in the source tree
# make install and uninstall honour PREFIX and DESTDIR: the binary and both
# man pages go in, and all of them come out again.
. "$(dirname "$0")/lib.sh"
dest=$tmp/dest
make -s -C "$top" install DESTDIR="$dest" PREFIX=/opt/vml >"$tmp/out" 2>&1 || fail "make install: $(cat "$tmp/out")"
for f in bin/vmlaunch share/man/man1/vmlaunch.1 share/man/man5/vmlaunch.conf.5; do
	[ -f "$dest/opt/vml/$f" ] || fail "make install did not install $f"
done
"$dest/opt/vml/bin/vmlaunch" --version | grep -q '^vmlaunch [0-9]' || fail "the installed binary does not run"
make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/opt/vml >"$tmp/out" 2>&1 || fail "make uninstall: $(cat "$tmp/out")"
left=$(find "$dest" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
exit 0
