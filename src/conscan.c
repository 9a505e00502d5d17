#include "conscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* ---- printable text ---- */


/* Bytes of the escape sequence at S (N bytes, S[0] is ESC). */
static size_t escape_len(const unsigned char *s, size_t n)
{
	size_t i;

	if (n < 2)
		return n;
	if (s[1] == '[') {              /* CSI: parameters, then a final byte */
		for (i = 2; i < n; i++)
			if (s[i] >= 0x40 && s[i] <= 0x7e)
				return i + 1;
		return n;
	}
	if (s[1] == ']') {              /* OSC: up to BEL or ESC \ */
		for (i = 2; i < n; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == 0x1b && i + 1 < n && s[i + 1] == '\\')
				return i + 2;
		}
		return n;
	}
	return 2;
}

void conscan_sanitize(struct strbuf *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k = 0;
	unsigned long cp = 0;

	while (i < n) {
		unsigned char c = s[i];

		if (c == 0x1b) {
			i += escape_len(s + i, n - i);
		} else if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
			sb_addc(out, (char)c);
			i++;
		} else if (c >= 0x80 && (k = utf8_decode(s + i, n - i, &cp)) && cp >= 0xa0) {
			sb_add(out, str + i, k);
			i += k;
		} else {
			sb_addc(out, '?');
			i += c >= 0x80 && k ? k : 1;   /* a C1 control is one '?' */
		}
	}
}

void conscan_last_message(struct strbuf *out, const char *text, size_t n)
{
	const char *p = text, *end = text + n, *line = NULL, *line_end = NULL;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (e > p && !memmem(p, (size_t)(e - p), "QEMU waiting for connection", 27)) {
			line = p;
			line_end = e;
		}
		p = nl ? nl + 1 : end;
	}
	if (line)
		conscan_sanitize(out, line, (size_t)(line_end - line) > 300 ? 300 :
				 (size_t)(line_end - line));
}

/* ---- the tail ---- */

static void tail_push(struct conscan *s)
{
	s->tail[s->tail_next] = s->cur;
	s->tail_next = (s->tail_next + 1) % CONSCAN_TAIL_LINES;
	if (s->tail_count < CONSCAN_TAIL_LINES)
		s->tail_count++;
	s->cur.len = 0;
	s->cur.cut = 0;
}

static void tail_add(struct conscan *s, char c)
{
	if (s->cr_pending && c != '\r') {
		s->cr_pending = 0;
		if (c != '\n') {         /* a lone CR: the line starts again ("\r\r\n" ends it) */
			s->cur.len = 0;
			s->cur.cut = 0;
		}
	}
	if (c == '\r') {
		s->cr_pending = 1;
	} else if (c == '\n') {
		tail_push(s);
	} else if (s->cur.len < CONSCAN_TAIL_WIDTH) {
		s->cur.text[s->cur.len++] = c;
	} else {
		s->cur.cut = 1;
	}
}

static void tail_line(struct strbuf *sb, const struct scan_tail_line *l)
{
	conscan_sanitize(sb, l->text, l->len);
	if (l->cut)
		sb_adds(sb, " [...]");
}

char *conscan_tail(const struct conscan *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, first = (s->tail_next + CONSCAN_TAIL_LINES - s->tail_count) % CONSCAN_TAIL_LINES;
	size_t keep = s->tail_count;

	/* The line being printed counts as one of the last lines. */
	if (s->cur.len && keep == CONSCAN_TAIL_LINES) {
		first = (first + 1) % CONSCAN_TAIL_LINES;
		keep--;
	}
	for (i = 0; i < keep; i++) {
		tail_line(&sb, &s->tail[(first + i) % CONSCAN_TAIL_LINES]);
		sb_addc(&sb, '\n');
	}
	if (s->cur.len) {
		tail_line(&sb, &s->cur);
		sb_addc(&sb, '\n');
	}
	if (!sb.buf)
		sb_adds(&sb, "");
	return sb_detach(&sb);
}

/* ---- steps ---- */

void conscan_init(struct conscan *s, const struct scan_rules *rules,
		  void (*send)(void *ctx, const char *bytes, size_t n), void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->rules = rules;
	s->send = send;
	s->ctx = ctx;
}

static void set_result(struct conscan *s, enum scan_result r, const char *what,
		       const char *text, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	if (s->result != SCAN_RUNNING)
		return;
	s->result = r;
	if (!what)
		return;
	sb_adds(&sb, what);
	if (text) {
		if (n > CONSCAN_TAIL_WIDTH)
			n = CONSCAN_TAIL_WIDTH;
		conscan_sanitize(&sb, text, n);
	}
	/* Cut on a character boundary: sanitized text is ASCII or whole UTF-8. */
	n = sb.len < sizeof(s->reason) ? sb.len : sizeof(s->reason) - 1;
	while (n < sb.len && n && ((unsigned char)sb.buf[n] & 0xc0) == 0x80)
		n--;
	memcpy(s->reason, sb.buf, n);
	s->reason[n] = '\0';
	sb_release(&sb);
}

void conscan_fail(struct conscan *s, const char *reason)
{
	set_result(s, SCAN_FAIL, reason, NULL, 0);
}

static unsigned count_lines(const char *wire)
{
	unsigned n = 0;

	for (; *wire; wire++)
		n += *wire == '\n';
	return n;
}

static void do_send(struct conscan *s, const struct scan_step *st)
{
	size_t n = strlen(st->wire), first = strcspn(st->wire, "\n");

	if (s->send)
		s->send(s->ctx, st->wire, n);
	s->echo_len = first < CONSCAN_ECHO_MAX ? first : CONSCAN_ECHO_MAX;
	memcpy(s->echo, st->wire, s->echo_len);
	s->echo[s->echo_len] = '\0';
	s->echo_from = s->len;      /* the echo comes after what is there now */
	s->echo_wait = s->echo_len ? CONSCAN_ECHO_LINES + 1 : 0;   /* + this line */
	s->echo_more = count_lines(st->wire);
	s->echo_more = s->echo_more ? s->echo_more - 1 : 0;
	s->skip_lines = 0;
	s->echo_open = 0;
}

/* Where the echo ends in the line from echo_from on, or 0 when it is not there. */
static size_t echo_end(const struct conscan *s)
{
	const char *p;

	if (s->len < s->echo_from + s->echo_len)
		return 0;
	p = memmem(s->line + s->echo_from, s->len - s->echo_from, s->echo, s->echo_len);
	return p ? (size_t)(p - s->line) + s->echo_len : 0;
}

/* Does the line end in the echo's first bytes (the rest may be on its way)? */
static int echo_starting(const struct conscan *s)
{
	size_t k = s->len - s->echo_from;

	if (k >= s->echo_len)
		k = s->echo_len - 1;
	for (; k; k--)
		if (memcmp(s->line + s->len - k, s->echo, k) == 0)
			return 1;
	return 0;
}

/* Take every echo in the line out of what the steps see. */
static void absorb_echo(struct conscan *s)
{
	size_t end;

	while (s->echo_wait && (end = echo_end(s)) != 0) {
		if (s->consumed < end)
			s->consumed = end;
		s->echo_from = end;
		s->echo_open = 1;
	}
}

/* Steps wait while the further lines of an echo go by. */
static int steps_blocked(const struct conscan *s)
{
	return s->skip_lines || (s->echo_open && s->echo_more);
}

static void status_step(struct conscan *s, const regmatch_t *m)
{
	const char *p = s->line + s->consumed + m[1].rm_so;
	const char *end = s->line + s->consumed + m[1].rm_eo;
	unsigned long status = 0;

	for (; p < end && status < 1000; p++)
		status = status * 10 + (unsigned long)(*p - '0');
	if (status != 0) {
		char what[80];

		snprintf(what, sizeof(what), "the guest command exited with status %lu", status);
		set_result(s, SCAN_FAIL, what, NULL, 0);
	}
}

/* Run steps on the current line as far as they match. */
static void match_steps(struct conscan *s, int partial)
{
	const struct scan_rules *r = s->rules;

	s->tried = s->len;
	while (s->result == SCAN_RUNNING && s->step < r->nsteps && !steps_blocked(s)) {
		const struct scan_step *st = &r->steps[s->step];
		regmatch_t m[2];
		int flags = (s->consumed || s->line_cut ? REG_NOTBOL : 0) | (partial ? REG_NOTEOL : 0);

		if (st->kind == SCAN_SEND) {
			s->step++;
			do_send(s, st);
			break;      /* the rest of this line was printed before it */
		}
		s->line[s->len] = '\0';
		if (regexec(&st->re, s->line + s->consumed, 2, m, flags) != 0)
			return;
		if (st->captures_status && m[1].rm_so >= 0)
			status_step(s, m);
		s->consumed += (size_t)m[0].rm_eo;
		s->step++;
	}
	if (s->result == SCAN_RUNNING && s->step == r->nsteps)
		set_result(s, SCAN_PASS, NULL, NULL, 0);
}

static void check_fails(struct conscan *s)
{
	const struct scan_rules *r = s->rules;
	size_t i;

	s->line[s->len] = '\0';
	for (i = 0; i < r->nfails && s->result == SCAN_RUNNING; i++)
		if (regexec(&r->fails[i], s->line, 0, NULL, 0) == 0)
			set_result(s, SCAN_FAIL, i < r->nuser_fails ? "--fail pattern matched: " :
				   "the guest reported a kernel failure: ", s->line, s->len);
}

static void end_line(struct conscan *s)
{
	check_fails(s);
	if (s->skip_lines) {
		s->skip_lines--;                 /* an echo's further line */
	} else {
		absorb_echo(s);
		match_steps(s, 0);
		if (s->echo_open)
			s->skip_lines = s->echo_more;
	}
	if (s->echo_wait)
		s->echo_wait--;
	s->len = s->consumed = s->tried = s->echo_from = 0;
	s->echo_open = 0;
	s->line_cut = 0;
}

/* The line so far: take out the echo, then run the steps on the rest. */
static void partial_line(struct conscan *s)
{
	if (s->skip_lines)
		return;
	absorb_echo(s);
	if (s->echo_wait && echo_starting(s))
		return;
	if (s->len > s->tried)
		match_steps(s, 1);
}

/* A line longer than the window: check it, then keep its second half. */
static void slide(struct conscan *s)
{
	size_t half = CONSCAN_LINE_MAX / 2;

	check_fails(s);
	partial_line(s);
	memmove(s->line, s->line + half, s->len - half);
	s->len -= half;
	s->line_cut = 1;           /* the window no longer starts the line */
	s->consumed = s->consumed > half ? s->consumed - half : 0;
	s->tried = s->tried > half ? s->tried - half : 0;
	s->echo_from = s->echo_from > half ? s->echo_from - half : 0;
}

void conscan_feed(struct conscan *s, const char *buf, size_t n)
{
	size_t i;

	s->bytes += n;
	for (i = 0; i < n; i++) {
		char c = buf[i];

		tail_add(s, c);
		if (s->result != SCAN_RUNNING || c == '\r')
			continue;
		if (c == '\n') {
			end_line(s);
			continue;
		}
		if (s->len == CONSCAN_LINE_MAX)
			slide(s);
		s->line[s->len++] = c ? c : ' ';
	}
	/* A prompt has no line end: try the steps on the line so far. */
	if (s->result == SCAN_RUNNING)
		partial_line(s);
}
