/*
 * vmlaunch's own cost from start to exec, in-process: parse, override,
 * finish, validate and build the argv for CONFIG, N times; prints the mean
 * per iteration.  The whole-process cost is measured by scripts/bootbench.
 * usage: build/bench-launch CONFIG [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "host.h"
#include "qemu_argv.h"
#include "validate.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct host_env env;
	char cwd[4096];
	FILE *null = fopen("/dev/null", "w");
	long i, n = argc > 2 ? atol(argv[2]) : 10000;
	double t0, secs;
	struct strvec tcg = STRVEC_INIT;

	if (argc < 2 || n < 1 || !null || !getcwd(cwd, sizeof(cwd))) {
		fputs("usage: bench-launch CONFIG [N]\n", stderr);
		return 64;
	}
	host_env_from_environment(&env);
	strvec_push(&tcg, "accel=tcg");
	t0 = now();
	for (i = 0; i < n; i++) {
		struct qemu_cmd cmd = QEMU_CMD_INIT;
		struct vm_config cfg;
		struct vm_plan plan;
		struct diag d;

		diag_init(&d, null);
		if (config_load(&cfg, argv[1], &tcg, cwd, &d) ||
		    config_validate(&cfg, VALIDATE_PRINT, &env, &d, &plan) ||
		    qemu_cmd_build(&plan, &cmd) < 0) {
			fprintf(stderr, "bench-launch: %s does not validate\n", argv[1]);
			return 65;
		}
		qemu_cmd_free(&cmd);
		plan_free(&plan);
		config_free(&cfg);
	}
	secs = now() - t0;
	strvec_clear(&tcg);
	printf("parse+validate+build, in-process, mean of %ld: %.1f us\n", n, secs / (double)n * 1e6);
	return 0;
}
