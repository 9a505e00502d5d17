/*
 * vmlaunch console: attach this terminal (or a pipe) to a VM's serial
 * socket.  In a terminal, leave with Ctrl-] or "~." at the start of a line;
 * the terminal is restored on every way out before anything is printed.
 */
#ifndef VMLAUNCH_CONSOLE_H
#define VMLAUNCH_CONSOLE_H

#include <stddef.h>

#include "diag.h"

#define CONSOLE_EXIT_TIMEOUT 124   /* --timeout expired, like timeout(1) */
#define CONSOLE_QUIET_MS 2000      /* pipe mode: stop this long after the last output */
#define CONSOLE_ESC_BYTE 0x1d      /* Ctrl-] */

/*
 * argv[0] is "console": "[--replay] [--timeout SECONDS] SOCKET|CONFIG".
 * Returns the exit status (see vmlaunch(1)); every error is reported
 * through D, after the terminal is restored.
 */
int console_main(int argc, char **argv, struct diag *d);

/*
 * The escape recogniser for typed input: pure, so it can be unit-tested.
 * A cursor position report (ESC [ row ; col R), which the terminal sends
 * when a guest's line editor (busybox ash) asks where the cursor is, passes
 * through without ending "the start of a line".
 */
struct console_escape {
	int at_line_start;   /* nothing but a line end was sent since the last one */
	int tilde_held;      /* a '~' at line start waits for the next byte */
	int in_seq;          /* 0; 1 after ESC; 2 inside ESC [ ... */
	int seq_line_start;  /* at_line_start when the sequence began */
};

void console_escape_init(struct console_escape *e);

/*
 * Feed N typed bytes; what the guest should get is appended to OUT (room
 * for 2 * N bytes: a held '~' is sent with the byte after it) and *OUTLEN
 * set.  Returns 1 when the user asked to leave (the bytes before the escape
 * are still in OUT), else 0.
 */
int console_escape_feed(struct console_escape *e, const unsigned char *in, size_t n,
			unsigned char *out, size_t *outlen);

#endif
