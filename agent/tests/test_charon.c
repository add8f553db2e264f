// SPDX-License-Identifier: GPL-2.0
/*
 * strongSwan's ha plugin control FIFO, with a real FIFO and a reader
 * played by the test (charon's part). Time is passed in.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "charon.h"
#include "t.h"

static char dir[] = "/tmp/xha-test-charon.XXXXXX";
static char path[PATH_MAX], pidfile[PATH_MAX], pidtmp[PATH_MAX + 8];

/* charon starts: a new pid file renamed into place (a new inode). */
static void charon_started(int pid)
{
	char buf[32];
	int fd, n = snprintf(buf, sizeof(buf), "%d\n", pid);

	fd = open(pidtmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, buf, (size_t)n) == n);
	close(fd);
	CHECK(rename(pidtmp, pidfile) == 0);
}

/* The pid file rewritten in place with another mtime (same inode). */
static void touch_pidfile(time_t sec)
{
	struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };

	CHECK(utimensat(AT_FDCWD, pidfile, ts, 0) == 0);
}

static int reader(void)
{
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

/* What the writer left in the FIFO since the last call ("" if nothing). */
static const char *drain(int fd)
{
	static char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_not_configured(void)
{
	struct charon c;

	charon_init(&c, NULL);
	charon_set(&c, true, 1000);
	charon_tick(&c, 5000);
	CHECK_EQ(c.writes + c.failures, 0);
	CHECK(!strcmp(charon_status(&c), "not driven"));
}

static void test_writes(void)
{
	struct charon c;
	int r;

	unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	r = reader();
	CHECK(r >= 0);
	charon_init(&c, path);
	CHECK(!strcmp(charon_status(&c), "untouched"));

	/* One command per change, written at once. */
	charon_set(&c, true, 1000);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 1);
	CHECK(!strcmp(charon_status(&c), "segment 1 activated"));
	/* The same wish again: nothing. */
	charon_set(&c, true, 5000);
	charon_tick(&c, 6000);
	CHECK(!strcmp(drain(r), ""));
	CHECK_EQ(c.writes, 1);

	charon_set(&c, false, 7000);
	CHECK(!strcmp(drain(r), "-1"));
	CHECK_EQ(c.writes, 2);
	CHECK(!strcmp(charon_status(&c), "segment 1 deactivated"));

	/* Within CHARON_GAP_MS of the last write: held back, so that two
	 * commands never land in one read of charon's. Then only the
	 * latest wish is written, once. */
	charon_set(&c, true, 7100);
	CHECK(!strcmp(drain(r), ""));
	CHECK(!strcmp(charon_status(&c), "segment 1 activation pending"));
	charon_set(&c, false, 7200);
	charon_set(&c, true, 7300);
	charon_tick(&c, 7000 + CHARON_GAP_MS - 1);
	CHECK(!strcmp(drain(r), ""));
	CHECK_EQ(c.writes, 2);
	charon_tick(&c, 7000 + CHARON_GAP_MS);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 3);
	charon_tick(&c, 9000);
	CHECK(!strcmp(drain(r), ""));

	/* A change and its reversal within the gap: the latest wish is
	 * what was last written; it is written once more, harmlessly
	 * (charon's ha plugin ignores deactivating an inactive segment). */
	charon_set(&c, false, 9100);
	CHECK(!strcmp(drain(r), "-1"));
	charon_set(&c, true, 9200);
	charon_set(&c, false, 9300);
	charon_tick(&c, 9100 + CHARON_GAP_MS);
	CHECK(!strcmp(drain(r), "-1"));
	CHECK_EQ(c.writes, 5);
	CHECK(!strcmp(charon_status(&c), "segment 1 deactivated"));
	charon_tick(&c, 20000);
	CHECK(!strcmp(drain(r), ""));
	close(r);
	unlink(path);
}

static void test_no_reader(void)
{
	struct charon c;
	uint64_t writes;
	int r;

	unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	charon_init(&c, path);

	/* charon does not read: ENXIO, nothing blocks, retried later. */
	charon_set(&c, true, 1000);
	CHECK_EQ(c.failures, 1);
	CHECK_EQ(c.writes, 0);
	CHECK(!c.done);
	CHECK(!strcmp(charon_status(&c), "segment 1 activation pending"));
	charon_tick(&c, 1000 + CHARON_RETRY_MS - 1);
	CHECK_EQ(c.failures, 1);
	charon_tick(&c, 1000 + CHARON_RETRY_MS);
	CHECK_EQ(c.failures, 2);

	/* charon is back: the next retry goes through. */
	r = reader();
	CHECK(r >= 0);
	charon_tick(&c, 2000 + CHARON_RETRY_MS - 1);
	CHECK(!strcmp(drain(r), ""));
	charon_tick(&c, 2000 + CHARON_RETRY_MS);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 1);
	CHECK_EQ(c.failures, 2);
	CHECK(c.done);
	close(r);

	/* A new wish is tried at once, even right after a failure. */
	charon_set(&c, false, 10000);
	CHECK_EQ(c.failures, 3);
	r = reader();
	charon_set(&c, true, 10001);
	CHECK_EQ(c.failures, 3);
	CHECK(!strcmp(drain(r), "+1"));
	close(r);

	/* No FIFO at all: ENOENT, and none is created. */
	unlink(path);
	writes = c.writes;
	charon_set(&c, false, 20000);
	CHECK_EQ(c.writes, writes);
	CHECK(!c.done);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
}

static void test_regular_file(void)
{
	struct charon c;
	struct stat st;
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	close(fd);
	charon_init(&c, path);
	charon_set(&c, true, 1000);
	charon_tick(&c, 1000 + CHARON_RETRY_MS);
	charon_set(&c, false, 5000);
	CHECK_EQ(c.writes, 0);
	CHECK_EQ(c.failures, 3);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
	unlink(path);
}

static void test_pidfile_path(void)
{
	struct charon c;

	charon_init(&c, path);
	CHECK(!strcmp(c.pidfile, pidfile));
	charon_init(&c, "/charon.ha");
	CHECK(!strcmp(c.pidfile, "/charon.pid"));
	/* No directory part: nothing watched. */
	charon_init(&c, "charon.ha");
	CHECK(!strcmp(c.pidfile, ""));
	charon_init(&c, NULL);
	CHECK(!strcmp(c.pidfile, ""));
}

/* A charon that restarted has every segment inactive: told again. */
static void test_restart(void)
{
	struct charon c;
	int r;

	unlink(path);
	unlink(pidfile);
	CHECK(mkfifo(path, 0600) == 0);
	r = reader();
	CHECK(r >= 0);
	charon_started(100);
	charon_init(&c, path);

	/* Nothing wanted yet: a restart writes nothing. */
	charon_tick(&c, 500);
	charon_started(101);
	charon_tick(&c, 600);
	CHECK(!strcmp(drain(r), ""));
	CHECK_EQ(c.writes, 0);

	charon_set(&c, true, 1000);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 1);
	charon_tick(&c, 2000);
	charon_tick(&c, 3000);
	CHECK(!strcmp(drain(r), ""));
	CHECK_EQ(c.writes, 1);

	/* A new pid file (new inode): the wanted state written again,
	 * once. */
	charon_started(102);
	charon_tick(&c, 4000);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 2);
	CHECK(c.done);
	charon_tick(&c, 5000);
	charon_tick(&c, 6000);
	CHECK(!strcmp(drain(r), ""));
	CHECK_EQ(c.writes, 2);

	/* The same inode with another mtime counts too. */
	touch_pidfile(1000000000);
	charon_tick(&c, 7000);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 3);
	charon_tick(&c, 8000);
	CHECK(!strcmp(drain(r), ""));

	/* charon stopping removes its pid file: nothing yet; the new run's
	 * file is a change. The deactivated state is what is re-sent. */
	charon_set(&c, false, 9000);
	CHECK(!strcmp(drain(r), "-1"));
	CHECK_EQ(c.writes, 4);
	CHECK(unlink(pidfile) == 0);
	charon_tick(&c, 10000);
	CHECK(!strcmp(drain(r), ""));
	charon_started(103);
	charon_tick(&c, 11000);
	CHECK(!strcmp(drain(r), "-1"));
	CHECK_EQ(c.writes, 5);
	CHECK(!strcmp(charon_status(&c), "segment 1 deactivated"));

	/* The restart right after a write (before any tick) is seen too. */
	charon_set(&c, true, 12000);
	CHECK(!strcmp(drain(r), "+1"));
	charon_started(104);
	charon_tick(&c, 12100);
	/* ... within CHARON_GAP_MS of the last write: held back. */
	CHECK(!strcmp(drain(r), ""));
	CHECK(!strcmp(charon_status(&c), "segment 1 activation pending"));
	charon_tick(&c, 12000 + CHARON_GAP_MS);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 7);

	/* The new charon does not read its FIFO yet: retried as usual. */
	charon_tick(&c, 20000);
	close(r);
	charon_started(105);
	charon_tick(&c, 21000);
	CHECK_EQ(c.failures, 1);
	CHECK(!c.done);
	charon_tick(&c, 21000 + CHARON_RETRY_MS - 1);
	CHECK_EQ(c.failures, 1);
	r = reader();
	CHECK(r >= 0);
	charon_tick(&c, 21000 + CHARON_RETRY_MS);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 8);
	CHECK(c.done);
	charon_tick(&c, 30000);
	CHECK(!strcmp(drain(r), ""));
	close(r);
	unlink(path);
	unlink(pidfile);
}

/* The agent starts, writes at once, then charon restarts before the first
 * tick: the run told is the one seen at the write. */
static void test_restart_before_first_tick(void)
{
	struct charon c;
	int r;

	unlink(path);
	CHECK(mkfifo(path, 0600) == 0);
	r = reader();
	CHECK(r >= 0);
	charon_started(200);
	charon_init(&c, path);
	charon_set(&c, true, 1000);
	CHECK(!strcmp(drain(r), "+1"));
	charon_started(201);
	charon_tick(&c, 1000 + CHARON_GAP_MS);
	CHECK(!strcmp(drain(r), "+1"));
	CHECK_EQ(c.writes, 2);
	close(r);
	unlink(path);
	unlink(pidfile);
}

int main(void)
{
	t_setup_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/charon.ha", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/charon.pid", dir);
	snprintf(pidtmp, sizeof(pidtmp), "%s.tmp", pidfile);

	RUN(test_not_configured);
	RUN(test_writes);
	RUN(test_no_reader);
	RUN(test_regular_file);
	RUN(test_pidfile_path);
	RUN(test_restart);
	RUN(test_restart_before_first_tick);

	unlink(path);
	unlink(pidfile);
	unlink(pidtmp);
	rmdir(dir);
	DONE();
}
