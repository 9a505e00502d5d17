/* Small helpers: paths, shell quoting, strvec, the host's CPU limits. */
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "launch.h"
#include "path.h"
#include "strvec.h"
#include "unit.h"

static void check_resolve(const char *base, const char *path, const char *want)
{
	char *s = path_resolve(base, path);

	CHECK_STR(s, want);
	free(s);
}

static void test_paths(void)
{
	char *s;

	check_resolve("/a/b", "c", "/a/b/c");
	check_resolve("/a/b", "./c//d/.", "/a/b/c/d");
	check_resolve("/a/b", "../c", "/a/b/../c");
	check_resolve("/a/b", "/abs", "/abs");
	check_resolve("/", ".", "/");
	s = path_dirname("x.conf"); CHECK_STR(s, "."); free(s);
	s = path_dirname("/x.conf"); CHECK_STR(s, "/"); free(s);
	s = path_dirname("a/b//x.conf"); CHECK_STR(s, "a/b"); free(s);
	s = path_stem("a/alpine.conf"); CHECK_STR(s, "alpine"); free(s);
	s = path_stem(".conf"); CHECK_STR(s, ".conf"); free(s);
}

static void check_quote(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	shell_quote(&sb, in);
	CHECK_STR(sb.buf, want);
	sb_release(&sb);
}

static void test_shell_quote(void)
{
	check_quote("plain-word_1.2/x:y,z=w@%+", "plain-word_1.2/x:y,z=w@%+");
	check_quote("", "''");
	check_quote("a b", "'a b'");
	check_quote("it's", "'it'\\''s'");
	check_quote("$HOME", "'$HOME'");
	check_quote("a\nb", "'a\nb'");
}

static void test_strvec(void)
{
	struct strvec sv = STRVEC_INIT;
	int i;

	for (i = 0; i < 100; i++)
		strvec_pushf(&sv, "arg%d", i);
	CHECK(sv.n == 100);
	CHECK_STR(sv.v[99], "arg99");
	CHECK(sv.v[100] == NULL);
	strvec_clear(&sv);
	CHECK(sv.n == 0 && sv.v == NULL);
}

/* KVM's per-VM limit is an error; more vCPUs than host CPUs only a warning. */
static void test_host_cpus(void)
{
	char buf[256];
	int fatal = -1;

	CHECK(host_cpus_problem(2, 2, 0, &fatal, buf, sizeof(buf)) == NULL && fatal == 0);
	CHECK(host_cpus_problem(4, 0, 0, &fatal, buf, sizeof(buf)) == NULL);
	CHECK(host_cpus_problem(255, 2, 0, &fatal, buf, sizeof(buf)) != NULL && fatal == 0);
	CHECK(strstr(buf, "host's 2 CPUs") != NULL);
	CHECK(host_cpus_problem(8, 16, 4, &fatal, buf, sizeof(buf)) != NULL && fatal == 1);
	CHECK(strstr(buf, "KVM gives one VM on this host (4)") != NULL);
	CHECK(host_cpus_problem(4, 16, 4, &fatal, buf, sizeof(buf)) == NULL && fatal == 0);
}

const struct unit_case misc_cases[] = {
	{ "misc/host-cpus", test_host_cpus },
	{ "misc/paths", test_paths },
	{ "misc/shell-quote", test_shell_quote },
	{ "misc/strvec", test_strvec },
	{ NULL, NULL },
};
