/* The vmlaunch commands; main.c parses the command line and calls one. */
#ifndef VMLAUNCH_COMMANDS_H
#define VMLAUNCH_COMMANDS_H

#include "diag.h"
#include "host.h"
#include "strvec.h"

struct cli {
	struct strvec overrides;  /* -o KEY=VALUE, in order */
	char **configs;
	int nconfigs;
	const char *cwd;          /* absolute */
	struct host_env env;
	struct diag *d;
	int json;                 /* --json: check and doctor */
	const struct own_command *own;  /* console, test: they parse their own options */
	const char *format;             /* export --format, or NULL */
	const char *restore;            /* run --restore FILE, or NULL */
	int rest_argc;                  /* their arguments, from the command word on */
	char **rest_argv;
};

int cmd_run(const struct cli *cli);
int cmd_check(const struct cli *cli);
int cmd_print(const struct cli *cli);
int cmd_doctor(const struct cli *cli);
int cmd_export(const struct cli *cli);

#endif
