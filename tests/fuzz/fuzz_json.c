/*
 * libFuzzer target: the JSON reader and writer.  Whatever the reader accepts,
 * the writer renders as text the reader accepts again, as the same tree, and
 * that text is a fixed point of the writer.  Any bytes given to the writer
 * as a key and as a string make text the reader accepts, holding them back
 * where they were valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *render(const struct json *v)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;

	jw_init(&w, &sb);
	jw_value(&w, v);
	if (jw_finish(&w) < 0)
		abort();
	return sb_detach(&sb);
}

static void check_tree(const char *text, size_t size)
{
	struct json *v = json_parse(text, size, NULL, NULL), *again;
	char *out, *out2;

	if (!v)
		return;
	out = render(v);
	again = json_parse(out, strlen(out), NULL, NULL);
	if (!again || !json_equal(v, again))
		abort();
	out2 = render(again);
	if (strcmp(out, out2) != 0)
		abort();
	json_free(again);
	json_free(v);
	free(out);
	free(out2);
}

static void check_writer(const char *bytes, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	struct json *v;
	struct strbuf why = STRBUF_INIT;

	jw_init(&w, &sb);
	jw_begin_object(&w);
	jw_key_n(&w, bytes, size);
	jw_begin_array(&w);
	jw_string_n(&w, bytes, size);
	jw_end_array(&w);
	jw_end_object(&w);
	if (jw_finish(&w) < 0 || strlen(sb.buf) != sb.len)
		abort();
	v = json_parse(sb.buf, sb.len, &why, NULL);
	if (!v && sb.len <= JSON_MAX_LEN)
		abort();
	if (v && (json_count(v) != 1 || json_count(json_at(v->u.obj.members[0].value, 0)) != 0))
		abort();
	json_free(v);
	sb_release(&sb);
	sb_release(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_tree((const char *)data, size);
	check_writer((const char *)data, size);
	return 0;
}
