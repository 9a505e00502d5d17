#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>

#include "xalloc.h"

static void prefix(struct diag *d, const struct origin *at)
{
	fputs("vmlaunch: ", d->out);
	if (at && at->file) {
		if (at->line)
			fprintf(d->out, "%s:%u: ", at->file, at->line);
		else
			fprintf(d->out, "%s: ", at->file);
	}
}

void diag_init(struct diag *d, FILE *out)
{
	d->out = out;
	d->quiet = d->verbose = 0;
	d->errors = d->warnings = 0;
	d->status = 0;
	d->sink = NULL;
	d->sink_ctx = NULL;
}

static void to_sink(struct diag *d, int is_error, const struct origin *at, const char *fmt,
		    va_list ap) __attribute__((format(printf, 4, 0)));

static void to_sink(struct diag *d, int is_error, const struct origin *at, const char *fmt,
		    va_list ap)
{
	char *msg;

	if (!d->sink)
		return;
	msg = xvasprintf(fmt, ap);
	d->sink(d->sink_ctx, is_error, at, msg);
	free(msg);
}

void diag_error(struct diag *d, const struct origin *at, int status, const char *fmt, ...)
{
	va_list ap;

	prefix(d, at);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
	va_start(ap, fmt);
	to_sink(d, 1, at, fmt, ap);
	va_end(ap);
	d->errors++;
	if (!d->status)
		d->status = status;
}

void diag_warn(struct diag *d, const struct origin *at, const char *fmt, ...)
{
	va_list ap;

	d->warnings++;
	va_start(ap, fmt);
	to_sink(d, 0, at, fmt, ap);
	va_end(ap);
	if (d->quiet)
		return;
	prefix(d, at);
	fputs("warning: ", d->out);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

void diag_info(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->verbose)
		return;
	fputs("vmlaunch: ", d->out);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}
