// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "keepalived.h"

static const char *const state_names[] = {
	[KA_MASTER] = "MASTER",
	[KA_BACKUP] = "BACKUP",
	[KA_FAULT] = "FAULT",
	[KA_STOP] = "STOP",
	[KA_DELETED] = "DELETED",
	[KA_UNKNOWN] = "UNKNOWN",
};

const char *ka_state_name(enum ka_state st)
{
	return (unsigned int)st <= KA_UNKNOWN ? state_names[st] : "?";
}

bool ka_state_to_ha(enum ka_state st, enum ha_state *ha)
{
	switch (st) {
	case KA_MASTER:
		*ha = HA_STATE_MASTER;
		return true;
	case KA_BACKUP:
		*ha = HA_STATE_BACKUP;
		return true;
	case KA_FAULT:
		*ha = HA_STATE_FAULT;
		return true;
	case KA_STOP:		/* keepalived is going away: not active */
	case KA_DELETED:
		*ha = HA_STATE_BACKUP;
		return true;
	default:
		return false;
	}
}

/* The next space-separated word of [*p, end). */
static bool word(const char **p, const char *end, const char **w,
		 size_t *wlen)
{
	const char *s = *p;

	while (s < end && *s == ' ')
		s++;
	if (s == end)
		return false;
	*w = s;
	while (s < end && *s != ' ')
		s++;
	*wlen = (size_t)(s - *w);
	*p = s;
	return true;
}

static bool is(const char *w, size_t wlen, const char *lit)
{
	return wlen == strlen(lit) && !memcmp(w, lit, wlen);
}

int ka_parse_line(const char *line, size_t len, struct ka_line *out)
{
	const char *p = line, *end = line + len, *w, *q;
	size_t wlen, i;
	long prio = -1;

	memset(out, 0, sizeof(*out));
	out->priority = -1;
	if (len > KA_LINE_MAX || memchr(line, '\0', len))
		return -1;
	if (len && line[len - 1] == '\r')
		end--;
	if (!word(&p, end, &w, &wlen))
		return -1;
	if (is(w, wlen, "INSTANCE"))
		out->kind = KA_INSTANCE;
	else if (is(w, wlen, "GROUP"))
		out->kind = KA_GROUP;
	else
		out->kind = KA_OTHER;
	if (out->kind == KA_OTHER)
		return 0;

	/* "NAME": keepalived quotes names; no quote or space inside. */
	while (p < end && *p == ' ')
		p++;
	if (p == end || *p != '"')
		return -1;
	q = memchr(p + 1, '"', (size_t)(end - p - 1));
	if (!q || q == p + 1 || (size_t)(q - p - 1) >= sizeof(out->name))
		return -1;
	memcpy(out->name, p + 1, (size_t)(q - p - 1));
	for (i = 0; out->name[i]; i++)
		if ((unsigned char)out->name[i] < 0x21 ||
		    (unsigned char)out->name[i] > 0x7e)
			return -1;
	p = q + 1;
	if (p < end && *p != ' ')
		return -1;

	if (!word(&p, end, &w, &wlen))
		return -1;
	out->state = KA_UNKNOWN;
	for (i = 0; i < KA_UNKNOWN; i++)
		if (is(w, wlen, state_names[i]))
			out->state = i;

	/* The priority: optional, 0..255. */
	if (word(&p, end, &w, &wlen)) {
		prio = 0;
		for (i = 0; i < wlen; i++) {
			if (w[i] < '0' || w[i] > '9' || prio > 255)
				return -1;
			prio = prio * 10 + (w[i] - '0');
		}
		if (prio > 255)
			return -1;
		if (word(&p, end, &w, &wlen))
			return -1;
	}
	out->priority = (int)prio;
	return 0;
}

size_t ka_buf_feed(struct ka_buf *b, const char *in, size_t n)
{
	size_t i;

	if (b->complete)
		return 0;	/* ka_buf_next() first */
	for (i = 0; i < n; i++) {
		char c = in[i];

		if (b->skipping) {
			if (c == '\n')
				b->skipping = false;
			continue;
		}
		if (c == '\n') {
			b->data[b->len] = '\0';
			b->complete = true;
			return i + 1;
		}
		if (b->len == KA_LINE_MAX) {
			b->len = 0;
			b->skipping = true;
			b->overlong++;
			continue;
		}
		b->data[b->len++] = c;
	}
	return n;
}

const char *ka_buf_next(struct ka_buf *b, size_t *len)
{
	if (!b->complete)
		return NULL;
	b->complete = false;
	*len = b->len;
	b->len = 0;
	return b->data;
}
