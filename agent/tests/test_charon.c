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
#include <unistd.h>

#include "charon.h"
#include "t.h"

static char dir[] = "/tmp/xha-test-charon.XXXXXX";
static char path[PATH_MAX];

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

int main(void)
{
	log_init(false);
	if (!getenv("V"))
		log_set_level((enum log_level)(LOG_LVL_ERR - 1));
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/charon.ha", dir);

	RUN(test_not_configured);
	RUN(test_writes);
	RUN(test_no_reader);
	RUN(test_regular_file);

	unlink(path);
	rmdir(dir);
	DONE();
}
