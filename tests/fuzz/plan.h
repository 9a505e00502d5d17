/*
 * For the fuzz targets: would config_validate accept this plan?  The pure
 * part of its cross-key rules, replicated (validate.c's are static and sit
 * beside host checks that would open whatever paths the fuzzer invents).
 * Keep in step with check_net_keys, check_machine, check_cmdline and
 * check_debug.
 */
#ifndef VMLAUNCH_FUZZ_PLAN_H
#define VMLAUNCH_FUZZ_PLAN_H

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "launch.h"
#include "qemu_argv.h"

static inline int plan_net_ok(const struct vm_config *cfg)
{
	if (cfg->net == NET_NONE)
		return cfg->nforwards == 0;
	if (cfg->net == NET_E1000 && cfg->machine == MACHINE_MICROVM)
		return 0;
	if (cfg->net_backend == NETBE_TAP)
		return cfg->net_tap && cfg->nforwards == 0;
	return cfg->net_tap == NULL;
}

static inline int plan_gdb_ok(const struct vm_config *cfg)
{
	size_t i;

	for (i = 0; cfg->gdb_addr && cfg->net != NET_NONE && i < cfg->nforwards; i++) {
		const struct forward *f = &cfg->forwards[i];

		if (f->proto == FWD_TCP && f->host_port == cfg->gdb_port &&
		    (strcmp(f->host_addr, cfg->gdb_addr) == 0 ||
		     strcmp(f->host_addr, "0.0.0.0") == 0 || strcmp(cfg->gdb_addr, "0.0.0.0") == 0))
			return 0;
	}
	return 1;
}

static inline int plan_acceptable(const struct vm_config *cfg)
{
	char *cmdline = kernel_cmdline(cfg);
	int ok = strlen(cmdline) <= KERNEL_CMDLINE_MAX;

	free(cmdline);
	return ok && plan_net_ok(cfg) && plan_gdb_ok(cfg) &&
	       !(cfg->machine == MACHINE_MICROVM && cfg->cpus > 1);
}

/*
 * Build every finished config: a plan validation would refuse must be
 * refused, not crash; one it would accept must build and print.
 */
static inline void plan_render(const struct vm_config *cfg, FILE *out)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	int built = qemu_cmd_build(cfg, &cmd);

	if (plan_acceptable(cfg)) {
		if (built != 0)
			abort();    /* validation accepts it, so the builder must */
		launch_print(&cmd, out);
	} else if (built != 0 && (!cmd.error || cmd.argv.n != 0)) {
		abort();        /* a refusal says why and leaves nothing half-built */
	}
	qemu_cmd_free(&cmd);
}

#endif
