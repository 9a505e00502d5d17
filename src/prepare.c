/* What run and start add to a plan before QEMU starts: overlays, the boot log. */
#include "prepare.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "overlay.h"
#include "safefile.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * snapshot = yes: an overlay that exists only as an open descriptor, which
 * QEMU inherits and opens as /proc/self/fd/N; it vanishes with QEMU.
 */
int prepare_overlays(struct vm_plan *plan, struct diag *d)
{
	const char *tmpdir = getenv("TMPDIR"), *why;
	size_t i;
	int fd;

	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	for (i = 0; i < plan->ndisks; i++) {
		struct plan_disk *disk = &plan->disks[i];

		if (!disk->snapshot || disk->overlay)   /* a restore's copy is made already */
			continue;
		fd = overlay_create_for(tmpdir, disk->path, disk->size, &why);
		if (fd < 0) {
			diag_error(d, NULL, EXIT_OSERR, "snapshot of '%s': %s (in %s): %s",
				   disk->path, why, tmpdir, strerror(errno));
			return -1;
		}
		plan_set(&disk->overlay, xasprintf("/proc/self/fd/%d", fd));
	}
	return 0;
}

/*
 * The boot log, opened by us rather than by QEMU, which would follow a
 * symlink planted at its name: QEMU inherits the descriptor and reopens
 * the same file as /proc/self/fd/N.  print still names the file.
 */
int prepare_boot_log(struct vm_plan *plan, struct diag *d)
{
	struct origin at = config_origin(plan->cfg, KEY_SERIAL);
	struct strbuf why = STRBUF_INIT;
	int fd;

	if (plan->serial != SERIAL_SOCKET || !plan->serial_log)
		return 0;
	fd = safefile_open_log(plan->serial_log, &why);
	if (fd < 0) {
		diag_error(d, &at, EXIT_NOINPUT, "%s", why.buf);
		sb_release(&why);
		return -1;
	}
	plan_set(&plan->serial_log, xasprintf("/proc/self/fd/%d", fd));
	return 0;
}

