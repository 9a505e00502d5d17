#!/bin/sh
# e2e-exclusive: runs make run in the source tree (images, the shared caches)
# `make run` in a terminal reaches a root shell in the default VM, a command
# typed there runs in the guest, and `poweroff` ends it.  (RUN_OPTS keeps the
# image unchanged; accel=auto picks TCG on hosts without usable KVM.)
. "$(dirname "$0")/lib.sh"
need_qemu
need_images
command -v tmux >/dev/null || skip "tmux is not installed"
trap 'tmx kill-server 2>/dev/null; cleanup' EXIT
name=make-run
fail_detail() { printf '; pane: %s' "$(tmx capture-pane -p -t "$name" 2>&1 | tail -n 15)"; }
tmx new-session -d -s "$name" -x 150 -y 50 \
	"cd '$top' && make -s run RUN_OPTS='-o snapshot=yes -o accel=tcg'; echo make-status=\$?; sleep 60" ||
	fail "tmux did not start"
until_ok "$BOOT_TIMEOUT" "no boot marker in the terminal" pane_has 'vmlaunch: boot ok'
until_ok 20 "no shell prompt" pane_has 'vmlaunch:/#'
tmx send-keys -t "$name" 'echo "answer=$((6*7))"' Enter
until_ok 20 "the command did not run in the guest" pane_has 'answer=42'
tmx send-keys -t "$name" 'poweroff' Enter
until_ok 60 "make run did not end after poweroff" pane_has 'make-status='
pane_has 'make-status=0' || fail "make run did not exit 0"
exit 0
