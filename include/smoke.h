/*
 * vmlaunch test: boot smoke tests.  Each CONFIG boots under supervision
 * (QEMU in its own process group, one poll loop, signals as fd events);
 * a run is a small script of --expect and --send steps on the serial
 * console, and it fails fast on a panic, a --fail pattern or QEMU dying.
 */
#ifndef VMLAUNCH_SMOKE_H
#define VMLAUNCH_SMOKE_H

#include <stdio.h>

#include "diag.h"
#include "host.h"
#include "strbuf.h"

/* argv[0] is "test".  Returns the exit status (see vmlaunch(1)). */
int smoke_main(int argc, char **argv, const char *cwd, const struct host_env *env,
	       struct diag *d);

/* The JUnit report: one testcase per config. */
struct smoke_result {
	const char *config;
	const char *outcome;     /* "pass", "fail", "timeout" */
	const char *reason;      /* NULL when passed */
	char *console_tail;
	double seconds;
};

int junit_write(const char *path, const struct smoke_result *results, int n);
/* The same into F, which it closes; -1 when a write or the close failed. */
int junit_write_file(FILE *f, const struct smoke_result *results, int n);

/*
 * TEXT[0..N) as XML 1.0 character data (or an attribute value), appended to
 * OUT: markup escaped, well-formed UTF-8 kept, each byte of anything else
 * replaced by U+FFFD, as are U+FFFE and U+FFFF; control bytes other than
 * tab, newline and CR (written &#13;) dropped.  Pure, for the tests.
 */
void junit_xml_escape(struct strbuf *out, const char *text, size_t n);

#endif
