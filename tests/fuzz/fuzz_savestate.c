/*
 * libFuzzer target: arbitrary bytes as a state file's header (with a file
 * size taken from the input) and as a VM's record.  An accepted header has
 * every section inside the file, and its metadata, written again, parses
 * to the same; a parsed plan compares equal to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "savestate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct savestate_meta *m, uint64_t file_size)
{
	struct strvec diffs = STRVEC_INIT;
	struct savestate_meta again;
	struct strbuf why = STRBUF_INIT;
	char *json = savestate_json(m);
	size_t i;

	for (i = 0; i < m->ndisks; i++)
		if (m->disks[i].offset + m->disks[i].size > file_size && file_size)
			abort();
	if (savestate_compare(&m->plan, &m->plan, &diffs) != 0)
		abort();
	if (savestate_parse(json, strlen(json), 0, 0, &again, &why) < 0)
		abort();
	if (again.ndisks != m->ndisks || again.plan.n != m->plan.n ||
	    strcmp(again.config, m->config) != 0)
		abort();
	savestate_meta_free(&again);
	sb_release(&why);
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[SAVESTATE_HEADER_SIZE];
	struct savestate_meta m;
	struct strbuf why = STRBUF_INIT;
	uint64_t file_size = SAVESTATE_HEADER_SIZE;
	size_t n = size < sizeof(buf) ? size : sizeof(buf);

	if (size >= 2)
		file_size += (uint64_t)data[0] << 16 | (uint64_t)data[1] << 8;
	/* The header: the magic in front of the bytes, so the JSON is reached. */
	memcpy(buf, SAVESTATE_MAGIC, strlen(SAVESTATE_MAGIC));
	if (n > sizeof(buf) - strlen(SAVESTATE_MAGIC))
		n = sizeof(buf) - strlen(SAVESTATE_MAGIC);
	memcpy(buf + strlen(SAVESTATE_MAGIC), data, n);
	if (savestate_parse(buf, n + strlen(SAVESTATE_MAGIC), 1, file_size, &m, &why) == 0) {
		check_accepted(&m, file_size);
		savestate_meta_free(&m);
	}
	sb_release(&why);
	if (savestate_parse((const char *)data, size, 0, 0, &m, &why) == 0) {
		check_accepted(&m, 0);
		savestate_meta_free(&m);
	}
	sb_release(&why);
	if (savestate_parse((const char *)data, size, 1, size, &m, &why) == 0)
		savestate_meta_free(&m);
	sb_release(&why);
	return 0;
}
