#!/bin/sh
# The JUnit report of `vmlaunch test` is well-formed XML (xmllint) even when
# QEMU's message has invalid UTF-8 and markup, and UTF-8 survives: a config
# named in UTF-8 keeps its name (it used to become '?'s).  No VM boots: a
# fake QEMU fails at once with a hostile message.
. "$(dirname "$0")/lib.sh"
command -v xmllint >/dev/null || skip "xmllint (libxml2-utils) is not installed"
cp "$top/tests/golden/files/bzImage" "$tmp/bzImage"
cat >"$tmp/fake-qemu" <<'SH'
#!/bin/sh
printf 'qemu: bad \377\376 bytes & <tags> "quoted" \001\033[0m \342\234\223 \355\240\200 done\n' >&2
exit 1
SH
chmod +x "$tmp/fake-qemu"
conf="$tmp/t$(printf '\303\253')st-$(printf '\342\234\223').conf"
printf 'kernel = bzImage\naccel = tcg\nqemu = %s\n' "$tmp/fake-qemu" >"$conf"

"$VMLAUNCH" test --timeout 20 --junit "$tmp/junit.xml" "$conf" >"$tmp/out" 2>"$tmp/err"
status=$?
[ $status -eq 1 ] || fail "test with a failing QEMU: exit $status, not 1: $(cat "$tmp/out" "$tmp/err")"
[ -s "$tmp/junit.xml" ] || fail "no JUnit report written"
xmllint --noout "$tmp/junit.xml" 2>"$tmp/lint" ||
	fail "the JUnit report is not well-formed XML: $(cat "$tmp/lint"): $(od -c "$tmp/junit.xml" | head -20)"
grep -qF "name=\"$conf\"" "$tmp/junit.xml" ||
	fail "the UTF-8 config name did not survive: $(grep testcase "$tmp/junit.xml")"
grep -qF "$(printf '\342\234\223') " "$tmp/junit.xml" || fail "UTF-8 in QEMU's message did not survive"
# vmlaunch made the guest-side text printable first ('?' for invalid bytes).
grep -qF "bad ?? bytes &amp; &lt;tags&gt; &quot;quoted&quot;" "$tmp/junit.xml" ||
	fail "invalid bytes or markup not made printable and escaped: $(grep failure "$tmp/junit.xml")"
# What xmllint reads back is the text with the replacements.
xmllint --xpath 'string(//failure/@message)' "$tmp/junit.xml" | grep -qF "<tags> \"quoted\"" ||
	fail "the message does not read back: $(xmllint --xpath 'string(//failure/@message)' "$tmp/junit.xml")"
# A config name with an invalid byte: U+FFFD in the report, which stays XML.
bad="$tmp/bad$(printf '\377')name.conf"
cp "$conf" "$bad"
"$VMLAUNCH" test --timeout 20 --junit "$tmp/junit2.xml" "$bad" >"$tmp/out" 2>"$tmp/err"
xmllint --noout "$tmp/junit2.xml" 2>"$tmp/lint" || fail "not XML with an invalid byte in a name: $(cat "$tmp/lint")"
grep -qF "bad$(printf '\357\277\275')name.conf" "$tmp/junit2.xml" ||
	fail "the invalid byte of the name is not U+FFFD: $(grep testcase "$tmp/junit2.xml")"
exit 0
