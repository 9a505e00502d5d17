/* The console scanner of `vmlaunch test`: steps, echo, failures, tail, bounds. */
#include <stdlib.h>

#include "conscan.h"
#include "unit.h"

struct fixture {
	struct scan_step steps[8];
	regex_t fails[2];
	struct scan_rules rules;
	struct strbuf sent;
	struct conscan s;
};

static void record(void *ctx, const char *bytes, size_t n)
{
	sb_add(&((struct fixture *)ctx)->sent, bytes, n);
}

/* SPEC: "e:RE" expect, "s:TEXT" send, "x:" the exit marker; one fail pattern. */
static void setup(struct fixture *f, const char *const *spec, const char *fail)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; spec[i]; i++) {
		struct scan_step *st = &f->steps[i];

		st->text = spec[i] + 2;
		if (spec[i][0] == 's') {
			st->kind = SCAN_SEND;
			st->wire = spec[i] + 2;
			continue;
		}
		st->kind = SCAN_EXPECT;
		if (spec[i][0] == 'x') {
			st->text = "vmlaunch-exit=([0-9]+)$";
			st->captures_status = 1;
		}
		CHECK(regcomp(&st->re, st->text, REG_EXTENDED | REG_NEWLINE) == 0);
	}
	f->rules.steps = f->steps;
	f->rules.nsteps = i;
	CHECK(regcomp(&f->fails[0], fail ? fail : "^$x", REG_EXTENDED | REG_NEWLINE) == 0);
	CHECK(regcomp(&f->fails[1], "Kernel panic|BUG:|Oops", REG_EXTENDED | REG_NEWLINE) == 0);
	f->rules.fails = f->fails;
	f->rules.nfails = 2;
	f->rules.nuser_fails = 1;
	conscan_init(&f->s, &f->rules, record, f);
}

static void teardown(struct fixture *f)
{
	size_t i;

	for (i = 0; i < f->rules.nsteps; i++)
		if (f->steps[i].kind == SCAN_EXPECT)
			regfree(&f->steps[i].re);
	regfree(&f->fails[0]);
	regfree(&f->fails[1]);
	sb_release(&f->sent);
}

static void feed(struct fixture *f, const char *s)
{
	conscan_feed(&f->s, s, strlen(s));
}

static void test_steps_in_order(void)
{
	static const char *const spec[] = { "e:boot ok", "s:uname -r\n", "e:^6\\.1", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "Linux 6.1 booting\nvmlaunch: bo");
	CHECK(f.s.result == SCAN_RUNNING && f.sent.len == 0);
	feed(&f, "ot ok\n~ # ");
	CHECK_STR(f.sent.buf, "uname -r\n");
	feed(&f, "uname -r\r\n");               /* the echo: not matched */
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "6.1.0\r\n~ # ");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
}

/* The guest's echo of the typed text does not satisfy the next --expect. */
static void test_echo_not_matched(void)
{
	static const char *const spec[] = { "e:ready", "s:: hello_marker\n", "e:hello_marker", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "ready\n~ # ");
	feed(&f, ": hello_marker\r\n~ # ");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "echo says hello_marker\r\n");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
}

/*
 * The trigger matched a line that has not ended yet: its line end, and lines
 * the guest printed before it read the text, are not the echo.
 */
static void test_echo_after_partial_trigger(void)
{
	static const char *const spec[] = { "e:boot ok", "s:: hello_marker\n", "e:hello_marker", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "vmlaunch: boot ok\r");
	CHECK_STR(f.sent.buf, ": hello_marker\n");
	feed(&f, "\nstill booting\n: hello_marker\n");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "~ # ");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "it said hello_mar");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "ker\n");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
}

/* An echo that arrives without its line end yet: what follows it may match. */
static void test_echo_in_partial_line(void)
{
	static const char *const spec[] = { "e:ready", "s:ask\n", "e:answer: $", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "ready\n~ # ");
	feed(&f, "ask");
	CHECK(f.s.result == SCAN_RUNNING && f.s.echo_open);
	feed(&f, "\r\nanswer: ");
	CHECK(f.s.result == SCAN_RUNNING);   /* '$' needs the line end */
	feed(&f, "\r\n");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
}

/* A guest that does not echo: its prompt matches; a line ending in the text's start waits. */
static void test_no_echo(void)
{
	static const char *const spec[] = { "e:ready", "s:go on\n", "e:> ", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "ready\n");
	feed(&f, "prompt> ");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
	setup(&f, spec, NULL);
	feed(&f, "ready\n");
	feed(&f, "> go");                       /* maybe the echo, coming */
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, " on\r\n> ");
	CHECK(f.s.result == SCAN_PASS);
	CHECK(f.s.consumed == 2);               /* matched the prompt after the echo */
	teardown(&f);
}

/* A shell that echoes twice: the terminal's echo of type-ahead, then at its prompt. */
static void test_double_echo(void)
{
	static const char *const spec[] = { "e:boot ok", "s:: hello_marker\n", "e:hello", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "vmlaunch: boot ok\r\n");
	feed(&f, ": hello_marker\n\r\nBusyBox v1.35.0 built-in shell (ash)\r\n\r\n");
	feed(&f, "vmlaunch:/# : hello_marker");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "\r\nvmlaunch:/# ");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "hello\r\n");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
}

/* A two-line send (the --exit-status form) has a two-line echo. */
static void test_exit_status(void)
{
	static const char *const spec[] = {
		"e:ready", "s:{ false\n} </dev/null; echo \"vmlaunch-exit=$?\"\n", "x:", NULL
	};
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "ready\n");
	feed(&f, "~ # { false\r\n> } </dev/null; echo \"vmlaunch-exit=$?\"\r\nvmlaunch-exit=1\r\n");
	CHECK(f.s.result == SCAN_FAIL);
	CHECK(strstr(f.s.reason, "status 1") != NULL);
	teardown(&f);

	/* The UART sends a byte at a time: the status has all its digits only at the line end. */
	setup(&f, spec, NULL);
	feed(&f, "ready\n");
	feed(&f, "vmlaunch-exit=1");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "27\r\n");
	CHECK(f.s.result == SCAN_FAIL && strstr(f.s.reason, "status 127") != NULL);
	teardown(&f);

	/* The echo split over reads; the marker's own echo has no digits. */
	setup(&f, spec, NULL);
	feed(&f, "ready\n~ # { fal");
	feed(&f, "se\r\n> } </dev/null; echo \"vmlaunch-exit=$?\"");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "\r\nvmlaunch-exit=0\r\n~ # ");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
}

/* A prompt without a line end matches; '$' only at a real line end. */
static void test_partial_lines(void)
{
	static const char *const spec[] = { "e:login: $", NULL };
	static const char *const spec2[] = { "e:foo$", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "debian login: ");
	CHECK(f.s.result == SCAN_RUNNING);      /* '$' needs the line end */
	teardown(&f);
	setup(&f, spec2, NULL);
	feed(&f, "foo");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "bar\nfoo\r\n");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
}

/* Later steps see only what follows the previous match, '^' not mid-line. */
static void test_after_previous_match(void)
{
	static const char *const spec[] = { "e:a", "e:^b", NULL };
	static const char *const spec2[] = { "e:a", "e:b", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	feed(&f, "ab\n");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "b\n");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
	setup(&f, spec2, NULL);
	feed(&f, "ba\n");
	CHECK(f.s.result == SCAN_RUNNING);
	feed(&f, "xab\n");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
}

static void test_fail_patterns(void)
{
	static const char *const spec[] = { "e:never", NULL };
	struct fixture f;

	setup(&f, spec, "oops");
	feed(&f, "all fine\n\033]0;pwned\007 the guest said oops\f here\033[31m red\n");
	CHECK(f.s.result == SCAN_FAIL);
	CHECK_STR(f.s.reason, "--fail pattern matched:  the guest said oops? here red");
	teardown(&f);
	setup(&f, spec, NULL);
	feed(&f, "[    1.0] Kernel panic - not syncing: VFS\n");
	CHECK(f.s.result == SCAN_FAIL);
	CHECK(strncmp(f.s.reason, "the guest reported a kernel failure: ", 37) == 0);
	teardown(&f);
}

static void test_sanitize(void)
{
	struct strbuf sb = STRBUF_INIT;

	conscan_sanitize(&sb, "a\tb\x01" "c\x7f" "d", 7);
	CHECK_STR(sb.buf, "a\tb?c?d");
	sb_release(&sb);
	conscan_sanitize(&sb, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7", 14);
	CHECK_STR(sb.buf, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");   /* valid UTF-8 stays */
	sb_release(&sb);
	conscan_sanitize(&sb, "\xff\xc3(\xc2\x85\xed\xa0\x80\xc0\xaf", 10);
	CHECK_STR(sb.buf, "?" "?(" "??????");   /* invalid, C1, surrogate, overlong */
	sb_release(&sb);
	conscan_sanitize(&sb, "x\033[1;31my\033]2;t\033\\z\033", 17);
	CHECK_STR(sb.buf, "xyz");
	sb_release(&sb);
}

/* The tail: last lines as a terminal shows them, each and all bounded. */
static void test_tail(void)
{
	static const char *const spec[] = { "e:never", NULL };
	struct fixture f;
	char line[64], *tail;
	int i;

	setup(&f, spec, NULL);
	for (i = 0; i < 40; i++) {
		snprintf(line, sizeof(line), "line %d\r\n", i);
		feed(&f, line);
	}
	feed(&f, "the error detail\r\r\n");      /* "\r\r\n" ends a line, it does not clear it */
	feed(&f, "progress 1%\rprogress 50%\rprogress 99%");
	tail = conscan_tail(&f.s);
	CHECK(strncmp(tail, "line 27\n", 8) == 0);
	CHECK(strstr(tail, "line 39\nthe error detail\nprogress 99%\n") != NULL);
	CHECK(strstr(tail, "50%") == NULL);
	free(tail);
	for (i = 0; i < 100000; i++)
		feed(&f, "\rprogress bar ==============================");
	for (i = 0; i < 1000; i++)
		feed(&f, "a very long line without an end, ");
	tail = conscan_tail(&f.s);
	CHECK(strlen(tail) < CONSCAN_TAIL_LINES * (CONSCAN_TAIL_WIDTH + 8));
	CHECK(strstr(tail, " [...]\n") != NULL);
	free(tail);
	teardown(&f);
}

/* A line longer than the window still matches near its end, and fails are seen. */
static void test_long_lines(void)
{
	static const char *const spec[] = { "e:needle", NULL };
	struct fixture f;
	int i;

	setup(&f, spec, "BAD");
	for (i = 0; i < 5000; i++)
		feed(&f, "hay ");
	CHECK(f.s.len <= CONSCAN_LINE_MAX);
	feed(&f, "needle");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
	/* '^' is the line's start, not the window's after the line slid. */
	{
		static const char *const anchored[] = { "e:^hay", NULL };

		setup(&f, anchored, NULL);
		feed(&f, "x");
		for (i = 0; i < 3000; i++)
			feed(&f, "hay ");
		feed(&f, "\n");
		CHECK(f.s.result == SCAN_RUNNING);
		teardown(&f);
	}
	setup(&f, spec, "BAD");
	for (i = 0; i < 5000; i++)
		feed(&f, "hay ");
	feed(&f, "BAD\n");
	CHECK(f.s.result == SCAN_FAIL);
	CHECK(strlen(f.s.reason) < CONSCAN_REASON_MAX);
	teardown(&f);
}

/* conscan_fail keeps a result that is in, and a NUL reads as a space. */
static void test_fail_and_nul(void)
{
	static const char *const spec[] = { "e:a b", NULL };
	struct fixture f;

	setup(&f, spec, NULL);
	conscan_feed(&f.s, "a\0b\n", 4);
	CHECK(f.s.result == SCAN_PASS);
	conscan_fail(&f.s, "too late");
	CHECK(f.s.result == SCAN_PASS);
	teardown(&f);
	setup(&f, spec, NULL);
	conscan_fail(&f.s, "QEMU exited");
	CHECK(f.s.result == SCAN_FAIL);
	CHECK_STR(f.s.reason, "QEMU exited");
	teardown(&f);
}

const struct unit_case conscan_cases[] = {
	{ "conscan/steps-in-order", test_steps_in_order },
	{ "conscan/echo-not-matched", test_echo_not_matched },
	{ "conscan/echo-after-partial-trigger", test_echo_after_partial_trigger },
	{ "conscan/echo-in-partial-line", test_echo_in_partial_line },
	{ "conscan/no-echo", test_no_echo },
	{ "conscan/double-echo", test_double_echo },
	{ "conscan/exit-status", test_exit_status },
	{ "conscan/partial-lines", test_partial_lines },
	{ "conscan/after-previous-match", test_after_previous_match },
	{ "conscan/fail-patterns", test_fail_patterns },
	{ "conscan/sanitize", test_sanitize },
	{ "conscan/tail", test_tail },
	{ "conscan/long-lines", test_long_lines },
	{ "conscan/fail-and-nul", test_fail_and_nul },
	{ NULL, NULL },
};
