/*
 * The JSON reader is a recursive descent over the bytes of one text, bounded
 * in depth (so in stack) and in length (so in memory).  Numbers go through
 * strtod and the writer's through snprintf: vmlaunch never calls
 * setlocale, so both use the "C" locale's '.'.
 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "utf8.h"


static void utf8_put(struct strbuf *sb, unsigned long cp)
{
	char b[4];

	if (cp < 0x80) {
		sb_addc(sb, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 4);
	}
}

/* ---- the reader ---- */

struct parser {
	const unsigned char *start, *p, *end;
	struct strbuf *why;
	size_t *where;
};

/* Report MSG at AT; always NULL, for `return fail(...)`. */
static struct json *fail(struct parser *ps, const unsigned char *at, const char *msg)
{
	size_t off = (size_t)(at - ps->start);

	if (ps->why)
		sb_addf(ps->why, "at byte %zu: %s", off, msg);
	if (ps->where)
		*ps->where = off;
	return NULL;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct json *new_value(enum json_type type)
{
	struct json *v = xcalloc(1, sizeof(*v));

	v->type = type;
	return v;
}

static struct json *parse_value(struct parser *ps, int depth);

static struct json *parse_literal(struct parser *ps)
{
	static const struct { const char *word; enum json_type type; int b; } lits[] = {
		{ "true", JSON_BOOL, 1 }, { "false", JSON_BOOL, 0 }, { "null", JSON_NULL, 0 },
	};
	size_t i, n;
	struct json *v;

	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		n = strlen(lits[i].word);
		if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, lits[i].word, n) == 0) {
			ps->p += n;
			v = new_value(lits[i].type);
			v->u.boolean = lits[i].b;
			return v;
		}
	}
	return fail(ps, ps->p, "expected a value");
}

static size_t digits(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p;

	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return (size_t)(q - p);
}

/* The span of a number by RFC 8259's grammar; 0 if there is none at P. */
static size_t number_span(struct parser *ps, int *integral)
{
	const unsigned char *p = ps->p, *end = ps->end;
	size_t n;

	*integral = 1;
	if (p < end && *p == '-')
		p++;
	n = digits(p, end);
	if (n == 0 || (n > 1 && *p == '0'))
		return 0;
	p += n;
	if (p < end && *p == '.') {
		*integral = 0;
		n = digits(++p, end);
		if (n == 0)
			return 0;
		p += n;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*integral = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		n = digits(p, end);
		if (n == 0)
			return 0;
		p += n;
	}
	return (size_t)(p - ps->p);
}

static struct json *parse_number(struct parser *ps)
{
	int integral;
	size_t n = number_span(ps, &integral);
	char *text, *stop;
	struct json *v;
	long long ll;

	if (n == 0)
		return fail(ps, ps->p, "invalid number");
	text = xstrndup((const char *)ps->p, n);
	v = new_value(JSON_NUMBER);
	errno = 0;
	v->u.num.value = strtod(text, &stop);
	if (errno == ERANGE && isinf(v->u.num.value)) {
		free(text);
		free(v);
		return fail(ps, ps->p, "number out of range");
	}
	if (integral) {
		errno = 0;
		ll = strtoll(text, &stop, 10);
		if (errno == 0) {
			v->u.num.is_int = 1;
			v->u.num.integer = ll;
		}
	}
	free(text);
	ps->p += n;
	return v;
}

static int hex4(const unsigned char *p, const unsigned char *end, unsigned long *out)
{
	unsigned long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A \uXXXX escape at P (its backslash), a surrogate pair in one go. */
static int parse_u_escape(struct parser *ps, struct strbuf *sb)
{
	const unsigned char *at = ps->p;
	unsigned long cp, lo;

	if (hex4(ps->p + 2, ps->end, &cp) < 0)
		return fail(ps, at, "invalid \\u escape: four hex digits expected"), -1;
	ps->p += 6;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(ps, at, "lone low surrogate in \\u escape"), -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    hex4(ps->p + 2, ps->end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(ps, at, "lone high surrogate in \\u escape"), -1;
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	utf8_put(sb, cp);
	return 0;
}

static int parse_escape(struct parser *ps, struct strbuf *sb)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;

	if (ps->p + 1 >= ps->end)
		return fail(ps, ps->p, "unterminated string"), -1;
	if (ps->p[1] == 'u')
		return parse_u_escape(ps, sb);
	k = ps->p[1] ? strchr(from, ps->p[1]) : NULL;
	if (!k)
		return fail(ps, ps->p, "invalid escape in string"), -1;
	sb_addc(sb, to[k - from]);
	ps->p += 2;
	return 0;
}

/* The string at P (its opening quote): decoded into *OUT and *LEN. */
static int parse_string(struct parser *ps, char **out, size_t *len)
{
	const unsigned char *open = ps->p;
	struct strbuf sb = STRBUF_INIT;
	size_t n;

	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		if (*ps->p == '\\') {
			if (parse_escape(ps, &sb) < 0)
				goto fail;
		} else if (*ps->p < 0x20) {
			fail(ps, ps->p, "control character in string (escape it)");
			goto fail;
		} else if (!(n = utf8_decode(ps->p, (size_t)(ps->end - ps->p), NULL))) {
			fail(ps, ps->p, "invalid UTF-8 in string");
			goto fail;
		} else {
			sb_add(&sb, (const char *)ps->p, n);
			ps->p += n;
		}
	}
	if (ps->p >= ps->end) {
		fail(ps, open, "unterminated string");
		goto fail;
	}
	ps->p++;
	*len = sb.len;
	*out = sb_detach(&sb);
	return 0;
fail:
	sb_release(&sb);
	return -1;
}

static struct json *parse_string_value(struct parser *ps)
{
	struct json *v = new_value(JSON_STRING);

	if (parse_string(ps, &v->u.str.s, &v->u.str.len) < 0) {
		free(v);
		return NULL;
	}
	return v;
}

/* After a member or an item: 1 at ',', 0 at CLOSE (both consumed), -1 else. */
static int next_or_close(struct parser *ps, char close)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ',') {
		ps->p++;
		skip_ws(ps);
		return 1;
	}
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	fail(ps, ps->p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
	return -1;
}

static struct json *parse_array(struct parser *ps, int depth)
{
	struct json *v = new_value(JSON_ARRAY), *item;
	size_t alloc = 0;
	int more;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return v;
	}
	do {
		item = parse_value(ps, depth);
		if (!item)
			goto fail;
		if (v->u.arr.n == alloc) {
			alloc = alloc ? 2 * alloc : 4;
			v->u.arr.items = xrealloc(v->u.arr.items, alloc * sizeof(item));
		}
		v->u.arr.items[v->u.arr.n++] = item;
		more = next_or_close(ps, ']');
	} while (more > 0);
	if (more == 0)
		return v;
fail:
	json_free(v);
	return NULL;
}

/* One "key": value member at P into OBJ, whose members array holds *ALLOC. */
static int parse_member(struct parser *ps, struct json *obj, size_t *alloc, int depth)
{
	struct json_member m;

	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, ps->p, "expected a string key"), -1;
	if (parse_string(ps, &m.key, &m.key_len) < 0)
		return -1;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':') {
		free(m.key);
		return fail(ps, ps->p, "expected ':' after the key"), -1;
	}
	ps->p++;
	skip_ws(ps);
	m.value = parse_value(ps, depth);
	if (!m.value) {
		free(m.key);
		return -1;
	}
	if (obj->u.obj.n == *alloc) {
		*alloc = *alloc ? 2 * *alloc : 4;
		obj->u.obj.members = xrealloc(obj->u.obj.members, *alloc * sizeof(m));
	}
	obj->u.obj.members[obj->u.obj.n++] = m;
	return 0;
}

static struct json *parse_object(struct parser *ps, int depth)
{
	struct json *v = new_value(JSON_OBJECT);
	size_t alloc = 0;
	int more;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return v;
	}
	do {
		if (parse_member(ps, v, &alloc, depth) < 0)
			goto fail;
		more = next_or_close(ps, '}');
	} while (more > 0);
	if (more == 0)
		return v;
fail:
	json_free(v);
	return NULL;
}

/* The value at P (no white space before it); DEPTH containers are open. */
static struct json *parse_value(struct parser *ps, int depth)
{
	if (ps->p >= ps->end)
		return fail(ps, ps->p, "expected a value, found the end");
	switch (*ps->p) {
	case '[':
	case '{':
		if (depth >= JSON_MAX_DEPTH)
			return fail(ps, ps->p, "nested deeper than 64 arrays and objects");
		return *ps->p == '[' ? parse_array(ps, depth + 1) : parse_object(ps, depth + 1);
	case '"':
		return parse_string_value(ps);
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return parse_number(ps);
	default:
		return parse_literal(ps);
	}
}

struct json *json_parse(const char *text, size_t len, struct strbuf *why, size_t *where)
{
	struct parser ps;
	struct json *v;

	ps.start = ps.p = (const unsigned char *)text;
	ps.end = ps.start + len;
	ps.why = why;
	ps.where = where;
	if (len > JSON_MAX_LEN)
		return fail(&ps, ps.start + JSON_MAX_LEN, "text longer than 1 MiB");
	skip_ws(&ps);
	v = parse_value(&ps, 0);
	if (!v)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		json_free(v);
		return fail(&ps, ps.p, "unexpected text after the value");
	}
	return v;
}

void json_free(struct json *v)
{
	size_t i;

	if (!v)
		return;
	switch (v->type) {
	case JSON_STRING:
		free(v->u.str.s);
		break;
	case JSON_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			json_free(v->u.arr.items[i]);
		free(v->u.arr.items);
		break;
	case JSON_OBJECT:
		for (i = 0; i < v->u.obj.n; i++) {
			free(v->u.obj.members[i].key);
			json_free(v->u.obj.members[i].value);
		}
		free(v->u.obj.members);
		break;
	default:
		break;
	}
	free(v);
}

/* ---- lookups ---- */

static const struct json_member *member(const struct json *obj, const char *key)
{
	size_t i, n;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	n = strlen(key);
	for (i = 0; i < obj->u.obj.n; i++)
		if (obj->u.obj.members[i].key_len == n &&
		    memcmp(obj->u.obj.members[i].key, key, n) == 0)
			return &obj->u.obj.members[i];
	return NULL;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	const struct json_member *m = member(obj, key);

	return m ? m->value : NULL;
}

const char *json_str(const struct json *v)
{
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

int json_bool(const struct json *v, int fallback)
{
	return v && v->type == JSON_BOOL ? v->u.boolean : fallback;
}

int json_int(const struct json *v, int64_t *out)
{
	if (!v || v->type != JSON_NUMBER || !v->u.num.is_int)
		return -1;
	*out = v->u.num.integer;
	return 0;
}

int json_double(const struct json *v, double *out)
{
	if (!v || v->type != JSON_NUMBER)
		return -1;
	*out = v->u.num.value;
	return 0;
}

size_t json_count(const struct json *v)
{
	if (v && v->type == JSON_ARRAY)
		return v->u.arr.n;
	if (v && v->type == JSON_OBJECT)
		return v->u.obj.n;
	return 0;
}

const struct json *json_at(const struct json *arr, size_t i)
{
	if (!arr || arr->type != JSON_ARRAY || i >= arr->u.arr.n)
		return NULL;
	return arr->u.arr.items[i];
}

struct json *json_detach(struct json *obj, const char *key)
{
	const struct json_member *m = member(obj, key);
	size_t i;
	struct json *v;

	if (!m)
		return NULL;
	i = (size_t)(m - obj->u.obj.members);
	v = m->value;
	free(m->key);
	memmove(obj->u.obj.members + i, obj->u.obj.members + i + 1,
		(obj->u.obj.n - i - 1) * sizeof(*m));
	obj->u.obj.n--;
	return v;
}

static int equal_numbers(const struct json *a, const struct json *b)
{
	if (a->u.num.is_int && b->u.num.is_int)
		return a->u.num.integer == b->u.num.integer;
	return a->u.num.value == b->u.num.value;
}

int json_equal(const struct json *a, const struct json *b)
{
	size_t i;

	if (!a || !b || a->type != b->type)
		return a == b;
	switch (a->type) {
	case JSON_NULL:
		return 1;
	case JSON_BOOL:
		return a->u.boolean == b->u.boolean;
	case JSON_NUMBER:
		return equal_numbers(a, b);
	case JSON_STRING:
		return a->u.str.len == b->u.str.len &&
		       memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case JSON_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return 0;
		for (i = 0; i < a->u.arr.n; i++)
			if (!json_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (a->u.obj.n != b->u.obj.n)
			return 0;
		for (i = 0; i < a->u.obj.n; i++) {
			const struct json_member *x = &a->u.obj.members[i], *y = &b->u.obj.members[i];

			if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) != 0 ||
			    !json_equal(x->value, y->value))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* ---- the writer ---- */

void json_quote(struct strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	sb_addc(sb, '"');
	while (i < n) {
		if (p[i] == '"' || p[i] == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)p[i++]);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			sb_addf(sb, "\\u%04x", p[i++]);
		} else if (!(k = utf8_decode(p + i, n - i, NULL))) {
			sb_adds(sb, "\xef\xbf\xbd");       /* U+FFFD */
			i++;
		} else if (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			/* C1 controls: a terminal would act on them. */
			sb_addf(sb, "\\u%04x", p[i + 1]);
			i += 2;
		} else {
			sb_add(sb, s + i, k);
			i += k;
		}
	}
	sb_addc(sb, '"');
}

void jw_init(struct json_writer *w, struct strbuf *sb)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
}

/* May a value come now?  Then its comma is written. */
static int value_ok(struct json_writer *w, int opens)
{
	int top = w->depth - 1;

	if (w->bad || (opens && w->depth >= JSON_MAX_DEPTH))
		goto bad;
	if (w->depth == 0) {
		if (w->done)
			goto bad;
		return 1;
	}
	if (w->kind[top] == '{') {
		if (!w->want_value)
			goto bad;
		w->want_value = 0;
		return 1;
	}
	if (w->started[top])
		sb_addc(w->sb, ',');
	w->started[top] = 1;
	return 1;
bad:
	w->bad = 1;
	return 0;
}

static void value_done(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = 1;
}

static void begin(struct json_writer *w, char kind)
{
	if (!value_ok(w, 1))
		return;
	w->kind[w->depth] = (unsigned char)kind;
	w->started[w->depth] = 0;
	w->depth++;
	sb_addc(w->sb, kind);
}

static void end(struct json_writer *w, char kind)
{
	if (w->bad || w->depth == 0 || w->kind[w->depth - 1] != kind || w->want_value) {
		w->bad = 1;
		return;
	}
	w->depth--;
	sb_addc(w->sb, kind == '{' ? '}' : ']');
	value_done(w);
}

void jw_begin_object(struct json_writer *w) { begin(w, '{'); }
void jw_end_object(struct json_writer *w) { end(w, '{'); }
void jw_begin_array(struct json_writer *w) { begin(w, '['); }
void jw_end_array(struct json_writer *w) { end(w, '['); }

void jw_key_n(struct json_writer *w, const char *key, size_t n)
{
	int top = w->depth - 1;

	if (w->bad || w->depth == 0 || w->kind[top] != '{' || w->want_value) {
		w->bad = 1;
		return;
	}
	if (w->started[top])
		sb_addc(w->sb, ',');
	w->started[top] = 1;
	json_quote(w->sb, key, n);
	sb_addc(w->sb, ':');
	w->want_value = 1;
}

void jw_key(struct json_writer *w, const char *key)
{
	jw_key_n(w, key, strlen(key));
}

void jw_string_n(struct json_writer *w, const char *s, size_t n)
{
	if (!value_ok(w, 0))
		return;
	json_quote(w->sb, s, n);
	value_done(w);
}

void jw_string(struct json_writer *w, const char *s)
{
	jw_string_n(w, s, strlen(s));
}

void jw_int(struct json_writer *w, int64_t v)
{
	if (!value_ok(w, 0))
		return;
	sb_addf(w->sb, "%lld", (long long)v);
	value_done(w);
}

void jw_number(struct json_writer *w, double v)
{
	char buf[32];
	int prec;

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	if (!value_ok(w, 0))
		return;
	if (v == 0 && signbit(v)) {
		/* "-0" would read back as the integer 0 */
		sb_adds(w->sb, "-0.0");
		value_done(w);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.17g", v);
	sb_adds(w->sb, buf);
	value_done(w);
}

static void literal(struct json_writer *w, const char *word)
{
	if (!value_ok(w, 0))
		return;
	sb_adds(w->sb, word);
	value_done(w);
}

void jw_bool(struct json_writer *w, int v) { literal(w, v ? "true" : "false"); }
void jw_null(struct json_writer *w) { literal(w, "null"); }

void jw_value(struct json_writer *w, const struct json *v)
{
	size_t i;

	switch (v->type) {
	case JSON_NULL:
		jw_null(w);
		break;
	case JSON_BOOL:
		jw_bool(w, v->u.boolean);
		break;
	case JSON_NUMBER:
		if (v->u.num.is_int)
			jw_int(w, v->u.num.integer);
		else
			jw_number(w, v->u.num.value);
		break;
	case JSON_STRING:
		jw_string_n(w, v->u.str.s, v->u.str.len);
		break;
	case JSON_ARRAY:
		jw_begin_array(w);
		for (i = 0; i < v->u.arr.n; i++)
			jw_value(w, v->u.arr.items[i]);
		jw_end_array(w);
		break;
	case JSON_OBJECT:
		jw_begin_object(w);
		for (i = 0; i < v->u.obj.n; i++) {
			jw_key_n(w, v->u.obj.members[i].key, v->u.obj.members[i].key_len);
			jw_value(w, v->u.obj.members[i].value);
		}
		jw_end_object(w);
		break;
	}
}

int jw_finish(const struct json_writer *w)
{
	return !w->bad && w->depth == 0 && w->done ? 0 : -1;
}

void jw_member_string(struct json_writer *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s)
		jw_string(w, s);
	else
		jw_null(w);
}

void jw_member_strings(struct json_writer *w, const char *key, const struct strvec *v)
{
	size_t i;

	jw_key(w, key);
	jw_begin_array(w);
	for (i = 0; i < v->n; i++)
		jw_string(w, v->v[i]);
	jw_end_array(w);
}
