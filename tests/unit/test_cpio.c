/* The newc writer: exact headers, 4-byte alignment, the trailer, and no hidden state. */
#include "cpio.h"
#include "unit.h"

static void test_cpio_layout(void)
{
	struct cpio c = CPIO_INIT;
	const char *p;

	cpio_add_dir(&c, "dev", 0755);
	cpio_add_file(&c, "init", 0755, "abcde", 5);
	cpio_finish(&c);
	p = c.out.buf;
	/* dir: ino 1, mode 040755, nlink 2, size 0, namesize 4; 110 + 4 padded to 116 */
	CHECK(memcmp(p, "070701" "00000001" "000041ED" "00000000" "00000000" "00000002"
		     "00000000" "00000000" "00000000" "00000000" "00000000" "00000000" "00000004"
		     "00000000" "dev", 6 + 13 * 8 + 4) == 0);
	CHECK(memcmp(p + 110, "dev\0\0\0", 6) == 0);
	p += 116;
	/* file: ino 2, mode 0100755, size 5, namesize 5: 110 + 5 padded to 116, data to 8 */
	CHECK(memcmp(p, "070701" "00000002" "000081ED" "00000000" "00000000" "00000001"
		     "00000000" "00000005", 6 + 7 * 8) == 0);
	CHECK(memcmp(p + 110, "init\0\0", 6) == 0);
	CHECK(memcmp(p + 116, "abcde\0\0\0", 8) == 0);
	p += 124;
	CHECK(memcmp(p, "070701" "00000000", 14) == 0);
	CHECK(memcmp(p + 110, "TRAILER!!!", 11) == 0);
	CHECK(c.out.len == 116 + 124 + 124);
	CHECK(c.out.len % 4 == 0);
	cpio_release(&c);
}

static void test_cpio_deterministic(void)
{
	struct cpio a = CPIO_INIT, b = CPIO_INIT;

	cpio_add_file(&a, "x", 0644, "1", 1);
	cpio_finish(&a);
	cpio_add_file(&b, "x", 0644, "1", 1);
	cpio_finish(&b);
	CHECK(a.out.len == b.out.len && memcmp(a.out.buf, b.out.buf, a.out.len) == 0);
	cpio_release(&b);
	cpio_add_file(&b, "x", 0644, "2", 1);
	cpio_finish(&b);
	CHECK(a.out.len == b.out.len && memcmp(a.out.buf, b.out.buf, a.out.len) != 0);
	cpio_release(&a);
	cpio_release(&b);
}

const struct unit_case cpio_cases[] = {
	{ "cpio_layout", test_cpio_layout },
	{ "cpio_deterministic", test_cpio_deterministic },
	{ NULL, NULL },
};
