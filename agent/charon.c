// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "charon.h"

void charon_init(struct charon *c, const char *path)
{
	const char *slash;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->want = -1;
	c->rl = (struct ratelimit)RATELIMIT_INIT(30000, 2);
	if (path && (slash = strrchr(path, '/')))
		snprintf(c->pidfile, sizeof(c->pidfile), "%.*s/charon.pid",
			 (int)(slash - path), path);
}

/* An id of charon's current run: its pid file's inode and mtime. */
static uint64_t pid_id(const struct charon *c)
{
	struct stat st;

	if (!c->pidfile[0] || stat(c->pidfile, &st) < 0)
		return 0;
	return (uint64_t)st.st_ino * 1000003u ^ (uint64_t)st.st_mtim.tv_sec ^
	       (uint64_t)st.st_mtim.tv_nsec << 20;
}

static int write_cmd(struct charon *c)
{
	const char *cmd = c->want ? "+1" : "-1";
	struct stat st;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: ENXIO at once when charon is not reading. */
	fd = open(c->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	n = write(fd, cmd, 2);
	close(fd);
	if (n != 2)
		return n < 0 ? -errno : -EIO;
	return 0;
}

static void try_write(struct charon *c, uint64_t now)
{
	uint64_t id;
	int ret;

	if (!c->path || c->want < 0 || c->done)
		return;
	if (c->last_write && now - c->last_write < CHARON_GAP_MS)
		return;		/* the tick writes it */
	if (c->last_fail && now - c->last_fail < CHARON_RETRY_MS)
		return;
	/* The run we tell: a restart after this is seen by the tick. */
	if ((id = pid_id(c)))
		c->pid_id = id;
	ret = write_cmd(c);
	if (ret < 0) {
		c->failures++;
		c->last_fail = now ? now : 1;
		log_ratelimited(&c->rl, LOG_LVL_WARN,
				"strongSwan: cannot write %s to %s: %s%s; retrying",
				c->want ? "+1" : "-1", c->path, strerror(-ret),
				ret == -ENXIO || ret == -ENOENT ?
					" (is charon with the ha plugin running?)" : "");
		return;
	}
	c->done = true;
	c->last_fail = 0;
	c->writes++;
	c->last_write = now;
	log_info("strongSwan: HA segment 1 %s (%s written to %s)",
		 c->want ? "activation" : "deactivation",
		 c->want ? "+1" : "-1", c->path);
}

void charon_set(struct charon *c, bool active, uint64_t now)
{
	if (!c->path)
		return;
	if (c->want == (int)active && c->done)
		return;
	c->want = active;
	c->done = false;
	c->last_fail = 0;	/* a new wish is tried at once */
	try_write(c, now);
}

void charon_tick(struct charon *c, uint64_t now)
{
	uint64_t id;

	if (!c->path)
		return;
	id = pid_id(c);
	if (id && c->pid_id && id != c->pid_id && c->want >= 0 && c->done) {
		log_info("strongSwan: charon restarted (%s changed): telling it again",
			 c->pidfile);
		c->done = false;
		c->last_fail = 0;
	}
	if (id)
		c->pid_id = id;
	try_write(c, now);
}

const char *charon_status(const struct charon *c)
{
	if (!c->path)
		return "not driven";
	if (c->want < 0)
		return "untouched";
	if (c->want)
		return c->done ? "segment 1 activated" :
				 "segment 1 activation pending";
	return c->done ? "segment 1 deactivated" :
			 "segment 1 deactivation pending";
}
