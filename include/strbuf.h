/* A growable, always NUL-terminated byte string. */
#ifndef VMLAUNCH_STRBUF_H
#define VMLAUNCH_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_add(struct strbuf *sb, const char *data, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append S with every ',' doubled, as QEMU option values need. */
void sb_add_qemu_escaped(struct strbuf *sb, const char *s);
/* Return the string (never NULL) and reset SB; the caller frees it. */
char *sb_detach(struct strbuf *sb);
void sb_release(struct strbuf *sb);

#endif
