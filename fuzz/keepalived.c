// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: keepalived's vrrp_notify_fifo lines (keepalived.c).
 * Byte 0 picks the size of the chunks the rest is fed in (as read()
 * might return it); the lines that come out of ka_buf are checked
 * against a plain reference split and each one is parsed. The whole
 * input is parsed as one line too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "keepalived.h"

static void check_parsed(const char *line, size_t len)
{
	struct ka_line l, l2;
	char again[KA_LINE_MAX + 64];
	size_t i, nlen;
	int n;

	if (ka_parse_line(line, len, &l) < 0)
		return;
	if (len > KA_LINE_MAX || memchr(line, '\0', len))
		abort();
	if (l.kind == KA_OTHER)
		return;
	if (l.kind != KA_INSTANCE && l.kind != KA_GROUP)
		abort();
	nlen = strnlen(l.name, sizeof(l.name));
	if (!nlen || nlen >= sizeof(l.name))
		abort();
	for (i = 0; i < nlen; i++)
		if ((unsigned char)l.name[i] < 0x21 ||
		    (unsigned char)l.name[i] > 0x7e || l.name[i] == '"')
			abort();
	if ((unsigned int)l.state > KA_UNKNOWN || l.priority < -1 ||
	    l.priority > 255)
		abort();
	if (l.state == KA_UNKNOWN)
		return;
	/* The canonical form parses to the same. */
	if (l.priority >= 0)
		n = snprintf(again, sizeof(again), "%s \"%s\" %s %d",
			     l.kind == KA_GROUP ? "GROUP" : "INSTANCE", l.name,
			     ka_state_name(l.state), l.priority);
	else
		n = snprintf(again, sizeof(again), "%s \"%s\" %s",
			     l.kind == KA_GROUP ? "GROUP" : "INSTANCE", l.name,
			     ka_state_name(l.state));
	if (ka_parse_line(again, (size_t)n, &l2) < 0 || l2.kind != l.kind ||
	    strcmp(l2.name, l.name) || l2.state != l.state ||
	    l2.priority != l.priority)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1, *line, *p, *nl, *end;
	static struct ka_buf b;
	size_t n, chunk, off, c, used, len, rlen;
	unsigned long overlong = 0;

	if (!size)
		return 0;
	chunk = data[0] ? data[0] : 4096;
	n = size - 1;
	check_parsed(in, n);

	memset(&b, 0, sizeof(b));
	p = in;			/* the reference: where the next line starts */
	end = in + n;
	for (off = 0; off < n;) {
		c = n - off < chunk ? n - off : chunk;
		while (c) {
			used = ka_buf_feed(&b, in + off, c);
			if (used > c || (!used && !b.complete))
				abort();
			off += used;
			c -= used;
			while ((line = ka_buf_next(&b, &len))) {
				/* The next line the reference keeps. */
				for (;;) {
					nl = memchr(p, '\n', (size_t)(end - p));
					if (!nl)
						abort();
					rlen = (size_t)(nl - p);
					if (rlen <= KA_LINE_MAX)
						break;
					overlong++;
					p = nl + 1;
				}
				if (len != rlen || memcmp(line, p, len) ||
				    line[len] != '\0')
					abort();
				p = nl + 1;
				check_parsed(line, len);
			}
		}
	}
	/* What is left: overlong lines, then a partial line. */
	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		if ((size_t)(nl - p) <= KA_LINE_MAX)
			abort();	/* a line the buffer did not give */
		overlong++;
		p = nl + 1;
	}
	if ((size_t)(end - p) > KA_LINE_MAX) {
		overlong++;
		if (!b.skipping || b.len)
			abort();
	} else if (b.skipping || b.len != (size_t)(end - p) ||
		   memcmp(b.data, p, b.len)) {
		abort();
	}
	if (b.overlong != overlong || b.complete)
		abort();
	return 0;
}
