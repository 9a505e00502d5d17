/*
 * Diagnostics: every error and warning goes through here, formatted as
 * "vmlaunch: FILE:LINE: message".  A module reports an error once and
 * returns; the exit status of the first error is kept for main to use.
 */
#ifndef VMLAUNCH_DIAG_H
#define VMLAUNCH_DIAG_H

#include <stdio.h>

/* Where a setting came from: a config file line, or a -o option (line 0). */
struct origin {
	const char *file;   /* config path as given, or "-o KEY=VALUE" */
	unsigned line;      /* 1-based; 0 when the origin is not a line */
};

struct diag {
	FILE *out;          /* stderr, or a memory stream in tests */
	int quiet;          /* -q: no warnings */
	int verbose;        /* -v: explain decisions */
	unsigned errors;
	unsigned warnings;
	int status;         /* exit status of the first error, 0 if none */
	/*
	 * Optional: also handed every error and warning (after printing;
	 * warnings even under -q), for --json.  MSG is without the prefix.
	 */
	void (*sink)(void *ctx, int is_error, const struct origin *at, const char *msg);
	void *sink_ctx;
};

void diag_init(struct diag *d, FILE *out);
void diag_error(struct diag *d, const struct origin *at, int status,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_warn(struct diag *d, const struct origin *at,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_info(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
