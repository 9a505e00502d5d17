#include "launch.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"

static int shell_safe(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_@%+=:,./-", c) != NULL;
}

void shell_quote(struct strbuf *sb, const char *s)
{
	const char *p;

	for (p = s; *p && shell_safe(*p); p++)
		;
	if (*s && !*p) {
		sb_adds(sb, s);
		return;
	}
	sb_addc(sb, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			sb_adds(sb, "'\\''");
		else
			sb_addc(sb, *p);
	}
	sb_addc(sb, '\'');
}

void launch_print(const struct qemu_cmd *cmd, FILE *out)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, line = 0;

	for (i = 0; i < cmd->argv.n; i++) {
		if (line < cmd->nlines && cmd->line_start[line] == i) {
			if (i)
				sb_adds(&sb, " \\\n    ");
			line++;
		} else {
			sb_addc(&sb, ' ');
		}
		shell_quote(&sb, cmd->argv.v[i]);
	}
	sb_addc(&sb, '\n');
	fputs(sb.buf, out);
	sb_release(&sb);
}

int launch_exec(const struct qemu_cmd *cmd, struct diag *d)
{
	int err;

	if (d->verbose) {
		fputs("vmlaunch: exec ", d->out);
		launch_print(cmd, d->out);
	}
	fflush(NULL);
	umask(077);
	execvp(cmd->argv.v[0], cmd->argv.v);
	err = errno;
	if (err == ENOENT) {
		diag_error(d, NULL, EXIT_UNAVAILABLE, "QEMU '%s' not found; install it: "
			   "sudo apt-get install qemu-system-x86", cmd->argv.v[0]);
		return EXIT_UNAVAILABLE;
	}
	diag_error(d, NULL, EXIT_OSERR, "cannot run QEMU '%s': %s", cmd->argv.v[0],
		   strerror(err));
	return EXIT_OSERR;
}
