/* The pure parts of saved states: the comparison, the metadata's JSON, the header. */
#include <stdlib.h>
#include <string.h>

#include "savestate.h"
#include "unit.h"

static void lines(struct strvec *v, const char *const *l)
{
	for (; *l; l++)
		strvec_push(v, *l);
}

static const char *const saved_plan[] = {
	"qemu=/usr/bin/qemu-system-x86_64", "qemu.id=size 1, head 1", "machine=microvm",
	"memory=128M", "device1=disk rootfs virtio-blk-device", "disk.rootfs.mode=raw snapshot",
	"disk.rootfs=/img/rootfs.ext4", "disk.rootfs.id=size 10, head aa", NULL,
};

static void test_compare_same(void)
{
	struct strvec a = STRVEC_INIT, b = STRVEC_INIT, diffs = STRVEC_INIT;

	lines(&a, saved_plan);
	lines(&b, saved_plan);
	CHECK(savestate_compare(&a, &b, &diffs) == 0);
	CHECK(diffs.n == 0);
	strvec_clear(&a);
	strvec_clear(&b);
}

static void test_compare_named(void)
{
	static const char *const now_plan[] = {
		"qemu=/usr/bin/qemu-system-x86_64", "qemu.id=size 1, head 1", "machine=microvm",
		"memory=256M", "device1=disk rootfs virtio-blk-device",
		"disk.rootfs.mode=raw snapshot", "disk.rootfs=/img/rootfs.ext4",
		"disk.rootfs.id=size 12, head bb", "cpus=2", NULL,
	};
	struct strvec a = STRVEC_INIT, b = STRVEC_INIT, diffs = STRVEC_INIT;

	lines(&a, saved_plan);
	lines(&b, now_plan);
	CHECK(savestate_compare(&a, &b, &diffs) == 3);
	CHECK_STR(diffs.v[0], "saved with memory=128M, the config says 256M");
	CHECK_STR(diffs.v[1], "disk.rootfs /img/rootfs.ext4 changed since the save (then: size 10, "
		  "head aa; now: size 12, head bb)");
	CHECK_STR(diffs.v[2], "the config has cpus=2, the saved VM had no cpus");
	strvec_clear(&diffs);
	strvec_clear(&b);
	/* Another file: its path is the difference, not its identity. */
	strvec_push(&b, "disk.rootfs=/img/other.ext4");
	strvec_push(&b, "disk.rootfs.id=size 10, head cc");
	CHECK(savestate_compare(&a, &b, &diffs) >= 1);
	CHECK(diffs.n && strstr(diffs.v[0], "saved with qemu=") != NULL);
	CHECK(strstr(diffs.v[diffs.n - 1], "changed since") == NULL);
	strvec_clear(&a);
	strvec_clear(&b);
	strvec_clear(&diffs);
}

static char *header_of(const struct savestate_meta *m, size_t *len)
{
	char *json = savestate_json(m), *buf = calloc(1, SAVESTATE_HEADER_SIZE);
	size_t n = strlen(SAVESTATE_MAGIC);

	memcpy(buf, SAVESTATE_MAGIC, n);
	memcpy(buf + n, json, strlen(json));
	buf[n + strlen(json)] = '\n';
	*len = SAVESTATE_HEADER_SIZE;
	free(json);
	return buf;
}

/* The header as save writes it: its SHA-256 checked; a byte changed, or no hash, refused. */
static void test_header_sha(void)
{
	struct savestate_meta m, got;
	struct strbuf why = STRBUF_INIT;
	size_t len;
	char *head, *buf = calloc(1, SAVESTATE_HEADER_SIZE), *p;

	memset(&m, 0, sizeof(m));
	m.config = strdup("/c.conf");
	strvec_push(&m.plan, "memory=128M");
	m.stream_offset = SAVESTATE_HEADER_SIZE;
	m.stream_size = 10;
	m.disks[0].id = strdup("rootfs");
	memset(m.disks[0].sha256, 'a', 64);
	m.disks[0].offset = SAVESTATE_HEADER_SIZE + 10;
	m.disks[0].size = 5;
	m.ndisks = 1;
	head = savestate_header(&m, &len);
	memcpy(buf, head, len);
	CHECK(savestate_parse(buf, SAVESTATE_HEADER_SIZE, 1, SAVESTATE_HEADER_SIZE + 15, &got,
			      &why) == 0);
	CHECK(strcmp(got.disks[0].sha256, m.disks[0].sha256) == 0);
	savestate_meta_free(&got);
	CHECK(savestate_verify(buf, SAVESTATE_HEADER_SIZE, &why) == 0);
	p = strstr(buf, "128M");
	p[2] = '9';
	CHECK(savestate_verify(buf, SAVESTATE_HEADER_SIZE, &why) < 0);
	CHECK(strstr(why.buf, "its metadata is corrupt") != NULL);
	sb_release(&why);
	memset(strstr(buf, "\nsha256 "), 0, 8);
	buf[strlen(head) - 73] = '\n';
	CHECK(savestate_verify(buf, SAVESTATE_HEADER_SIZE, &why) < 0);
	CHECK(strstr(why.buf, "has no SHA-256") != NULL);
	sb_release(&why);
	free(head);
	free(buf);
	savestate_meta_free(&m);
}

static void sample(struct savestate_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->config = strdup("/cfg/mini.conf");
	strvec_push(&m->overrides, "accel=tcg");
	lines(&m->plan, saved_plan);
	m->qemu_version = strdup("7.2.0");
	m->running = 1;
	m->stream_offset = SAVESTATE_HEADER_SIZE;
	m->stream_size = 1000;
	m->disks[0].id = strdup("rootfs");
	m->disks[0].fd = 9;
	m->disks[0].offset = SAVESTATE_HEADER_SIZE + 1000;
	m->disks[0].size = 500;
	m->ndisks = 1;
}

static void test_round_trip(void)
{
	struct savestate_meta m, got;
	struct strbuf why = STRBUF_INIT;
	uint64_t size = SAVESTATE_HEADER_SIZE + 1500;
	size_t len;
	char *buf;

	sample(&m);
	buf = header_of(&m, &len);
	CHECK(savestate_parse(buf, len, 1, size, &got, &why) == 0);
	CHECK_STR(got.config, "/cfg/mini.conf");
	CHECK(got.overrides.n == 1 && got.plan.n == m.plan.n && got.running == 1);
	CHECK(got.ndisks == 1 && got.disks[0].offset == m.disks[0].offset && got.disks[0].fd == 9);
	CHECK_STR(got.disks[0].id, "rootfs");
	savestate_meta_free(&got);
	/* Truncated: one byte short of the last section. */
	CHECK(savestate_parse(buf, len, 1, size - 1, &got, &why) < 0);
	CHECK(strstr(why.buf, "truncated") != NULL);
	sb_release(&why);
	/* Cut inside the header. */
	CHECK(savestate_parse(buf, 40, 1, 40, &got, &why) < 0);
	CHECK(strstr(why.buf, "truncated") != NULL);
	sb_release(&why);
	/* Foreign. */
	buf[0] = 'X';
	CHECK(savestate_parse(buf, len, 1, size, &got, &why) < 0);
	CHECK(strstr(why.buf, "not a vmlaunch state file") != NULL);
	sb_release(&why);
	free(buf);
	/* Sections that overlap are refused. */
	m.disks[0].offset = SAVESTATE_HEADER_SIZE + 10;
	buf = header_of(&m, &len);
	CHECK(savestate_parse(buf, len, 1, size, &got, &why) < 0);
	CHECK(strstr(why.buf, "inside another section") != NULL);
	sb_release(&why);
	free(buf);
	savestate_meta_free(&m);
}

static void test_record_and_config(void)
{
	static const char rec[] = "{\"vmlaunch_state\":1,\"config\":\"/c/x.conf\","
		"\"overrides\":[\"accel=tcg\"],\"plan\":[\"machine=pc\"],\"qemu_version\":null,"
		"\"running\":false,\"stream\":{\"offset\":0,\"size\":0},\"disks\":[]}";
	struct savestate_meta m;
	struct strbuf why = STRBUF_INIT;
	struct strvec cli = STRVEC_INIT, ov = STRVEC_INIT, cwds = STRVEC_INIT;
	const char *use;

	CHECK(savestate_parse(rec, strlen(rec), 0, 0, &m, &why) == 0);
	strvec_push(&cli, "name=b");
	savestate_config(&m, NULL, &cli, "/here", &use, &ov, &cwds);
	CHECK_STR(use, "/c/x.conf");
	CHECK(ov.n == 2 && strcmp(ov.v[0], "accel=tcg") == 0 && strcmp(ov.v[1], "name=b") == 0);
	/* A record without overrides_cwd (an older one): the restore's directory. */
	CHECK(cwds.n == 2 && strcmp(cwds.v[0], "/here") == 0 && strcmp(cwds.v[1], "/here") == 0);
	strvec_clear(&ov);
	strvec_clear(&cwds);
	/* A CONFIG given: only the command's -o. */
	savestate_config(&m, "y.conf", &cli, "/here", &use, &ov, &cwds);
	CHECK_STR(use, "y.conf");
	CHECK(ov.n == 1 && cwds.n == 1);
	strvec_clear(&ov);
	strvec_clear(&cwds);
	strvec_clear(&cli);
	savestate_meta_free(&m);
	/* Plan lines the comparison could not pair: no '=', a key twice (found by fuzzing). */
	{
		static const char *const bad[] = {
			"{\"vmlaunch_state\":1,\"config\":\"/c\",\"overrides\":[],\"plan\":[\"a\"],"
			"\"stream\":{\"offset\":0,\"size\":0},\"disks\":[]}",
			"{\"vmlaunch_state\":1,\"config\":\"/c\",\"overrides\":[],\"plan\":[\"a=1\","
			"\"a=2\"],\"stream\":{\"offset\":0,\"size\":0},\"disks\":[]}",
		};
		size_t i;

		for (i = 0; i < 2; i++) {
			CHECK(savestate_parse(bad[i], strlen(bad[i]), 0, 0, &m, &why) < 0);
			sb_release(&why);
		}
	}
	/* A record that is not complete. */
	CHECK(savestate_parse("{\"vmlaunch_state\":2}", 20, 0, 0, &m, &why) < 0);
	CHECK(strstr(why.buf, "incomplete") != NULL);
	sb_release(&why);
}

const struct unit_case savestate_cases[] = {
	{ "savestate/compare-same", test_compare_same },
	{ "savestate/compare-named", test_compare_named },
	{ "savestate/round-trip", test_round_trip },
	{ "savestate/header-sha256", test_header_sha },
	{ "savestate/record-and-config", test_record_and_config },
	{ NULL, NULL },
};
