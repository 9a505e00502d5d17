/*
 * Validation: does the parsed config make sense on this host?  Files exist
 * and are what they claim, the serial socket can be created without
 * harming anything, the accelerator works.  Separate from parsing (which
 * never looks at the host) and from launching (which never checks).
 */
#ifndef VMLAUNCH_VALIDATE_H
#define VMLAUNCH_VALIDATE_H

#include "config.h"
#include "diag.h"
#include "host.h"
#include "plan.h"

enum validate_mode {
	VALIDATE_STRICT,   /* run, check: every problem is an error */
	VALIDATE_PRINT,    /* print: missing files and host problems are warnings */
	VALIDATE_TEST,     /* test: strict; a private console; snapshot unless set */
};

/*
 * Check CFG on this host and write what it decides into PLAN (paths
 * resolved, accel=auto resolved, the kernel's kind, the disks).  Returns
 * the number of errors reported (their exit status is in d->status).  PLAN
 * is to be freed with plan_free either way.
 */
unsigned config_validate(const struct vm_config *cfg, enum validate_mode mode,
			 const struct host_env *env, struct diag *d, struct vm_plan *plan);

/*
 * The part of validation that looks at the config alone (which keys go
 * together, the kernel command line's length), on a plan from plan_init:
 * what the fuzzer uses to know which plans must render.
 */
unsigned validate_rules(const struct vm_config *cfg, struct vm_plan *plan, struct diag *d);

#endif
