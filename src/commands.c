#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "devices.h"
#include "exitcodes.h"
#include "launch.h"
#include "libvirt_xml.h"
#include "prepare.h"
#include "qemu_argv.h"
#include "safefile.h"
#include "strbuf.h"
#include "validate.h"
#include "xalloc.h"

/* Load and validate: the plan ready to build, or a status.  Free both either way. */
static int load(const struct cli *cli, const char *file, enum validate_mode mode,
		struct vm_config *cfg, struct vm_plan *plan)
{
	struct diag *d = cli->d;
	unsigned first = d->errors;

	memset(plan, 0, sizeof(*plan));
	if (config_load(cfg, file, &cli->overrides, cli->cwd, d))
		return d->status;
	if (config_validate(cfg, mode, &cli->env, d, plan) || d->errors != first)
		return d->status;
	return EXIT_OK;
}

/* Validation should have refused any plan the builder cannot render: a bug if not. */
static int build(const struct vm_plan *plan, struct qemu_cmd *cmd, struct diag *d)
{
	if (qemu_cmd_build(plan, cmd) == 0)
		return EXIT_OK;
	diag_error(d, NULL, EXIT_INTERNAL, "internal error: cannot build the QEMU command "
		   "line: %s", cmd->error);
	return EXIT_INTERNAL;
}

int cmd_run(const struct cli *cli)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct vm_config cfg;
	struct vm_plan plan;
	int status = load(cli, cli->configs[0], VALIDATE_STRICT, &cfg, &plan);

	if (status == EXIT_OK && prepare_boot_log(&plan, cli->d) < 0)
		status = EXIT_NOINPUT;
	if (status == EXIT_OK && prepare_overlays(&plan, cli->d) < 0)
		status = EXIT_OSERR;
	if (status == EXIT_OK) {
		status = build(&plan, &cmd, cli->d);
		if (status == EXIT_OK)
			status = cfg.debug_exit ? launch_run(&cmd, cli->d) :
						  launch_exec(&cmd, cli->d);
		qemu_cmd_free(&cmd);
	}
	plan_free(&plan);
	config_free(&cfg);
	return status;
}

int cmd_print(const struct cli *cli)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct vm_config cfg;
	struct vm_plan plan;
	int status = load(cli, cli->configs[0], VALIDATE_PRINT, &cfg, &plan);
	size_t i, snapshots = 0;

	for (i = 0; status == EXIT_OK && i < plan.ndisks; i++) {
		if (!plan.disks[i].snapshot)
			continue;
		plan_set(&plan.disks[i].overlay, xstrdup("/proc/self/fd/N"));
		snapshots++;
	}
	if (snapshots) {
		struct origin at = config_origin(&cfg, KEY_SNAPSHOT);

		diag_warn(cli->d, &at, "snapshot = yes: run gives QEMU an overlay that exists "
			  "only as an open file descriptor; this command cannot be pasted as is");
	}
	if (status == EXIT_OK) {
		status = build(&plan, &cmd, cli->d);
		if (status == EXIT_OK)
			launch_print(&cmd, stdout);
		qemu_cmd_free(&cmd);
	}
	plan_free(&plan);
	config_free(&cfg);
	return status;
}
/*
 * The VM as another manager's definition, from the plan run would use:
 * files are checked as print checks them (another host may be the target),
 * and nothing is started or created.
 */
int cmd_export(const struct cli *cli)
{
	struct device_list devs = DEVICE_LIST_INIT;
	struct strbuf why = STRBUF_INIT, xml = STRBUF_INIT;
	struct vm_config cfg;
	struct vm_plan plan;
	int status;

	if (cli->format && strcmp(cli->format, "libvirt") != 0) {
		fprintf(stderr, "vmlaunch: export: unknown format '%s' (there is: libvirt)\n"
			"Try 'vmlaunch --help'.\n", cli->format);
		return EXIT_USAGE;
	}
	status = load(cli, cli->configs[0], VALIDATE_PRINT, &cfg, &plan);
	if (status == EXIT_OK && devices_build(&plan, &devs, &why) < 0) {
		diag_error(cli->d, NULL, EXIT_INTERNAL, "internal error: cannot build the "
			   "device list: %s", why.buf);
		status = EXIT_INTERNAL;
	}
	if (status == EXIT_OK && libvirt_xml_build(&plan, &devs, &xml, cli->d))
		status = cli->d->status;
	/* All or nothing: half a domain on stdout would define a different VM. */
	if (status == EXIT_OK && (fwrite(xml.buf, 1, xml.len, stdout) != xml.len ||
				  fflush(stdout) != 0)) {
		diag_error(cli->d, NULL, EXIT_OSERR, "export: cannot write the XML: %s",
			   strerror(errno));
		status = EXIT_OSERR;
	}
	devices_free(&devs);
	sb_release(&why);
	sb_release(&xml);
	plan_free(&plan);
	config_free(&cfg);
	return status;
}

/* Every config is checked and reported; the first failure's status wins. */
int cmd_check(const struct cli *cli)
{
	struct diag *d = cli->d;
	int i, status = EXIT_OK;

	for (i = 0; i < cli->nconfigs; i++) {
		struct vm_config cfg;
		struct vm_plan plan;
		int one;

		d->errors = 0;
		d->status = 0;
		one = load(cli, cli->configs[i], VALIDATE_STRICT, &cfg, &plan);
		if (one == EXIT_OK)
			printf("%s: configuration OK\n", cli->configs[i]);
		else if (status == EXIT_OK)
			status = one;
		plan_free(&plan);
		config_free(&cfg);
	}
	return status;
}

static void doctor_kvm(const struct cli *cli, int *kvm_usable)
{
	struct kvm_probe probe;
	char why[512];

	host_probe_kvm(&cli->env, &probe);
	kvm_problem(&cli->env, &probe, why, sizeof(why));
	*kvm_usable = probe.state == KVM_USABLE;
	printf("kvm:   %s\n", why);
	if (*kvm_usable) {
		printf("auto:  kvm (hardware virtualisation)\n");
		return;
	}
	printf("auto:  tcg (software emulation, slower), since KVM is not usable here\n");
	printf("fix:   configs with accel = kvm (the default) stop here with status 69: %s\n",
	       kvm_fix(&probe));
}

int cmd_doctor(const struct cli *cli)
{
	struct vm_config cfg;
	struct vm_plan plan;
	const char *qemu = "qemu-system-x86_64";
	char version[256];
	char *path;
	int status = EXIT_OK, kvm_usable, answer;

	memset(&cfg, 0, sizeof(cfg));
	memset(&plan, 0, sizeof(plan));
	if (cli->nconfigs) {
		status = load(cli, cli->configs[0], VALIDATE_STRICT, &cfg, &plan);
		if (plan.qemu)
			qemu = plan.qemu;
	}
	path = host_find_program(qemu);
	if (!path) {
		printf("qemu:  '%s' not found: sudo apt-get install qemu-system-x86\n", qemu);
		status = EXIT_UNAVAILABLE;
	} else if ((answer = host_qemu_version(path, version, sizeof(version))) < 0) {
		if (answer == HOST_QEMU_NO_ANSWER)
			printf("qemu:  %s did not answer --version within %d s\n", path,
			       HOST_QEMU_VERSION_SECONDS);
		else
			printf("qemu:  %s does not answer --version: is it QEMU?\n", path);
		status = EXIT_UNAVAILABLE;
	} else {
		printf("qemu:  %s (%s)\n", path, version);
	}
	free(path);
	doctor_kvm(cli, &kvm_usable);
	if (cli->nconfigs && status == EXIT_OK)
		printf("%s: configuration OK, accel %s\n", cli->configs[0],
		       accel_name(plan.accel));
	plan_free(&plan);
	if (cli->nconfigs)
		config_free(&cfg);
	return status;
}
