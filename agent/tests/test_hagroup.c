// SPDX-License-Identifier: GPL-2.0
/*
 * The HA group controllers with a real FIFO in a temporary directory.
 * The virtual addresses are read through rtnetlink from this network
 * namespace: 127.0.0.1 and ::1 are on lo wherever lo is up, 192.0.2.99
 * (TEST-NET-1) is on no interface. Time is passed in, never read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hagroup.h"
#include "t.h"

static char dir[] = "/tmp/xha-test-hagroup.XXXXXX";
static char fifo[PATH_MAX];

struct calls {
	int n;
	enum ha_state old, st;
};

static void cb(void *arg, enum ha_state old, enum ha_state st,
	       const char *why)
{
	struct calls *c = arg;

	c->n++;
	c->old = old;
	c->st = st;
	if (getenv("V"))
		printf("# callback: %s -> %s (%s)\n", ha_state_name(old),
		       ha_state_name(st), why);
}

static void add_vip(struct config_group *g, const char *s)
{
	struct sockaddr_storage *ss = &g->vips[g->n_vips++];

	memset(ss, 0, sizeof(*ss));
	if (strchr(s, ':')) {
		ss->ss_family = AF_INET6;
		inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)ss)->sin6_addr);
	} else {
		ss->ss_family = AF_INET;
		inet_pton(AF_INET, s, &((struct sockaddr_in *)ss)->sin_addr);
	}
}

/* A keepalived group on our FIFO; vips: NULL-terminated. */
static void ka_group(struct config_group *g, bool sync_group,
		     const char *name, const char *const *vips)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "vpn");
	g->ctl = HA_CTL_KEEPALIVED;
	snprintf(g->fifo, sizeof(g->fifo), "%s", fifo);
	g->vrrp_sync_group = sync_group;
	snprintf(g->vrrp_name, sizeof(g->vrrp_name), "%s", name);
	while (vips && *vips)
		add_vip(g, *vips++);
}

/* keepalived's end: the FIFO made (if needed) and opened read-write, so
 * that writes never block and never fail for want of a reader. */
static int writer(void)
{
	int fd;

	if (mkfifo(fifo, 0600) < 0 && errno != EEXIST)
		return -1;
	fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	return fd;
}

static void put(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror("write to FIFO");
		exit(2);
	}
}

static void test_static_external(void)
{
	struct config_group cfg = { .name = "s", .ctl = HA_CTL_STATIC,
				    .static_state = HA_STATE_MASTER };
	struct calls c = { 0 };
	struct hagroup g;
	char err[256] = "";

	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK(g.known);
	CHECK_EQ(hagroup_fd(&g), (unsigned long long)-1);
	CHECK(!strcmp(hagroup_controller(&g), "static"));
	CHECK(hagroup_set(&g, "s", HA_STATE_BACKUP, err, sizeof(err)) < 0);
	CHECK_STR(err, "driven by static");
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	hagroup_tick(&g, 1000);
	CHECK_EQ(hagroup_readable(&g, 1000), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 0);
	hagroup_close(&g);

	cfg.static_state = HA_STATE_FAULT;
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_FAULT);
	hagroup_close(&g);

	/* external: BACKUP until told, then told by ha-ike only */
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "ext");
	cfg.ctl = HA_CTL_EXTERNAL;
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK(!g.known);
	CHECK_EQ(hagroup_fd(&g), (unsigned long long)-1);
	CHECK(!strcmp(hagroup_controller(&g), "external"));
	CHECK(hagroup_set(&g, "other", HA_STATE_MASTER, err, sizeof(err)) < 0);
	CHECK_STR(err, "no HA group \"other\"");
	CHECK_STR(err, "\"ext\"");
	CHECK(hagroup_set(&g, "EXT", HA_STATE_MASTER, err, sizeof(err)) < 0);
	CHECK_EQ(c.n, 0);
	CHECK(hagroup_set(&g, "ext", HA_STATE_MASTER, err, sizeof(err)) == 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK(g.known);
	CHECK_EQ(c.n, 1);
	CHECK(c.old == HA_STATE_BACKUP && c.st == HA_STATE_MASTER);
	/* The same state again: no callback. */
	CHECK(hagroup_set(&g, "ext", HA_STATE_MASTER, err, sizeof(err)) == 0);
	CHECK_EQ(c.n, 1);
	CHECK(hagroup_set(&g, "ext", HA_STATE_FAULT, err, sizeof(err)) == 0);
	CHECK_EQ(c.n, 2);
	CHECK(c.old == HA_STATE_MASTER && c.st == HA_STATE_FAULT);
	CHECK_EQ(g.st.transitions, 2);
	hagroup_close(&g);
}

/*
 * No virtual address (only in a hand-made config_group: the YANG model
 * requires one): the state is unknown until the first line, then the FIFO
 * alone decides, after the stale lines.
 */
static void test_fifo_lines(void)
{
	struct config_group cfg;
	struct calls c = { 0 };
	struct hagroup g;
	struct stat st;
	char err[256] = "";
	int w;

	unlink(fifo);
	ka_group(&cfg, true, "VPN", NULL);
	/* keepalived ran before us: what it wrote is history. */
	w = writer();
	CHECK(w >= 0);
	put(w, "GROUP \"VPN\" MASTER 0\nGROUP \"VPN\" BACKUP 0\n");
	put(w, "GROUP \"VPN\" MASTER 0\n");
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK(!strcmp(hagroup_controller(&g), "keepalived"));
	CHECK_EQ(g.st.lines_stale, 3);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK(!g.known);
	CHECK(hagroup_fd(&g) >= 0);
	CHECK_EQ(hagroup_readable(&g, 1000), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK(!g.known);
	CHECK_EQ(c.n, 0);
	CHECK_EQ(g.st.lines, 0);
	/* Ticks do not make it known either. */
	hagroup_tick(&g, 1050);
	CHECK(!g.known);
	CHECK_EQ(c.n, 0);

	/* Ours: a change and a callback. */
	put(w, "GROUP \"VPN\" MASTER 0\n");
	CHECK_EQ(hagroup_readable(&g, 1100), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK(g.known);
	CHECK_EQ(c.n, 1);
	CHECK(c.old == HA_STATE_BACKUP && c.st == HA_STATE_MASTER);
	CHECK_EQ(g.st.lines, 1);
	CHECK_EQ(g.st.transitions, 1);

	/* Not ours: other names, the instances, the checker, junk. */
	put(w, "GROUP \"OTHER\" BACKUP 0\n"
	       "INSTANCE \"VPN\" BACKUP 100\n"
	       "INSTANCE \"VI_1\" FAULT 0\n"
	       "VS [10.0.0.1]:tcp:80 DOWN\n"
	       "GROUP \"VPN2\" BACKUP 0\n"
	       "GROUP \"vpn\" BACKUP 0\n");
	put(w, "GROUP VPN BACKUP 0\nGROUP \"VPN\" BACKUP 0 junk\n");
	hagroup_readable(&g, 1200);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 1);
	CHECK_EQ(g.st.lines_other, 6);
	CHECK_EQ(g.st.lines_malformed, 2);
	CHECK_EQ(g.st.lines, 1);

	/* A line in pieces changes nothing until its newline. */
	put(w, "GROUP \"VPN\" FA");
	hagroup_readable(&g, 1300);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	put(w, "ULT 0\r\n");
	hagroup_readable(&g, 1301);
	CHECK_EQ(hagroup_state(&g), HA_STATE_FAULT);
	CHECK_EQ(c.n, 2);
	CHECK(c.old == HA_STATE_MASTER && c.st == HA_STATE_FAULT);

	/* An unknown state word, without virtual addresses to ask: kept. */
	put(w, "GROUP \"VPN\" MASTER_RX_LOWER_PRI 0\n");
	hagroup_readable(&g, 1400);
	CHECK_EQ(hagroup_state(&g), HA_STATE_FAULT);
	CHECK_EQ(g.st.lines_unknown_state, 1);
	CHECK_EQ(c.n, 2);

	/* Several lines in one read: each one counts, only the last one is
	 * applied (one callback). */
	put(w, "GROUP \"VPN\" BACKUP 0\nGROUP \"VPN\" MASTER 0\n"
	       "GROUP \"VPN\" STOP 0\n");
	CHECK_EQ(hagroup_readable(&g, 1500), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(c.n, 3);
	CHECK(c.old == HA_STATE_FAULT && c.st == HA_STATE_BACKUP);
	CHECK_EQ(g.st.lines, 6);
	/* Lines that end where they began: no callback at all. */
	put(w, "GROUP \"VPN\" MASTER 0\nGROUP \"VPN\" BACKUP 0\n");
	CHECK_EQ(hagroup_readable(&g, 1550), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(c.n, 3);
	/* An unknown word before a known one: the known one is applied;
	 * after it: the unknown one (nothing to resolve from here). */
	put(w, "GROUP \"VPN\" NEW_WORD 0\nGROUP \"VPN\" MASTER 0\n");
	CHECK_EQ(hagroup_readable(&g, 1560), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 4);
	put(w, "GROUP \"VPN\" BACKUP 0\nGROUP \"VPN\" NEW_WORD 0\n");
	CHECK_EQ(hagroup_readable(&g, 1570), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 4);
	CHECK_EQ(g.st.lines_unknown_state, 3);
	put(w, "GROUP \"VPN\" BACKUP 0\n");
	CHECK_EQ(hagroup_readable(&g, 1580), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(c.n, 5);

	/* keepalived's own state words are not ha-ike's business. */
	CHECK(hagroup_set(&g, "vpn", HA_STATE_MASTER, err, sizeof(err)) < 0);
	CHECK_STR(err, "driven by keepalived");
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);

	/* Ticks without virtual addresses change nothing. */
	hagroup_tick(&g, 5000);
	hagroup_tick(&g, 50000);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(g.st.vip_checks, 0);

	/* The FIFO broke (as after a read error): the caller closes it,
	 * the tick reopens it and what queued meanwhile is stale. */
	hagroup_fifo_close(&g);
	CHECK_EQ(hagroup_fd(&g), (unsigned long long)-1);
	hagroup_fifo_close(&g);	/* twice: harmless */
	CHECK_EQ(hagroup_readable(&g, 59000), 0);	/* closed: nothing */
	put(w, "GROUP \"VPN\" MASTER 0\n");
	hagroup_tick(&g, 60000);
	CHECK(hagroup_fd(&g) >= 0);
	CHECK_EQ(g.st.lines_stale, 4);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	put(w, "GROUP \"VPN\" MASTER 0\n");
	CHECK_EQ(hagroup_readable(&g, 60001), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	hagroup_close(&g);
	CHECK_EQ(hagroup_fd(&g), (unsigned long long)-1);
	close(w);

	/* hagroup_open makes the FIFO, mode 0600. */
	unlink(fifo);
	ka_group(&cfg, false, "VI_1", NULL);
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode) &&
	      (st.st_mode & 0777) == 0600);
	CHECK_EQ(g.st.lines_stale, 0);
	/* An instance: GROUP lines with its name are not ours. */
	w = writer();
	c.n = 0;
	put(w, "GROUP \"VI_1\" MASTER 0\n");
	hagroup_readable(&g, 100);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK(!g.known);
	CHECK_EQ(g.st.lines_other, 1);
	/* The first line counts even if it says the default: BACKUP is now
	 * known (charon may be told). */
	put(w, "INSTANCE \"VI_1\" BACKUP 100\n");
	hagroup_readable(&g, 150);
	CHECK(g.known);
	CHECK_EQ(c.n, 1);
	CHECK(c.old == HA_STATE_BACKUP && c.st == HA_STATE_BACKUP);
	CHECK_EQ(g.st.transitions, 0);
	put(w, "INSTANCE \"VI_1\" MASTER 100\n");
	hagroup_readable(&g, 200);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(g.st.lines, 2);
	CHECK_EQ(c.n, 2);
	hagroup_close(&g);
	close(w);
}

static void test_open_errors(void)
{
	struct config_group cfg;
	struct hagroup g;
	char err[256] = "";
	int fd;

	/* A regular file where the FIFO should be. */
	unlink(fifo);
	fd = open(fifo, O_WRONLY | O_CREAT, 0600);
	close(fd);
	ka_group(&cfg, true, "VPN", NULL);
	CHECK(hagroup_open(&g, &cfg, cb, NULL, err, sizeof(err)) < 0);
	CHECK_STR(err, "not a FIFO");
	CHECK_STR(err, fifo);
	unlink(fifo);

	snprintf(cfg.fifo, sizeof(cfg.fifo), "%s/missing/dir/fifo", dir);
	err[0] = '\0';
	CHECK(hagroup_open(&g, &cfg, cb, NULL, err, sizeof(err)) < 0);
	CHECK_STR(err, "No such file");
	CHECK_STR(err, "missing/dir/fifo");
}

/* The addresses are the truth at start and after any doubt. */
static void test_vips(void)
{
	static const char *const here[] = { "127.0.0.1", "::1", NULL };
	static const char *const absent[] = { "192.0.2.99", NULL };
	static const char *const some[] = { "127.0.0.1", "192.0.2.99", NULL };
	static const char *const lo4[] = { "127.0.0.1", NULL };
	struct config_group cfg;
	struct calls c = { 0 };
	struct hagroup g;
	char err[256] = "";
	int w;

	unlink(fifo);
	w = writer();
	CHECK(w >= 0);

	/* Present, whatever the stale lines said. */
	put(w, "GROUP \"VPN\" BACKUP 0\nGROUP \"VPN\" FAULT 0\n");
	ka_group(&cfg, true, "VPN", here);
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	if (err[0])
		printf("# %s\n", err);
	CHECK_EQ(g.st.lines_stale, 2);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 0);
	CHECK(g.st.vip_checks >= 1);

	/* A tick that agrees changes nothing. */
	hagroup_tick(&g, 10000);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(g.disagree_since, 0);

	/* A BACKUP line while the addresses are still here is not applied:
	 * the addresses decide after HAGROUP_RECHECK_MS (and agree). */
	put(w, "GROUP \"VPN\" BACKUP 0\n");
	CHECK_EQ(hagroup_readable(&g, 20000), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 0);
	CHECK_EQ(g.st.lines, 1);
	CHECK_EQ(g.disagree_since, 20000);
	hagroup_tick(&g, 20000 + HAGROUP_RECHECK_MS - 1);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(g.disagree_since, 20000);
	hagroup_tick(&g, 20000 + HAGROUP_RECHECK_MS);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(g.st.vip_overrides, 0);
	CHECK_EQ(c.n, 0);
	CHECK_EQ(g.disagree_since, 0);

	/* Only the last line of a read counts: BACKUP then MASTER agrees
	 * (no callback, the state is already MASTER) ... */
	put(w, "GROUP \"VPN\" BACKUP 0\nGROUP \"VPN\" MASTER 0\n");
	CHECK_EQ(hagroup_readable(&g, 25000), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(g.disagree_since, 0);
	CHECK_EQ(c.n, 0);
	/* ... MASTER then BACKUP is contradicted. */
	put(w, "GROUP \"VPN\" MASTER 0\nGROUP \"VPN\" BACKUP 0\n");
	CHECK_EQ(hagroup_readable(&g, 26000), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(g.disagree_since, 26000);
	CHECK_EQ(c.n, 0);
	/* A MASTER line the addresses agree with clears the doubt. */
	put(w, "GROUP \"VPN\" MASTER 0\n");
	CHECK_EQ(hagroup_readable(&g, 26500), 0);
	CHECK_EQ(g.disagree_since, 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 0);

	/* An unknown state: the addresses decide at once (here: agree). */
	put(w, "GROUP \"VPN\" SOMETHING_NEW 0\n");
	CHECK_EQ(hagroup_readable(&g, 30000), 0);
	CHECK_EQ(g.st.lines_unknown_state, 1);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 0);
	hagroup_close(&g);

	/* Absent: BACKUP at start, whatever the stale lines said. */
	put(w, "GROUP \"VPN\" MASTER 0\n");
	ka_group(&cfg, true, "VPN", absent);
	c.n = 0;
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK_EQ(g.st.lines_stale, 1);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK(g.known);
	CHECK_EQ(c.n, 0);

	/* A BACKUP line agrees: applied (nothing changes). */
	put(w, "GROUP \"VPN\" BACKUP 0\n");
	CHECK_EQ(hagroup_readable(&g, 1000), 0);
	CHECK_EQ(g.disagree_since, 0);
	CHECK_EQ(c.n, 0);

	/* MASTER without the addresses: never applied, the state stays
	 * BACKUP; the tick settles the doubt after HAGROUP_RECHECK_MS. */
	put(w, "GROUP \"VPN\" MASTER 0\n");
	CHECK_EQ(hagroup_readable(&g, 2000), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(c.n, 0);
	CHECK_EQ(g.disagree_since, 2000);
	hagroup_tick(&g, 2500);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(g.disagree_since, 2000);
	hagroup_tick(&g, 2000 + HAGROUP_RECHECK_MS - 1);
	CHECK_EQ(g.disagree_since, 2000);
	hagroup_tick(&g, 2000 + HAGROUP_RECHECK_MS);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(g.disagree_since, 0);
	CHECK_EQ(c.n, 0);
	CHECK_EQ(g.st.vip_overrides, 0);

	/* A second MASTER line within the window does not restart it. */
	put(w, "GROUP \"VPN\" MASTER 0\n");
	hagroup_readable(&g, 5000);
	put(w, "GROUP \"VPN\" MASTER 0\n");
	hagroup_readable(&g, 5900);
	CHECK_EQ(g.disagree_since, 5000);
	hagroup_tick(&g, 6000);
	CHECK_EQ(g.disagree_since, 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);

	/* ... and a line that comes round clears it. */
	put(w, "GROUP \"VPN\" MASTER 0\n");
	hagroup_readable(&g, 6500);
	CHECK_EQ(g.disagree_since, 6500);
	put(w, "GROUP \"VPN\" MASTER 0\nGROUP \"VPN\" BACKUP 0\n");
	hagroup_readable(&g, 7000);
	CHECK_EQ(g.disagree_since, 0);
	hagroup_tick(&g, 9000);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(c.n, 0);

	/* A FAULT line agrees with absent addresses: applied. */
	put(w, "GROUP \"VPN\" FAULT 0\n");
	hagroup_readable(&g, 9500);
	CHECK_EQ(hagroup_state(&g), HA_STATE_FAULT);
	CHECK_EQ(c.n, 1);
	CHECK(c.old == HA_STATE_BACKUP && c.st == HA_STATE_FAULT);
	put(w, "GROUP \"VPN\" BACKUP 0\n");
	hagroup_readable(&g, 9600);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(c.n, 2);

	/* An unknown state word (after the last known one): the addresses
	 * decide at once. The state is forced to MASTER here to see them
	 * overrule it (the addresses cannot be added without privileges). */
	g.state = HA_STATE_MASTER;
	put(w, "GROUP \"VPN\" MASTER 0\nGROUP \"VPN\" SOMETHING_NEW 0\n");
	CHECK_EQ(hagroup_readable(&g, 10001), 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(c.n, 3);
	CHECK(c.old == HA_STATE_MASTER && c.st == HA_STATE_BACKUP);
	CHECK_EQ(g.st.vip_overrides, 1);
	CHECK_EQ(g.disagree_since, 0);

	/* A state the addresses contradict without any line (a line lost
	 * without a trace): the tick notices, then resolves. */
	g.state = HA_STATE_MASTER;
	hagroup_tick(&g, 20000);
	CHECK_EQ(g.disagree_since, 20000);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	hagroup_tick(&g, 20000 + HAGROUP_RECHECK_MS);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(g.st.vip_overrides, 2);
	CHECK_EQ(c.n, 4);
	hagroup_close(&g);

	/* Not all of them: BACKUP, and a MASTER line is not applied. */
	ka_group(&cfg, true, "VPN", some);
	c.n = 0;
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	put(w, "GROUP \"VPN\" MASTER 0\n");
	hagroup_readable(&g, 1000);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(g.disagree_since, 1000);
	CHECK_EQ(c.n, 0);
	hagroup_close(&g);

	/* An instance with 127.0.0.1 configured and present: a BACKUP line
	 * for it is not applied either. */
	ka_group(&cfg, false, "VI_1", lo4);
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	put(w, "INSTANCE \"VI_1\" BACKUP 100\n");
	hagroup_readable(&g, 1000);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(g.disagree_since, 1000);
	CHECK_EQ(c.n, 0);
	hagroup_tick(&g, 1000 + HAGROUP_RECHECK_MS);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 0);
	hagroup_close(&g);
	close(w);
}

/*
 * keepalived writes each line with one non-blocking write: once the FIFO
 * is full, lines are lost. Reading a full FIFO must make the addresses
 * decide, even when whole lines filled it short of its capacity.
 */
static void test_full_fifo(void)
{
	static const char *const here[] = { "127.0.0.1", NULL };
	const char *line = "GROUP \"VPN\" BACKUP 0\n";
	struct config_group cfg;
	struct calls c = { 0 };
	struct hagroup g;
	char err[256] = "";
	size_t total = 0;
	int w;

	unlink(fifo);
	ka_group(&cfg, true, "VPN", here);
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	w = writer();
	CHECK(w >= 0);
	/* BACKUP lines until the FIFO is full (the first ones went through
	 * while the addresses were still here; the MASTER line that would
	 * have followed was lost). */
	for (;;) {
		ssize_t n = write(w, line, strlen(line));

		if (n < 0)
			break;
		total += (size_t)n;
	}
	printf("# FIFO full after %zu bytes\n", total);
	hagroup_readable(&g, 1000);
	CHECK_EQ(g.st.lines, total / strlen(line));
	/* The addresses are here: MASTER, the BACKUP lines not applied,
	 * and the doubt settled at once, without waiting for a tick. */
	CHECK_EQ(hagroup_state(&g), HA_STATE_MASTER);
	CHECK_EQ(c.n, 0);
	CHECK_EQ(g.disagree_since, 0);
	CHECK(g.st.vip_checks >= 3);
	hagroup_close(&g);
	close(w);
}

/*
 * A FIFO larger than the default (F_SETPIPE_SZ): one call reads at most
 * a pipe's capacity, the event loop calls again for the rest.
 */
static void test_bounded_read(void)
{
	static const char *const absent[] = { "192.0.2.99", NULL };
	const char *line = "GROUP \"VPN\" BACKUP 0\n";
	struct config_group cfg;
	struct calls c = { 0 };
	struct hagroup g;
	char err[256] = "";
	size_t total = 0, lines;
	uint64_t first;
	int w;

	unlink(fifo);
	ka_group(&cfg, true, "VPN", absent);
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	w = writer();
	CHECK(w >= 0);
	if (fcntl(w, F_SETPIPE_SZ, 4 * 65536) < 4 * 65536) {
		printf("# F_SETPIPE_SZ: %s: skipped\n", strerror(errno));
		hagroup_close(&g);
		close(w);
		return;
	}
	while (total < 3 * 65536) {
		ssize_t n = write(w, line, strlen(line));

		if (n < 0)
			break;
		total += (size_t)n;
	}
	lines = total / strlen(line);
	CHECK_EQ(hagroup_readable(&g, 1000), 0);
	first = g.st.lines;
	CHECK(first > 0 && first <= 65536 / strlen(line) + 1);
	CHECK(first < lines);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	while (g.st.lines < lines) {
		uint64_t before = g.st.lines;

		CHECK_EQ(hagroup_readable(&g, 1001), 0);
		CHECK(g.st.lines > before);
		if (g.st.lines == before)
			break;
	}
	CHECK_EQ(g.st.lines, lines);
	CHECK_EQ(hagroup_state(&g), HA_STATE_BACKUP);
	CHECK_EQ(c.n, 0);
	/* Empty now. */
	CHECK_EQ(hagroup_readable(&g, 1002), 0);
	CHECK_EQ(g.st.lines, lines);
	hagroup_close(&g);
	close(w);
}

/*
 * A broken FIFO (end of file, a read error): -1, the descriptor left
 * open for the caller to unwatch, then hagroup_fifo_close(); the tick
 * reopens the FIFO.
 */
static void test_read_error(void)
{
	static const char *const absent[] = { "192.0.2.99", NULL };
	struct config_group cfg;
	struct calls c = { 0 };
	struct hagroup g;
	char err[256] = "";
	int p[2], fd, w;

	unlink(fifo);
	ka_group(&cfg, true, "VPN", absent);
	CHECK(hagroup_open(&g, &cfg, cb, &c, err, sizeof(err)) == 0);
	w = writer();
	CHECK(w >= 0);

	/* End of file: a pipe whose writer is gone stands in for it. */
	CHECK(pipe(p) == 0);
	CHECK(write(p[1], "GROUP \"VPN\" FAULT 0\n", 21) == 21);
	close(p[1]);
	close(g.fifo);
	g.fifo = p[0];
	memset(&g.buf, 0, sizeof(g.buf));
	CHECK_EQ(hagroup_readable(&g, 1000), (unsigned long long)-1);
	CHECK_EQ(g.st.fifo_errors, 1);
	/* What came before the end was still read and applied. */
	CHECK_EQ(hagroup_state(&g), HA_STATE_FAULT);
	CHECK_EQ(c.n, 1);
	/* Not closed behind the caller's back. */
	CHECK_EQ(hagroup_fd(&g), p[0]);
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	hagroup_fifo_close(&g);
	CHECK_EQ(hagroup_fd(&g), (unsigned long long)-1);
	CHECK(fcntl(p[0], F_GETFD) < 0 && errno == EBADF);

	/* The tick reopens the FIFO, the stale MASTER line is dropped and
	 * the addresses decide: absent, so FAULT (not MASTER) stands. */
	put(w, "GROUP \"VPN\" MASTER 0\n");
	hagroup_tick(&g, 2000);
	CHECK(hagroup_fd(&g) >= 0);
	CHECK_EQ(g.st.lines_stale, 1);
	CHECK_EQ(hagroup_state(&g), HA_STATE_FAULT);
	CHECK_EQ(c.n, 1);

	/* A read error (a directory in place of the FIFO): -1 too. */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	close(g.fifo);
	g.fifo = fd;
	CHECK_EQ(hagroup_readable(&g, 3000), (unsigned long long)-1);
	CHECK_EQ(g.st.fifo_errors, 2);
	CHECK_EQ(hagroup_fd(&g), fd);
	hagroup_fifo_close(&g);
	hagroup_tick(&g, 4000);
	CHECK(hagroup_fd(&g) >= 0);
	put(w, "GROUP \"VPN\" BACKUP 0\n");
	CHECK_EQ(hagroup_readable(&g, 5000), 0);
	CHECK_EQ(g.st.fifo_errors, 2);
	hagroup_close(&g);
	close(w);
}

int main(void)
{
	t_setup_tmpdir(dir);
	snprintf(fifo, sizeof(fifo), "%s/notify.fifo", dir);

	RUN(test_static_external);
	RUN(test_fifo_lines);
	RUN(test_open_errors);
	RUN(test_vips);
	RUN(test_full_fifo);
	RUN(test_bounded_read);
	RUN(test_read_error);

	unlink(fifo);
	rmdir(dir);
	DONE();
}
