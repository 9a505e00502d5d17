/* The console's escape recogniser: what reaches the guest, and when it leaves. */
#include "console.h"
#include "unit.h"

static struct console_escape esc;
static unsigned char out[256];
static char got[256];
static int left;

/* Feed the C string IN (NUL-free) in one call; the output goes in GOT. */
static void feed(const char *in)
{
	size_t n = strlen(in), k = 0;

	left = console_escape_feed(&esc, (const unsigned char *)in, n, out, &k);
	memcpy(got, out, k);
	got[k] = '\0';
}

/* S with control bytes as \xNN, for a failure message. */
static const char *shown(const char *s)
{
	static char buf[512];
	size_t k = 0;

	for (; *s && k + 5 < sizeof(buf); s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\\x%02x", c);
		else
			buf[k++] = (char)c;
	}
	buf[k] = '\0';
	return buf;
}

/* A fresh recogniser, then IN in one call: GOT should be WANT, LEAVE the return. */
static void check(const char *in, const char *want, int leave)
{
	console_escape_init(&esc);
	feed(in);
	if (strcmp(got, want) != 0 || left != leave) {
		/* shown() has one buffer: one call per fprintf. */
		fprintf(stderr, "  for \"%s\": ", shown(in));
		fprintf(stderr, "sent \"%s\" and %s, ", shown(got), left ? "left" : "stayed");
		fprintf(stderr, "want \"%s\" and %s\n", shown(want), leave ? "leave" : "stay");
	}
	CHECK(strcmp(got, want) == 0);
	CHECK(left == leave);
}

static void test_ctrl_bracket(void)
{
	check("\x1d", "", 1);
	check("abc\x1d", "abc", 1);
	check("ab\x1dxyz", "ab", 1);             /* nothing after the escape is sent */
	check("\x1b[\x1d", "\x1b[", 1);          /* even inside a sequence */
	check("~\x1d", "", 1);
}

static void test_tilde_dot(void)
{
	check("~.", "", 1);
	check("ls\r~.", "ls\r", 1);
	check("ls\n~.", "ls\n", 1);
	check("ls\r~.rest", "ls\r", 1);
	check("a~.", "a~.", 0);                  /* not at line start: plain */
	check("a~~.", "a~~.", 0);
	check(" ~.", " ~.", 0);
}

static void test_tilde_tilde(void)
{
	check("~~", "~", 0);
	check("~~.", "~.", 0);                   /* the '~' sent ends "line start" */
	check("~~\r~.", "~\r", 1);
	check("~~~", "~~", 0);                   /* only the first one at line start */
}

static void test_tilde_other(void)
{
	check("~x", "~x", 0);
	check("~x~.", "~x~.", 0);
	check("~\r", "~\r", 0);                  /* a line end after it: line start again */
	check("~\r~.", "~\r", 1);
	check("~\x7f", "~\x7f", 0);
	check("~", "", 0);                       /* held until the next byte */
}

static void test_sequences(void)
{
	/* An arrow key is sent as is and does not leave line start behind it... */
	check("\x1b[A", "\x1b[A", 0);
	check("\x1b[A~.", "\x1b[A~.", 0);        /* ...the recalled line is not empty */
	check("\x1b[A\r~.", "\x1b[A\r", 1);
	check("\x1bOA", "\x1bOA", 0);
	/* A '.' or '~' inside a sequence is part of it. */
	check("\r\x1b[1~.", "\r\x1b[1~.", 0);
	/* A cursor position report keeps line start as it was before it. */
	check("\x1b[12;40R~.", "\x1b[12;40R", 1);
	check("ls\r\x1b[12;40R~.", "ls\r\x1b[12;40R", 1);
	check("ls\x1b[12;40R~.", "ls\x1b[12;40R~.", 0);
	/* A control byte ends a broken sequence and counts as itself. */
	check("\x1b\r~.", "\x1b\r", 1);
	check("\x1b[1\r~.", "\x1b[1\r", 1);
}

static void test_split(void)
{
	console_escape_init(&esc);
	feed("ls\r~");
	CHECK_STR(got, "ls\r");
	CHECK(!left);
	feed(".");
	CHECK_STR(got, "");
	CHECK(left);

	console_escape_init(&esc);
	feed("~");
	CHECK_STR(got, "");
	feed("~");
	CHECK_STR(got, "~");
	feed(".");
	CHECK_STR(got, ".");
	CHECK(!left);

	console_escape_init(&esc);
	feed("~");
	feed("xy");
	CHECK_STR(got, "~xy");
	CHECK(!left);

	/* A cursor position report in pieces, then "~." still leaves. */
	console_escape_init(&esc);
	feed("\r\x1b");
	feed("[12");
	feed(";40");
	feed("R");
	CHECK_STR(got, "R");
	feed("~.");
	CHECK_STR(got, "");
	CHECK(left);

	console_escape_init(&esc);
	feed("\x1b");
	feed("[");
	feed("A");
	feed("~.");
	CHECK_STR(got, "~.");
	CHECK(!left);
}

/* The output never needs more than the documented 2 * N bytes. */
static void test_room(void)
{
	static const char *const inputs[] = { "~", "~x", "~~", "\r~\r~\r~", "~\x1b[A" };
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t n = strlen(inputs[i]), k = 0;
		unsigned char held[1] = { 'z' };

		console_escape_init(&esc);
		console_escape_feed(&esc, (const unsigned char *)"~", 1, out, &k);
		console_escape_feed(&esc, (const unsigned char *)inputs[i], n, out, &k);
		CHECK(k <= 2 * n);
		console_escape_feed(&esc, held, 1, out, &k);
		CHECK(k <= 2);
	}
}

const struct unit_case console_cases[] = {
	{ "console/ctrl-bracket", test_ctrl_bracket },
	{ "console/tilde-dot", test_tilde_dot },
	{ "console/tilde-tilde", test_tilde_tilde },
	{ "console/tilde-other", test_tilde_other },
	{ "console/sequences", test_sequences },
	{ "console/split", test_split },
	{ "console/room", test_room },
	{ NULL, NULL },
};
