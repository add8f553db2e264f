// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "log.h"
#include "trackfile.h"

void trackfile_init(struct trackfile *t, const char *path)
{
	t->path = path && *path ? path : NULL;
	t->value = -1;
	t->last_fail = 0;
	t->rl = (struct ratelimit)RATELIMIT_INIT(60000, 3);
}

void trackfile_check(struct trackfile *t)
{
	char buf[8];
	ssize_t n = -1;
	int fd;

	if (!t->path || t->value < 0)
		return;
	fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (n != 2 || buf[0] != '0' + t->value || buf[1] != '\n') {
		log_warn("keepalived track file %s changed behind our back: writing %d again",
			 t->path, t->value);
		t->value = -1;
	}
}

int trackfile_set(struct trackfile *t, bool hold, const char *why,
		  uint64_t now)
{
	int err;

	if (!t->path || t->value == (int)hold)
		return 0;
	if (t->last_fail && now - t->last_fail < TRACKFILE_RETRY_MS)
		return -EAGAIN;
	err = atomicfile_write(t->path, hold ? "1\n" : "0\n", 2, 0644);
	if (err)
		goto fail;
	t->value = hold;
	t->last_fail = 0;
	log_info("keepalived track file %s = %d: %s", t->path, hold, why);
	return 0;
fail:
	t->last_fail = now ? now : 1;
	log_ratelimited(&t->rl, LOG_LVL_ERR, "keepalived track file %s: %s",
			t->path, strerror(-err));
	return err;
}
