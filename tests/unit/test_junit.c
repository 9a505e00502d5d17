/* The JUnit report's XML escaping, and a whole report. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "smoke.h"
#include "strbuf.h"
#include "unit.h"

static void check_escape_n(const char *in, size_t n, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	junit_xml_escape(&sb, in, n);
	CHECK_STR(sb.buf ? sb.buf : "", want);
	sb_release(&sb);
}

static void check_escape(const char *in, const char *want)
{
	check_escape_n(in, strlen(in), want);
}

#define FFFD "\xef\xbf\xbd"

static void test_markup(void)
{
	check_escape("", "");
	check_escape("plain text 1.2", "plain text 1.2");
	check_escape("a<b>&\"c'd", "a&lt;b&gt;&amp;&quot;c&apos;d");
	check_escape("&amp;", "&amp;amp;");
}

static void test_utf8_survives(void)
{
	check_escape("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe4\xb8\xad",
		     "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe4\xb8\xad");
	check_escape("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd"
		     "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",   /* the edges of each range */
		     "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd"
		     "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
}

static void test_invalid_bytes(void)
{
	check_escape("\xff", FFFD);
	check_escape("a\xfe\xff" "b", "a" FFFD FFFD "b");
	check_escape("\x80", FFFD);                         /* a lone continuation */
	check_escape("\xc3", FFFD);                         /* cut off at the end */
	check_escape("\xe2\x82" "A", FFFD FFFD "A");        /* cut off before ASCII */
	check_escape("\xc0\xaf", FFFD FFFD);                /* overlong '/' */
	check_escape("\xe0\x80\xaf", FFFD FFFD FFFD);       /* overlong, 3 bytes */
	check_escape("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
	check_escape("\xed\xa0\x80", FFFD FFFD FFFD);       /* surrogate U+D800 */
	check_escape("\xed\xbf\xbf", FFFD FFFD FFFD);       /* surrogate U+DFFF */
	check_escape("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);  /* above U+10FFFF */
	check_escape("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	check_escape("\xc3\xa9\xc3", "\xc3\xa9" FFFD);
}

static void test_forbidden_characters(void)
{
	check_escape("\xef\xbf\xbe|\xef\xbf\xbf", FFFD "|" FFFD);  /* U+FFFE, U+FFFF */
	check_escape("a\x01\x1b[0mb\tc\nd\re\x7f", "a[0mb\tc\nd&#13;e\x7f");
	check_escape_n("a\0b\x1f", 4, "ab");
}

/* A report with hostile text: every byte of the file is XML 1.0 text. */
static void test_report(void)
{
	char path[] = "/tmp/vmlaunch-unit-junit.XXXXXX", buf[4096];
	char tail[] = "boot\r\n\xed\xa0\x80 ok\n";
	struct smoke_result r[2];
	size_t n;
	FILE *f;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	memset(r, 0, sizeof(r));
	r[0].config = "t\xc3\xabst-\xe2\x9c\x93.conf";
	r[0].outcome = "fail";
	r[0].reason = "QEMU said \"<bad> & \xff\x01\"";
	r[0].console_tail = tail;
	r[0].seconds = 1.5;
	r[1].config = NULL;     /* never started: not reported */
	CHECK(junit_write(path, r, 2) == 0);
	f = fopen(path, "r");
	CHECK(f != NULL);
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	unlink(path);
	CHECK(strstr(buf, "tests=\"1\" failures=\"1\"") != NULL);
	CHECK(strstr(buf, "name=\"t\xc3\xabst-\xe2\x9c\x93.conf\"") != NULL);
	CHECK(strstr(buf, "message=\"QEMU said &quot;&lt;bad&gt; &amp; " FFFD "&quot;\"") != NULL);
	CHECK(strstr(buf, "<system-out>boot&#13;\n" FFFD FFFD FFFD " ok\n</system-out>") != NULL);
	CHECK(strchr(buf, '\x01') == NULL && strchr(buf, '\xff') == NULL);
}

const struct unit_case junit_cases[] = {
	{ "junit/markup", test_markup },
	{ "junit/utf8-survives", test_utf8_survives },
	{ "junit/invalid-bytes", test_invalid_bytes },
	{ "junit/forbidden-characters", test_forbidden_characters },
	{ "junit/report", test_report },
	{ NULL, NULL },
};
