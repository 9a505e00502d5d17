/*
 * For the fuzz targets: render a finished config as `print` would, with
 * the pure part of validation (validate_rules) deciding which plans must
 * render.  Validation's host checks are left out: they would open whatever
 * paths the fuzzer invents.
 */
#ifndef VMLAUNCH_FUZZ_RENDER_H
#define VMLAUNCH_FUZZ_RENDER_H

#include <stdlib.h>

#include "config.h"
#include "launch.h"
#include "plan.h"
#include "qemu_argv.h"
#include "validate.h"

/*
 * A plan validation would refuse must be refused, not crash; one it would
 * accept must build and print.
 */
static inline void plan_render(const struct vm_config *cfg, FILE *out)
{
	struct qemu_cmd cmd = QEMU_CMD_INIT;
	struct vm_plan plan;
	struct diag d;
	int built, accepted;

	diag_init(&d, out);
	d.quiet = 1;
	plan_init(&plan, cfg);
	accepted = validate_rules(cfg, &plan, &d) == 0;
	built = qemu_cmd_build(&plan, &cmd);
	if (accepted) {
		if (built != 0)
			abort();    /* validation accepts it, so the builder must */
		launch_print(&cmd, out);
	} else if (built != 0 && (!cmd.error || cmd.argv.n != 0)) {
		abort();        /* a refusal says why and leaves nothing half-built */
	}
	qemu_cmd_free(&cmd);
	plan_free(&plan);
}

#endif
