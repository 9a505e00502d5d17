/* The JSON reader and writer: what parses, what is refused and where, round trips. */
#include <stdlib.h>

#include "json.h"
#include "strbuf.h"
#include "unit.h"

static struct json *parse(const char *text)
{
	return json_parse(text, strlen(text), NULL, NULL);
}

/* TEXT is refused at byte AT with a message containing WORDS. */
static void refused(const char *text, size_t len, size_t at, const char *words)
{
	struct strbuf why = STRBUF_INIT;
	size_t where = (size_t)-1;
	struct json *v = json_parse(text, len, &why, &where);

	if (v || where != at || !why.buf || !strstr(why.buf, words))
		fprintf(stderr, "  for '%s': %s at %zu, want '%s' at %zu\n", text,
			why.buf ? why.buf : "(accepted)", where, words, at);
	CHECK(v == NULL);
	CHECK(where == at);
	CHECK(why.buf && strstr(why.buf, words));
	json_free(v);
	sb_release(&why);
}

#define REFUSED(text, at, words) refused(text, sizeof(text) - 1, at, words)

/* The writer's text for the tree of TEXT. */
static char *reserialise(const struct json *v)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;

	jw_init(&w, &sb);
	jw_value(&w, v);
	CHECK(jw_finish(&w) == 0);
	return sb_detach(&sb);
}

/* TEXT parses, and the writer renders it as WANT. */
static void round_trip(const char *text, const char *want)
{
	struct json *v = parse(text), *again;
	char *out;

	CHECK(v != NULL);
	if (!v) {
		fprintf(stderr, "  '%s' did not parse\n", text);
		return;
	}
	out = reserialise(v);
	CHECK_STR(out, want);
	again = parse(out);
	CHECK(json_equal(v, again));
	json_free(again);
	json_free(v);
	free(out);
}

static void test_scalars(void)
{
	struct json *v;
	int64_t i;
	double d;

	v = parse(" \t\r\n null \n");
	CHECK(v && v->type == JSON_NULL);
	json_free(v);
	v = parse("true");
	CHECK(json_bool(v, 0) == 1);
	json_free(v);
	v = parse("false");
	CHECK(json_bool(v, 1) == 0);
	CHECK(json_str(v) == NULL && json_int(v, &i) < 0);
	json_free(v);
	v = parse("-9223372036854775808");
	CHECK(json_int(v, &i) == 0 && i == INT64_MIN);
	json_free(v);
	v = parse("9223372036854775808");     /* past int64: a double only */
	CHECK(json_int(v, &i) < 0 && json_double(v, &d) == 0 && d == 9223372036854775808.0);
	json_free(v);
	v = parse("2.5e-3");
	CHECK(json_int(v, &i) < 0 && json_double(v, &d) == 0 && d == 2.5e-3);
	json_free(v);
	v = parse("1.0");                      /* a fraction, even if zero */
	CHECK(json_int(v, &i) < 0);
	json_free(v);
	v = parse("-0");
	CHECK(json_int(v, &i) == 0 && i == 0);
	json_free(v);
	v = parse("1e-400");                   /* underflow is zero, not an error */
	CHECK(json_double(v, &d) == 0 && d == 0);
	json_free(v);
}

static void test_strings(void)
{
	struct json *v;

	v = parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"");
	CHECK_STR(json_str(v), "\" \\ / \b \f \n \r \t");
	json_free(v);
	v = parse("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"");
	CHECK_STR(json_str(v), "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	json_free(v);
	v = parse("\"a\\u0000b\"");            /* a NUL is data: the length says so */
	CHECK(v && v->type == JSON_STRING && v->u.str.len == 3 && memcmp(v->u.str.s, "a\0b", 4) == 0);
	json_free(v);
	v = parse("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
	CHECK_STR(json_str(v), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	json_free(v);
}

static void test_containers(void)
{
	struct json *v = parse("{\"b\": [1, \"x\", {}], \"a\": {\"c\": null}, \"b\": 2}");
	const struct json *b;
	struct json *taken;
	int64_t i;

	CHECK(v && json_count(v) == 3);
	CHECK(v && strcmp(v->u.obj.members[0].key, "b") == 0);      /* order kept */
	CHECK(v && strcmp(v->u.obj.members[1].key, "a") == 0);
	b = json_get(v, "b");                                        /* the first "b" */
	CHECK(json_count(b) == 3);
	CHECK(json_int(json_at(b, 0), &i) == 0 && i == 1);
	CHECK_STR(json_str(json_at(b, 1)), "x");
	CHECK(json_at(b, 3) == NULL);
	CHECK(json_get(json_get(v, "a"), "c") != NULL);
	CHECK(json_get(v, "zz") == NULL && json_get(b, "b") == NULL && json_get(NULL, "b") == NULL);
	taken = json_detach(v, "b");
	CHECK(json_count(taken) == 3 && json_count(v) == 2);
	CHECK(json_int(json_get(v, "b"), &i) == 0 && i == 2);        /* now the second */
	json_free(taken);
	json_free(v);
}

static void test_refused(void)
{
	REFUSED("", 0, "found the end");
	REFUSED("   ", 3, "found the end");
	REFUSED("[1,]", 3, "expected a value");
	REFUSED("{\"a\":1,}", 7, "expected a string key");
	REFUSED("{\"a\" 1}", 5, "expected ':'");
	REFUSED("{a:1}", 1, "expected a string key");
	REFUSED("[1 2]", 3, "expected ',' or ']'");
	REFUSED("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'");
	REFUSED("[1", 2, "expected ',' or ']'");
	REFUSED("1 2", 2, "unexpected text after the value");
	REFUSED("nul", 0, "expected a value");
	REFUSED("True", 0, "expected a value");
	REFUSED("01", 0, "invalid number");
	REFUSED("-", 0, "invalid number");
	REFUSED("1.", 0, "invalid number");
	REFUSED(".5", 0, "expected a value");
	REFUSED("1e", 0, "invalid number");
	REFUSED("+1", 0, "expected a value");
	REFUSED("1e400", 0, "out of range");
	REFUSED("NaN", 0, "expected a value");
	REFUSED("\"abc", 0, "unterminated string");
	REFUSED("\"ab\\", 3, "unterminated string");
	REFUSED("\"\\x\"", 1, "invalid escape");
	REFUSED("\"\\'\"", 1, "invalid escape");
	REFUSED("\"\\u12\"", 1, "four hex digits");
	REFUSED("\"\\u12g4\"", 1, "four hex digits");
	REFUSED("\"\\ud800\"", 1, "lone high surrogate");
	REFUSED("\"\\ud800\\u0041\"", 1, "lone high surrogate");
	REFUSED("\"\\udc00\"", 1, "lone low surrogate");
	REFUSED("\"a\tb\"", 2, "control character");
	REFUSED("\"a\nb\"", 2, "control character");
	REFUSED("\"a\0b\"", 2, "control character");
	REFUSED("\"\xff\"", 1, "invalid UTF-8");
	REFUSED("\"\xc3\"", 1, "invalid UTF-8");
	REFUSED("\"\xc0\xaf\"", 1, "invalid UTF-8");         /* overlong '/' */
	REFUSED("\"\xe0\x80\xaf\"", 1, "invalid UTF-8");     /* overlong, 3 bytes */
	REFUSED("\"\xed\xa0\x80\"", 1, "invalid UTF-8");     /* an encoded surrogate */
	REFUSED("\"\xf4\x90\x80\x80\"", 1, "invalid UTF-8"); /* past U+10FFFF */
	REFUSED("\"\x80\"", 1, "invalid UTF-8");
	REFUSED("\xef\xbb\xbf{}", 0, "expected a value");    /* no byte order mark */
	REFUSED("[1]\0", 3, "unexpected text");
}

static void test_limits(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json *v;
	int i;

	for (i = 0; i < JSON_MAX_DEPTH; i++)
		sb_addc(&sb, '[');
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		sb_addc(&sb, ']');
	v = json_parse(sb.buf, sb.len, NULL, NULL);
	CHECK(v != NULL);                      /* 64 levels are fine */
	json_free(v);
	sb_release(&sb);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		sb_adds(&sb, "{\"k\":");
	sb_adds(&sb, "[]");
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		sb_addc(&sb, '}');
	refused(sb.buf, sb.len, 5 * JSON_MAX_DEPTH, "nested deeper than 64");
	sb_release(&sb);
	sb_addc(&sb, '"');
	while (sb.len < JSON_MAX_LEN)
		sb_adds(&sb, "abcdefgh");
	sb_addc(&sb, '"');
	refused(sb.buf, sb.len, JSON_MAX_LEN, "longer than 1 MiB");
	sb.len = JSON_MAX_LEN - 1;
	sb_addc(&sb, '"');
	v = json_parse(sb.buf, sb.len, NULL, NULL);
	CHECK(v && v->u.str.len == JSON_MAX_LEN - 2);
	json_free(v);
	sb_release(&sb);
}

static void test_round_trips(void)
{
	round_trip(" { \"a\" : [ 1 , -2 , 3.5 , true , false , null ] , \"b\" : { } , \"c\" : [ ] } ",
		   "{\"a\":[1,-2,3.5,true,false,null],\"b\":{},\"c\":[]}");
	round_trip("[0.1, 1e21, -0.0, 1E-7, 123456789.125, 1.7976931348623157e308]",
		   "[0.1,1e+21,-0.0,1e-07,123456789.125,"
		   "1.7976931348623157e+308]");
	round_trip("\"\\u0001\\u001f\\\"\\\\/\\u007f\"", "\"\\u0001\\u001f\\\"\\\\/\\u007f\"");
	round_trip("\"\\n\\t\\r\\b\\f\"", "\"\\u000a\\u0009\\u000d\\u0008\\u000c\"");
	round_trip("\"\\u0000\"", "\"\\u0000\"");
	round_trip("\"\\u0085\xc2\xa0\xe2\x82\xac\"", "\"\\u0085\xc2\xa0\xe2\x82\xac\"");
	round_trip("{\"k\\u0000ey\":\"\\ud83d\\ude00\"}", "{\"k\\u0000ey\":\"\xf0\x9f\x98\x80\"}");
	round_trip("[9223372036854775807,-9223372036854775808,9223372036854775808]",
		   "[9223372036854775807,-9223372036854775808,9.223372036854776e+18]");
}

static void test_writer(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	struct json *v;

	jw_init(&w, &sb);
	jw_begin_object(&w);
	jw_key(&w, "name");
	jw_string(&w, "vm\x01\x7f\"\\");
	jw_key(&w, "bad");
	jw_string(&w, "a\xff\xc3(\xed\xa0\x80z");          /* invalid UTF-8 */
	jw_key(&w, "n");
	jw_begin_array(&w);
	jw_int(&w, -3);
	jw_number(&w, 0.5);
	jw_number(&w, 1.0 / 0.0);
	jw_bool(&w, 1);
	jw_null(&w);
	jw_begin_object(&w);
	jw_end_object(&w);
	jw_end_array(&w);
	jw_end_object(&w);
	CHECK(jw_finish(&w) == 0);
	CHECK_STR(sb.buf, "{\"name\":\"vm\\u0001\\u007f\\\"\\\\\","
		  "\"bad\":\"a\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\","
		  "\"n\":[-3,0.5,null,true,null,{}]}");
	v = json_parse(sb.buf, sb.len, NULL, NULL);
	CHECK(v != NULL);
	CHECK_STR(json_str(json_get(v, "name")), "vm\x01\x7f\"\\");
	json_free(v);
	sb_release(&sb);
}

/* Every byte value, as a string, through the writer and back. */
static void test_writer_every_byte(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	char bytes[256];
	struct json *v;
	int i;

	for (i = 0; i < 256; i++)
		bytes[i] = (char)i;
	jw_init(&w, &sb);
	jw_string_n(&w, bytes, sizeof(bytes));
	CHECK(jw_finish(&w) == 0);
	v = json_parse(sb.buf, sb.len, NULL, NULL);
	CHECK(v && v->type == JSON_STRING);
	/* 128 ASCII bytes kept, and each of the 128 others (invalid alone) as U+FFFD. */
	CHECK(v && v->u.str.len == 128 + 128 * 3 && memcmp(v->u.str.s, bytes, 128) == 0);
	json_free(v);
	sb_release(&sb);
}

/* Misuse: nothing written, and jw_finish says so. */
static void misuse(void (*steps)(struct json_writer *), const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;

	jw_init(&w, &sb);
	steps(&w);
	CHECK(jw_finish(&w) < 0);
	CHECK_STR(sb.buf ? sb.buf : "", want);
	sb_release(&sb);
}

static void value_without_key(struct json_writer *w) { jw_begin_object(w); jw_int(w, 1); }
static void key_in_array(struct json_writer *w) { jw_begin_array(w); jw_key(w, "k"); }
static void two_keys(struct json_writer *w) { jw_begin_object(w); jw_key(w, "a"); jw_key(w, "b"); }
static void wrong_end(struct json_writer *w) { jw_begin_array(w); jw_end_object(w); }
static void dangling_key(struct json_writer *w) { jw_begin_object(w); jw_key(w, "a"); jw_end_object(w); }
static void two_values(struct json_writer *w) { jw_null(w); jw_null(w); }
static void unclosed(struct json_writer *w) { jw_begin_array(w); jw_int(w, 1); }
static void nothing(struct json_writer *w) { (void)w; }

static void too_deep(struct json_writer *w)
{
	int i;

	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		jw_begin_array(w);
}

static void test_writer_misuse(void)
{
	misuse(value_without_key, "{");
	misuse(key_in_array, "[");
	misuse(two_keys, "{\"a\":");
	misuse(wrong_end, "[");
	misuse(dangling_key, "{\"a\":");
	misuse(two_values, "null");
	misuse(unclosed, "[1");
	misuse(nothing, "");
	misuse(too_deep, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
}

static void test_quote(void)
{
	struct strbuf sb = STRBUF_INIT;

	json_quote(&sb, "a\"b\x1b[0m\xc2\x9b", 9);
	CHECK_STR(sb.buf, "\"a\\\"b\\u001b[0m\\u009b\"");
	sb_release(&sb);
}

const struct unit_case json_cases[] = {
	{ "json/scalars", test_scalars },
	{ "json/strings", test_strings },
	{ "json/containers", test_containers },
	{ "json/refused", test_refused },
	{ "json/limits", test_limits },
	{ "json/round-trips", test_round_trips },
	{ "json/writer", test_writer },
	{ "json/writer-every-byte", test_writer_every_byte },
	{ "json/writer-misuse", test_writer_misuse },
	{ "json/quote", test_quote },
	{ NULL, NULL },
};
