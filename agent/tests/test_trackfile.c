// SPDX-License-Identifier: GPL-2.0
/* keepalived's track file: "1\n" or "0\n", renamed into place on change. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "t.h"
#include "trackfile.h"

static char dir[] = "/tmp/xha-test-track.XXXXXX";
static char path[PATH_MAX], tmp[PATH_MAX + 32];
/* Fake time (ms): each test moves it past any retry spacing first. */
static uint64_t now = 100000;

static void write_file(const char *p, const char *s)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	close(fd);
}

/* The file's content ("" if absent) and inode. */
static const char *content(ino_t *ino)
{
	static char buf[16];
	struct stat st;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	*ino = 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (fstat(fd, &st) == 0)
		*ino = st.st_ino;
	close(fd);
	return buf;
}

static void test_unset(void)
{
	struct trackfile t;

	trackfile_init(&t, NULL);
	CHECK(trackfile_set(&t, true, "test", now) == 0);
	trackfile_init(&t, "");
	CHECK(!t.path);
	CHECK(trackfile_set(&t, false, "test", now) == 0);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
}

static void test_values(void)
{
	struct trackfile t;
	struct stat st;
	ino_t ino, ino2;

	trackfile_init(&t, path);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	/* An old file from a previous run is replaced at once. */
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		CHECK(write(fd, "junk", 4) == 4);
		close(fd);
	}
	CHECK(trackfile_set(&t, true, "not synced", now) == 0);
	CHECK(!strcmp(content(&ino), "1\n"));
	CHECK_EQ(t.value, 1);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	CHECK(access(tmp, F_OK) < 0);

	/* The same value: not rewritten (same inode, no temporary). */
	CHECK(trackfile_set(&t, true, "still not synced", now) == 0);
	CHECK(!strcmp(content(&ino2), "1\n"));
	CHECK_EQ(ino2, ino);

	/* A change: a new file renamed over the old one. */
	CHECK(trackfile_set(&t, false, "synced", now) == 0);
	CHECK(!strcmp(content(&ino2), "0\n"));
	CHECK(ino2 != ino);
	CHECK_EQ(t.value, 0);
	CHECK(access(tmp, F_OK) < 0);
	CHECK(trackfile_set(&t, false, "synced", now) == 0);
	CHECK(!strcmp(content(&ino), "0\n"));
	CHECK_EQ(ino, ino2);
	CHECK(trackfile_set(&t, true, "link down", now) == 0);
	CHECK(!strcmp(content(&ino), "1\n"));
	unlink(path);
}

static void test_errors(void)
{
	char sub[PATH_MAX], file[PATH_MAX + 16];
	struct trackfile t;
	ino_t ino;

	/* The directory does not exist (yet): an error, and the value is
	 * written once it can be. */
	snprintf(sub, sizeof(sub), "%s/later", dir);
	snprintf(file, sizeof(file), "%s/track", sub);
	trackfile_init(&t, file);
	now += 10000;
	CHECK(trackfile_set(&t, true, "test", now) == -ENOENT);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	/* Retried at most every TRACKFILE_RETRY_MS, whatever the value. */
	CHECK(trackfile_set(&t, true, "test", now) == -EAGAIN);
	CHECK(trackfile_set(&t, false, "test",
			    now + TRACKFILE_RETRY_MS - 1) == -EAGAIN);
	CHECK(trackfile_set(&t, true, "test", now + TRACKFILE_RETRY_MS) ==
	      -ENOENT);
	now += TRACKFILE_RETRY_MS;
	CHECK(mkdir(sub, 0700) == 0);
	/* The directory is there now, but the retry waits its turn. */
	CHECK(trackfile_set(&t, true, "test", now + 500) == -EAGAIN);
	CHECK(access(file, F_OK) < 0);
	CHECK(trackfile_set(&t, true, "test", now + TRACKFILE_RETRY_MS) == 0);
	now += TRACKFILE_RETRY_MS;
	CHECK_EQ(t.value, 1);
	CHECK_EQ(t.last_fail, 0);
	/* A success clears the spacing: the next change is written at once. */
	CHECK(trackfile_set(&t, false, "test", now + 1) == 0);
	CHECK_EQ(t.value, 0);
	unlink(file);

	/* The path is a directory: rename fails, the temporary is gone. */
	CHECK(mkdir(file, 0700) == 0);
	trackfile_init(&t, file);
	now += 10000;
	CHECK(trackfile_set(&t, false, "test", now) < 0);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	CHECK(access(tmp, F_OK) < 0);
	rmdir(file);
	rmdir(sub);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	/* A symbolic link planted at the temporary name is not followed. */
	CHECK(symlink("/nonexistent/victim", tmp) == 0);
	trackfile_init(&t, path);
	now += 10000;
	CHECK(trackfile_set(&t, true, "test", now) < 0);
	CHECK(!strcmp(content(&ino), ""));
	unlink(tmp);
	CHECK(trackfile_set(&t, true, "test", now + 1) == -EAGAIN);
	CHECK(trackfile_set(&t, true, "test", now + TRACKFILE_RETRY_MS) == 0);
	CHECK(!strcmp(content(&ino), "1\n"));
	unlink(path);
}

/* A path too long for its temporary: counted as a failure like others. */
static void test_name_too_long(void)
{
	static char longpath[PATH_MAX];
	struct trackfile t;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	trackfile_init(&t, longpath);
	now += 10000;
	CHECK(trackfile_set(&t, true, "test", now) == -ENAMETOOLONG);
	CHECK_EQ(t.last_fail, now);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	CHECK(trackfile_set(&t, true, "test", now + 1) == -EAGAIN);
	CHECK(trackfile_set(&t, true, "test", now + TRACKFILE_RETRY_MS) ==
	      -ENAMETOOLONG);
	/* now == 0 still counts as a failure (stored as 1). */
	trackfile_init(&t, longpath);
	CHECK(trackfile_set(&t, true, "test", 0) == -ENAMETOOLONG);
	CHECK(t.last_fail != 0);
}

/* keepalived's "init_file 1 overwrite" at its restart, or an operator. */
static void test_check(void)
{
	struct trackfile t;
	ino_t ino, ino2;

	/* Not configured, or never written: nothing to check. */
	trackfile_init(&t, NULL);
	trackfile_check(&t);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	trackfile_init(&t, path);
	write_file(path, "1\n");
	trackfile_check(&t);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	CHECK(!strcmp(content(&ino), "1\n"));	/* left alone */
	unlink(path);

	now += 10000;
	CHECK(trackfile_set(&t, false, "synced", now) == 0);
	CHECK(!strcmp(content(&ino), "0\n"));
	/* Unchanged: the value is kept, nothing rewritten. */
	trackfile_check(&t);
	CHECK_EQ(t.value, 0);
	CHECK(trackfile_set(&t, false, "synced", now) == 0);
	CHECK(!strcmp(content(&ino2), "0\n"));
	CHECK_EQ(ino2, ino);

	/* Overwritten in place with "1\n": forgotten, then rewritten. */
	write_file(path, "1\n");
	trackfile_check(&t);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	CHECK(trackfile_set(&t, false, "synced", now) == 0);
	CHECK(!strcmp(content(&ino2), "0\n"));
	CHECK(ino2 != ino);
	CHECK_EQ(t.value, 0);
	trackfile_check(&t);
	CHECK_EQ(t.value, 0);

	/* Other content ("0" without a newline, "0\n" and more). */
	write_file(path, "0");
	trackfile_check(&t);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	CHECK(trackfile_set(&t, false, "synced", now) == 0);
	write_file(path, "0\n0\n");
	trackfile_check(&t);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	CHECK(trackfile_set(&t, false, "synced", now) == 0);
	CHECK(!strcmp(content(&ino), "0\n"));

	/* Removed: forgotten, and written again. */
	unlink(path);
	trackfile_check(&t);
	CHECK_EQ((unsigned int)t.value, (unsigned int)-1);
	CHECK(trackfile_set(&t, false, "synced", now) == 0);
	CHECK(!strcmp(content(&ino), "0\n"));

	/* Holding (1): an overwrite with "0\n" is undone too. */
	CHECK(trackfile_set(&t, true, "link down", now) == 0);
	write_file(path, "0\n");
	trackfile_check(&t);
	CHECK(trackfile_set(&t, true, "link down", now) == 0);
	CHECK(!strcmp(content(&ino), "1\n"));
	unlink(path);
}

int main(void)
{
	umask(022);
	t_setup_tmpdir(dir);
	snprintf(path, sizeof(path), "%s/track", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	RUN(test_unset);
	RUN(test_values);
	RUN(test_errors);
	RUN(test_name_too_long);
	RUN(test_check);

	unlink(path);
	unlink(tmp);
	rmdir(dir);
	DONE();
}
