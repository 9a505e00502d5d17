#!/bin/sh
# Every --json (check, doctor, test, list, status) is one JSON document that
# python3's json module parses strictly (raw control characters in strings
# refused), with the documented fields, also when the strings hold control
# characters and invalid UTF-8 (a config named "a\001\033\377b.conf", a
# guest printing escape sequences and bad bytes).  No VM boots: the QEMU is
# tests/e2e/fake-qemu.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to parse the JSON"
cd "$tmp" || fail "cannot cd to $tmp"
cp "$top/tests/golden/files/bzImage" bzImage
weird="a$(printf '\001\033\377')b.conf"
printf 'kernel = bzImage\nqemu = %s\naccel = tcg\n' "$top/tests/e2e/fake-qemu" >"$weird"
printf 'kernel = bzImage\nqemu = %s\naccel = tcg\nmemory = lots\nwarp = 9\n' \
	"$top/tests/e2e/fake-qemu" >bad.conf

# jcheck FILE PYTHON: FILE parses as JSON (as bytes, UTF-8 strictly) into v;
# PYTHON asserts on it.  W is the weird name as JSON reads it back.
jcheck() {
	python3 - "$1" "$2" <<'PY' || fail "$1: $(od -c "$1" | head -20)"
import json, sys
raw = open(sys.argv[1], "rb").read()
v = json.loads(raw.decode("utf-8"))     # strict: raw control characters are errors
W = "a\x01\x1b\ufffdb.conf"
exec(sys.argv[2])
PY
}

# check: one object per config, errors and warnings with file and line.
"$VMLAUNCH" check --json "$weird" bad.conf -o cpus=2 >check.json 2>check.err
[ $? -eq 65 ] || fail "check --json of a bad config: not status 65: $(cat check.err)"
jcheck check.json '
assert isinstance(v, list) and len(v) == 2, v
good, bad = v
assert good["config"] == W and good["ok"] is True and good["status"] == 0, good
assert good["errors"] == [] and good["warnings"] == [], good
assert bad["config"] == "bad.conf" and bad["ok"] is False and bad["status"] == 65, bad
lines = sorted(e["line"] for e in bad["errors"])
assert lines == [4, 5], bad["errors"]
assert all(e["file"] == "bad.conf" and e["message"] for e in bad["errors"]), bad
assert not any(e["message"].startswith("vmlaunch:") for e in bad["errors"]), bad
'
# The messages still go to stderr as text; stdout holds the JSON alone.
grep -q '^vmlaunch: bad.conf:4: ' check.err || fail "check --json: no text on stderr: $(cat check.err)"
# Without --json the output is as before.
"$VMLAUNCH" check "$weird" >check.txt 2>&1 || fail "check of a good config failed"
[ "$(cat check.txt)" = "$weird: configuration OK" ] || fail "check text changed: $(cat check.txt)"
# A -o error has no line: null.  A missing file: an error without a line too.
"$VMLAUNCH" check --json -o memory=x "$weird" nosuch.conf >o.json 2>/dev/null
jcheck o.json '
e = v[0]["errors"][0]
assert e["line"] is None and e["file"].startswith("-o"), e
assert v[1]["ok"] is False and v[1]["status"] == 66, v[1]
'
# Warnings are listed under -q too (stderr stays quiet).
"$VMLAUNCH" -q check --json -o gdb_wait=yes "$weird" >w.json 2>w.err || fail "check -q --json: $(cat w.err)"
[ ! -s w.err ] || fail "check -q --json printed: $(cat w.err)"
jcheck w.json '
w = v[0]["warnings"]
assert v[0]["ok"] is True and len(w) == 1 and "gdb_wait" in w[0]["message"], v
'
# --json is refused where it means nothing.
"$VMLAUNCH" print --json "$weird" >/dev/null 2>&1
[ $? -eq 64 ] || fail "print --json is not a usage error"

# doctor: the host's facts as one object.
VMLAUNCH_KVM_DEVICE=/nonexistent/kvm "$VMLAUNCH" doctor --json "$weird" >doctor.json 2>&1 ||
	fail "doctor --json: $(cat doctor.json)"
jcheck doctor.json '
assert v["qemu"]["path"].endswith("fake-qemu") and v["qemu"]["problem"] is None, v["qemu"]
assert "vmlaunch fake" in v["qemu"]["version"], v["qemu"]
k = v["kvm"]
assert k["device"] == "/nonexistent/kvm" and k["state"] == "missing" and k["usable"] is False, k
assert k["reason"].startswith("/nonexistent/kvm does not exist") and k["fix"], k
assert v["auto"] == "tcg" and v["status"] == 0, v
c = v["config"]
assert c["config"] == W and c["ok"] is True and c["accel"] == "tcg", c
'
PATH=/nonexistent "$VMLAUNCH" doctor --json >doctor2.json 2>/dev/null
[ $? -eq 69 ] || fail "doctor --json without QEMU: not 69"
jcheck doctor2.json '
assert v["qemu"] == {"program": "qemu-system-x86_64", "path": None, "version": None,
                     "problem": "not found"}, v["qemu"]
assert v["config"] is None and v["status"] == 69, v
'

# test: one object per config; the console tail keeps what the guest printed,
# control characters and all, escaped.
FAKE_SAY='vmlaunch: boot ok\r\n' "$VMLAUNCH" test --json --timeout 20 "$weird" >pass.json 2>test.err ||
	fail "test --json of a passing guest: $(cat pass.json test.err)"
jcheck pass.json '
assert len(v) == 1 and v[0]["config"] == W and v[0]["outcome"] == "pass", v
assert v[0]["reason"] is None and 0 < v[0]["seconds"] < 20, v
assert set(v[0]) == {"config", "outcome", "seconds", "reason", "console_tail"}, v
'
FAKE_SAY='bell\x07 esc\x1b[31m bad\xff tab\t Kernel panic - not syncing: x\r\n' \
	"$VMLAUNCH" test --json --timeout 20 "$weird" "$weird" >fail.json 2>test.err
[ $? -eq 1 ] || fail "test --json of a panicking guest: not status 1: $(cat fail.json test.err)"
jcheck fail.json '
assert len(v) == 2 and all(r["outcome"] == "fail" for r in v), v
assert "kernel failure" in v[0]["reason"], v
assert "Kernel panic" in v[0]["console_tail"], v
'
grep -q 'Kernel panic' fail.json || fail "no console tail in: $(cat fail.json)"

# list and status of a started (fake) VM whose config has the weird name.
XDG_RUNTIME_DIR=$tmp/run
export XDG_RUNTIME_DIR
mkdir -m 700 run
trap '"$VMLAUNCH" stop --all --force >/dev/null 2>&1; cleanup' EXIT
"$VMLAUNCH" start -o name=jsonvm "$weird" >start.out 2>start.err || fail "start: $(cat start.err)"
"$VMLAUNCH" list --json >list.json || fail "list --json failed"
jcheck list.json '
assert len(v) == 1 and v[0]["name"] == "jsonvm" and v[0]["config"].endswith("/" + W), v
'
"$VMLAUNCH" status --json jsonvm >status.json || fail "status --json failed"
jcheck status.json '
for k in ("name", "state", "exit_status", "ended", "pid", "uptime_seconds", "config",
          "console", "boot_log", "forwards", "gdb", "disks", "shares"):
    assert k in v, (k, v)
assert v["state"] == "running" and isinstance(v["pid"], int), v
'
"$VMLAUNCH" stop --force jsonvm >/dev/null 2>&1 || fail "stop jsonvm failed"
exit 0
