/*
 * JSON (RFC 8259): a reader that parses one text into a tree, and a writer
 * that appends well-formed JSON to a strbuf.  Strings are UTF-8 both ways:
 * the reader rejects invalid UTF-8, lone surrogates and raw control
 * characters; the writer turns invalid bytes into U+FFFD so that whatever
 * it is given, its output is valid JSON.
 */
#ifndef VMLAUNCH_JSON_H
#define VMLAUNCH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "strvec.h"

#define JSON_MAX_DEPTH 64          /* nested arrays and objects, outermost = 1 */
#define JSON_MAX_LEN (1 << 20)     /* bytes of one text the reader accepts */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_member;

struct json {
	enum json_type type;
	union {
		int boolean;                    /* JSON_BOOL: 0 or 1 */
		struct {
			double value;           /* always set */
			int64_t integer;        /* when is_int */
			int is_int;             /* no fraction, no exponent, fits int64 */
		} num;
		struct {
			char *s;                /* UTF-8, NUL-terminated; may hold "\u0000" */
			size_t len;
		} str;
		struct {
			struct json **items;
			size_t n;
		} arr;
		struct {
			struct json_member *members;   /* in the order of the text */
			size_t n;
		} obj;
	} u;
};

struct json_member {
	char *key;                              /* like a string: NUL-terminated */
	size_t key_len;
	struct json *value;
};

/*
 * Parse the LEN bytes at TEXT (one value, surrounded by optional white
 * space; no NUL needed at the end).  On error: NULL, one message in WHY
 * ("at byte N: ...") and, when WHERE is not NULL, the byte offset N.
 * Duplicate keys are kept; json_get finds the first.
 */
struct json *json_parse(const char *text, size_t len, struct strbuf *why, size_t *where);
void json_free(struct json *v);

/* Lookups: NULL (or the fallback) when V is NULL or not of that type. */
const struct json *json_get(const struct json *obj, const char *key);
const char *json_str(const struct json *v);
int json_bool(const struct json *v, int fallback);
/* 0 and *OUT for an integral number, else -1. */
int json_int(const struct json *v, int64_t *out);
/* 0 and *OUT for any number, else -1. */
int json_double(const struct json *v, double *out);
/* Members of an object or items of an array (0 for anything else). */
size_t json_count(const struct json *v);
const struct json *json_at(const struct json *arr, size_t i);
/* Remove KEY's first member from OBJ and return its value (the caller frees). */
struct json *json_detach(struct json *obj, const char *key);
/* Same type and contents, members in the same order (numbers by value). */
int json_equal(const struct json *a, const struct json *b);

/*
 * The writer: appends to SB and places commas and colons itself.  Misuse
 * (a value where a key is due, an unbalanced end, nesting deeper than
 * JSON_MAX_DEPTH) writes nothing and makes jw_finish fail.
 */
struct json_writer {
	struct strbuf *sb;
	int depth;
	int bad;                                /* misused: the text is not whole */
	int done;                               /* a top-level value was written */
	unsigned char kind[JSON_MAX_DEPTH];     /* '{' or '[' per open level */
	unsigned char started[JSON_MAX_DEPTH];  /* the level has a member: commas due */
	int want_value;                         /* a key was written: its value is due */
};

void jw_init(struct json_writer *w, struct strbuf *sb);
void jw_begin_object(struct json_writer *w);
void jw_end_object(struct json_writer *w);
void jw_begin_array(struct json_writer *w);
void jw_end_array(struct json_writer *w);
void jw_key(struct json_writer *w, const char *key);
void jw_key_n(struct json_writer *w, const char *key, size_t n);
void jw_string(struct json_writer *w, const char *s);
void jw_string_n(struct json_writer *w, const char *s, size_t n);
void jw_int(struct json_writer *w, int64_t v);
/* Shortest text that reads back as V; NaN and infinities (not JSON) as null. */
void jw_number(struct json_writer *w, double v);
void jw_bool(struct json_writer *w, int v);
void jw_null(struct json_writer *w);
/* A member KEY whose value is the string S, or null when S is NULL. */
void jw_member_string(struct json_writer *w, const char *key, const char *s);
/* A member KEY whose value is the array of V's strings. */
void jw_member_strings(struct json_writer *w, const char *key, const struct strvec *v);
/* A whole tree. */
void jw_value(struct json_writer *w, const struct json *v);
/* 0 when exactly one whole value was written, else -1. */
int jw_finish(const struct json_writer *w);

/* Append the JSON string literal of the N bytes at S (quotes included). */
void json_quote(struct strbuf *sb, const char *s, size_t n);

#endif
