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

enum validate_mode {
	VALIDATE_STRICT,   /* run, check: every problem is an error */
	VALIDATE_PRINT,    /* print: missing files and host problems are warnings */
};

/*
 * Check CFG and resolve accel=auto into cfg->accel_use.  Returns the number
 * of errors reported (their exit status is in d->status).
 */
unsigned config_validate(struct vm_config *cfg, enum validate_mode mode,
			 const struct host_env *env, struct diag *d);

#endif
