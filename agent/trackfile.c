// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "trackfile.h"

void trackfile_init(struct trackfile *t, const char *path)
{
	t->path = path && *path ? path : NULL;
	t->value = -1;
}

int trackfile_set(struct trackfile *t, bool hold, const char *why)
{
	char tmp[PATH_MAX];
	const char *val = hold ? "1\n" : "0\n";
	int fd, err = 0;

	if (!t->path || t->value == (int)hold)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", t->path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0 || write(fd, val, 2) != 2 || fsync(fd) < 0)
		err = -errno;
	if (fd >= 0 && close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, t->path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		log_err("keepalived track file %s: %s", t->path,
			strerror(-err));
		return err;
	}
	t->value = hold;
	log_info("keepalived track file %s = %d: %s", t->path, hold, why);
	return 0;
}
