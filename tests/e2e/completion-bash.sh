#!/bin/sh
# The bash completion (scripts/vmlaunch.bash-completion), sourced into bash
# and its function called with COMP_WORDS as readline would set them:
# command words, each command's options, -o KEY= from the key table, the
# fixed values of a key (with the word split at '=' as readline splits it,
# and whole), config files, and VM names from `vmlaunch list` for the
# lifecycle commands (a fake VM is started).  Every fixed value it offers is
# one vmlaunch accepts.
. "$(dirname "$0")/lib.sh"
command -v bash >/dev/null || skip "bash is not installed"
comp=$top/scripts/vmlaunch.bash-completion
cd "$tmp" || fail "cannot cd to $tmp"
mkdir -p confs/sub
: >confs/alpha.conf
: >confs/beta.conf
: >confs/notes.txt
fake_conf good.conf
XDG_RUNTIME_DIR=$tmp/run
export XDG_RUNTIME_DIR
mkdir -m 700 run

# c WORD...: the replies for the last WORD (the cursor), one per line, sorted.
c() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_vmlaunch || exit 1; printf "%s\n" "${COMPREPLY[@]}" | sort' sh "$comp" "$VMLAUNCH" "$@" ||
		fail "the completion function failed for: $*"
}
# expect "WORDS" REPLIES...: the replies are exactly REPLIES.
expect() {
	words=$1
	shift
	# shellcheck disable=SC2086
	got=$(c $words | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "completing '$words': got '$got', want '$want'"
}
cx() { eval "c $*"; }
expect_eval() { words=$1; shift; got=$(cx "$words" | tr '\n' ' '); want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "completing '$words': got '$got', want '$want'"; }

# Command words (and configs, since a CONFIG alone means run).
cx "''" | grep -qx check || fail "no command words: $(cx "''")"
expect "ch" check
expect "st" start status stop
expect "sa" save
expect "ex" exec export
expect "export --f" --format
expect "export --format l" libvirt
# Options of each command, and global ones before the command word.
expect "check --" --json
expect "doctor -" --json
expect "list -" --json
expect "stop --" --force --timeout --all
expect "console --" --replay --timeout
expect "start --" --wait --timeout --restore
expect "save --" --stop --timeout
expect "run --r" --restore
expect "test --res" --restore
expect "start --restore confs/n" confs/notes.txt
expect "test --j" --junit --json
expect "test --e" --expect --exit-status
expect "--v" --version
# -o KEY=: every key of the table vmlaunch --help prints, then fixed values.
keys=$("$VMLAUNCH" --help | sed -n '/^config keys/,/^$/s/^  \([a-z_]*\) .*/\1=/p' | sort | tr '\n' ' ')
[ "$(cx "run -o ''" | tr '\n' ' ')" = "$keys" ] || fail "-o keys: $(cx "run -o ''")"
expect "check -o net_b" net_backend=
expect "run -o accel=" accel=kvm accel=tcg accel=auto
expect_eval "run -o accel = ''" kvm tcg auto
expect "run -o accel = t" tcg
expect "test -o machine=m" machine=microvm
expect "-o snapshot=" snapshot=yes snapshot=no
expect "start -o net=" net=none net=virtio net=e1000
expect "run -o debug_exit = y" yes
# Config files: *.conf and directories, not other files.
expect "check confs/" confs/alpha.conf confs/beta.conf confs/sub/
expect "run confs/a" confs/alpha.conf
expect "test -j 2 confs/b" confs/beta.conf
# A path key's value is a file.
expect "run -o kernel=confs/n" kernel=confs/notes.txt

# VM names from vmlaunch list, for status, exec, stop and console.
trap '"$VMLAUNCH" stop --all --force >/dev/null 2>&1; cleanup' EXIT
"$VMLAUNCH" start -o name=compvm good.conf >/dev/null 2>"$tmp/err" || fail "start: $(cat "$tmp/err")"
"$VMLAUNCH" start -o name=compother good.conf >/dev/null 2>"$tmp/err" || fail "start: $(cat "$tmp/err")"
expect_eval "stop ''" compvm compother
expect "status compv" compvm
expect "exec compo" compother
expect "save compv" compvm
expect "save compvm confs/n" confs/notes.txt
expect_eval "exec compvm ''" --
expect_eval "exec compvm -- ''"
cx "console comp" | grep -qx compvm || fail "console: no VM names: $(cx "console comp")"
"$VMLAUNCH" stop --all --force >/dev/null 2>&1

# Every fixed value offered is one vmlaunch takes; a wrong one would be refused.
for key in accel machine serial snapshot gdb_wait debug_exit net net_backend; do
	for v in $(cx "run -o $key = ''"); do
		"$VMLAUNCH" check -o "$key=$v" good.conf >/dev/null 2>"$tmp/err"
		if grep -q "is not one of\|'$v' is not" "$tmp/err"; then
			fail "the completion offers $key=$v, which vmlaunch refuses: $(cat "$tmp/err")"
		fi
	done
done
"$VMLAUNCH" check -o accel=bogus good.conf >/dev/null 2>"$tmp/err"
grep -q "is not one of" "$tmp/err" || fail "a wrong value is not refused as expected: $(cat "$tmp/err")"
exit 0
