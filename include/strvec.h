/*
 * A growable NULL-terminated argument vector (after git's strvec): the QEMU
 * command line is built with one of these, never with a shell string.
 */
#ifndef VMLAUNCH_STRVEC_H
#define VMLAUNCH_STRVEC_H

#include <stddef.h>

struct strvec {
	char **v;     /* NULL-terminated once anything was pushed */
	size_t n;
	size_t alloc;
};

#define STRVEC_INIT { NULL, 0, 0 }

void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strvec_push_nodup(struct strvec *sv, char *s);
void strvec_clear(struct strvec *sv);

#endif
