/* vmlaunch: command-line parsing and dispatch, nothing else. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "console.h"
#include "config.h"
#include "diag.h"
#include "exitcodes.h"
#include "host.h"
#include "smoke.h"
#include "strvec.h"
#include "vmctl.h"

#ifndef VMLAUNCH_VERSION
#define VMLAUNCH_VERSION "unknown"
#endif

static const struct command {
	const char *name;
	int (*fn)(const struct cli *cli);
	int min_configs, max_configs;
	int json;                 /* takes --json */
	const char *usage;
} commands[] = {
	{ "run", cmd_run, 1, 1, 0, "run [-o KEY=VALUE]... CONFIG      boot the VM: exec QEMU" },
	/* run --restore FILE [CONFIG]: CONFIG may be left to the state file. */
	{ "check", cmd_check, 1, INT_MAX, 1,
	  "check [--json] [-o KEY=VALUE]... CONFIG...\n"
	  "                                 parse and validate" },
	{ "print", cmd_print, 1, 1, 0, "print [-o KEY=VALUE]... CONFIG    show the QEMU command line" },
	{ "doctor", cmd_doctor, 0, 1, 1, "doctor [--json] [CONFIG]          check the host" },
	{ "export", cmd_export, 1, 1, 0, "export [--format libvirt] [-o KEY=VALUE]... CONFIG\n"
	  "                                 the VM as a libvirt domain (XML) on stdout" },
};

/* Commands that parse their own options get the rest of the command line. */
static int run_console(int argc, char **argv, const char *cwd, const struct host_env *env,
		       struct diag *d)
{
	(void)cwd;
	(void)env;
	return console_main(argc, argv, d);
}

static const struct own_command {
	const char *name;
	int (*fn)(int argc, char **argv, const char *cwd, const struct host_env *env,
		  struct diag *d);
} own_commands[] = {
	{ "console", run_console },
	{ "test", smoke_main },
	{ "start", vmctl_start },
	{ "list", vmctl_list },
	{ "status", vmctl_status },
	{ "exec", vmctl_exec },
	{ "save", vmctl_save },
	{ "stop", vmctl_stop },
};

static void usage(FILE *out)
{
	size_t i;
	int k;

	fputs("usage: vmlaunch [-q|-v] [-o KEY=VALUE]... CONFIG    boot the VM (as run)\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "       vmlaunch [-q|-v] %s\n", commands[i].usage);
	fputs("       vmlaunch [-q|-v] console [--replay] [--timeout SECONDS] SOCKET|CONFIG|NAME\n"
	      "                                 attach this terminal to the VM's serial socket\n"
	      "                                 (leave with Ctrl-] or ~. at the start of a line)\n"
	      "       vmlaunch [-q|-v] test [OPTIONS] [--json] [-o KEY=VALUE]... CONFIG...\n"
	      "                                 boot smoke test, see below\n"
	      "       vmlaunch start [--wait] [--timeout S] [-o KEY=VALUE]... CONFIG\n"
	      "                                 start the VM in the background; prints its NAME\n"
	      "       vmlaunch save [--stop] [--timeout S] NAME FILE\n"
	      "                                 the started VM's whole state into FILE\n"
	      "       vmlaunch run|start|test --restore FILE [-o KEY=VALUE]... [CONFIG]\n"
	      "                                 go on from a saved state: no boot\n"
	      "       vmlaunch list [--json] | status [--json] NAME\n"
	      "                                 the started VMs, as QEMU reports them\n"
	      "       vmlaunch exec [--timeout S] NAME -- COMMAND...\n"
	      "                                 run COMMAND in the guest's shell: its output, its status\n"
	      "       vmlaunch stop [--force] [--timeout S] NAME | --all\n"
	      "                                 power the VM off (then quit, then kill)\n"
	      "       vmlaunch -h | --help | -V | --version\n\n"
	      "options:\n"
	      "  -o KEY=VALUE  set a config key, replacing the file's value (repeatable)\n"
	      "  -q            no warnings\n"
	      "  -v            explain what vmlaunch decides\n\n"
	      "test options (steps run in command-line order after --ready):\n"
	      "  --ready RE       boot marker to wait for [vmlaunch: boot ok]\n"
	      "  --expect RE      wait for RE on the console\n"
	      "  --send TEXT      type TEXT and Enter into the console\n"
	      "  --fail RE        fail as soon as RE appears (repeatable; built in: Kernel panic, BUG:, Oops)\n"
	      "  --exit-status    the status of the last --send's command is the result\n"
	      "  --timeout SECS   per config [60]; exit 124 when it expires\n"
	      "  --transcript F   the full console output    --junit F   JUnit XML\n"
	      "  -j N             run N configs at once [1]\n\n"
	      "config keys (vmlaunch.conf(5)):\n", out);
	for (k = 0; k < KEY__COUNT; k++)
		fprintf(out, "  %-11s %s%s%s%s\n", cfg_keys[k].name, cfg_keys[k].help,
			cfg_keys[k].def && *cfg_keys[k].def ? " [" : "",
			cfg_keys[k].def && *cfg_keys[k].def ? cfg_keys[k].def : "",
			cfg_keys[k].def && *cfg_keys[k].def ? "]" : "");
	fputs("\nexit status: 0 ok; 1 test failed; 64 usage; 65 invalid config; 66 missing or\n"
	      "unreadable file; 69 QEMU or KVM unavailable, socket in use; 70 internal;\n"
	      "68 no such VM; 71 system error; 124 timeout; 128+N killed by signal N;\n"
	      "exec: otherwise the guest command's own status;\n"
	      "run: otherwise QEMU's own status; with debug_exit the guest's.\n"
	      "See vmlaunch(1).\n", out);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vmlaunch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vmlaunch --help'.\n", stderr);
	return EXIT_USAGE;
}

static const struct command *find_command(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(word, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Every command word, in usage order: the two tables end to end. */
static const char *command_name(size_t i)
{
	if (i < COUNT(commands))
		return commands[i].name;
	i -= COUNT(commands);
	return i < COUNT(own_commands) ? own_commands[i].name : NULL;
}

/* The command nearest to WORD, or NULL when none is close. */
static const char *suggest_command(const char *word)
{
	size_t i, best = (size_t)-1, limit = strlen(word) <= 4 ? 1 : 2;
	const char *name, *pick = NULL;

	for (i = 0; (name = command_name(i)); i++) {
		size_t dist = edit_distance(word, name);

		if (dist <= limit && dist < best) {
			best = dist;
			pick = name;
		}
	}
	return pick;
}

/*
 * A first word that is not a command is a CONFIG for run, unless run
 * could not take it: then it was meant as a command ("stop", "chek").
 */
static int implied_run_misread(const struct cli *cli)
{
	const char *word = cli->configs[0], *near, *name;
	size_t i;

	if (strchr(word, '/') || access(word, F_OK) == 0)
		return 0;
	near = suggest_command(word);
	if (cli->nconfigs == 1 && !near)
		return 0;
	fprintf(stderr, "vmlaunch: unknown command '%s'", word);
	if (near)
		fprintf(stderr, " (did you mean '%s'?)", near);
	fputs("; the commands are:", stderr);
	for (i = 0; (name = command_name(i)); i++)
		fprintf(stderr, " %s", name);
	fputs("\nTry 'vmlaunch --help'.\n", stderr);
	return 1;
}

/* Options may stand before or after the command word; "--" ends them. */
static int parse_args(int argc, char **argv, struct cli *cli, const struct command **cmd,
		      struct diag *d)
{
	int i, options_done = 0, implied = 0;

	*cmd = NULL;
	cli->configs = calloc((size_t)argc, sizeof(*cli->configs));
	if (!cli->configs)
		return EXIT_OSERR;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!options_done && a[0] == '-' && a[1]) {
			if (strcmp(a, "--") == 0) {
				options_done = 1;
			} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
				usage(stdout);
				return -1;
			} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
				printf("vmlaunch %s\n", VMLAUNCH_VERSION);
				return -1;
			} else if (strcmp(a, "-q") == 0) {
				d->quiet = 1;
			} else if (strcmp(a, "-v") == 0) {
				d->verbose = 1;
			} else if (strcmp(a, "--json") == 0) {
				cli->json = 1;
			} else if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
				cli->format = a[8] ? a + 9 : argv[++i];
				if (!cli->format)
					return usage_error("option --format needs a FORMAT");
			} else if (strcmp(a, "--restore") == 0) {
				cli->restore = argv[++i];
				if (!cli->restore)
					return usage_error("option --restore needs a state FILE");
			} else if (strncmp(a, "-o", 2) == 0) {
				const char *kv = a[2] ? a + 2 : argv[++i];

				if (!kv)
					return usage_error("option -o needs KEY=VALUE");
				strvec_push(&cli->overrides, kv);
			} else {
				return usage_error("unknown option '%s'", a);
			}
			continue;
		}
		if (!*cmd && cli->nconfigs == 0) {
			size_t k;

			for (k = 0; k < sizeof(own_commands) / sizeof(own_commands[0]); k++) {
				if (strcmp(a, own_commands[k].name) == 0) {
					if (cli->overrides.n || cli->json)
						return usage_error("%s must come after '%s'",
								   cli->json ? "--json" : "-o", a);
					cli->own = &own_commands[k];
					cli->rest_argc = argc - i;
					cli->rest_argv = argv + i;
					return 1;
				}
			}

			*cmd = find_command(a);
			if (*cmd)
				continue;
			*cmd = find_command("run");
			implied = 1;
		}
		cli->configs[cli->nconfigs++] = argv[i];
	}
	if (!*cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (implied && implied_run_misread(cli))
		return EXIT_USAGE;
	if (cli->json && !(*cmd)->json)
		return usage_error("%s: unknown option '--json'", (*cmd)->name);
	if (cli->format && (*cmd)->fn != cmd_export)
		return usage_error("--format is an option of export, not of %s", (*cmd)->name);
	if (cli->restore && (*cmd)->fn != cmd_run)
		return usage_error("--restore is an option of run, start and test, not of %s",
				   (*cmd)->name);
	if (cli->nconfigs < (*cmd)->min_configs && !cli->restore)
		return usage_error("%s: missing CONFIG", (*cmd)->name);
	if (cli->nconfigs > (*cmd)->max_configs)
		return usage_error("%s: too many arguments", (*cmd)->name);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli;
	const struct command *cmd;
	char cwd[PATH_MAX];
	struct diag d;
	int status;

	/*
	 * Descriptors 0-2 closed by the caller would be reused by the first
	 * files vmlaunch opens (a transcript would become stdout): fill them.
	 */
	for (status = 0; status < 3; status++)
		if (fcntl(status, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) != status)
			return EXIT_OSERR;
	memset(&cli, 0, sizeof(cli));
	diag_init(&d, stderr);
	cli.d = &d;
	status = parse_args(argc, argv, &cli, &cmd, &d);
	if (status == 1) {
		/* A command with options of its own gets the rest of the line. */
		if (!getcwd(cwd, sizeof(cwd))) {
			perror("vmlaunch: cannot find the current directory");
			status = EXIT_OSERR;
		} else {
			host_env_from_environment(&cli.env);
			status = cli.own->fn(cli.rest_argc, cli.rest_argv, cwd, &cli.env, &d);
		}
	} else if (status == 0) {
		if (!getcwd(cwd, sizeof(cwd))) {
			perror("vmlaunch: cannot find the current directory");
			status = EXIT_OSERR;
		} else {
			cli.cwd = cwd;
			host_env_from_environment(&cli.env);
			status = cmd->fn(&cli);
		}
	} else if (status < 0) {
		status = EXIT_OK;
	}
	strvec_clear(&cli.overrides);
	free(cli.configs);
	return status;
}
