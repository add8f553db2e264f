# SPDX-License-Identifier: GPL-2.0
#
# make install [DESTDIR=...] [PREFIX=/usr]: included by the top Makefile.
# Installs everything the README's operator section uses:
#   $(SBINDIR)              ha-ike-agent, ha-ike
#   $(DATADIR)/xfrm-ha/yang the YANG model the agent loads
#   $(PREFIX)/lib/systemd/system   ha-ike-agent@.service
#   $(PREFIX)/lib/{sysusers,tmpfiles,modules-load}.d  the user xfrm-ha,
#                           /run/xfrm-ha, /run/netns/main, the FIFOs, xfrm_ha
#   /usr/src/xfrm-ha-VERSION  the module's sources with dkms.conf (DKMS
#                           only looks in /usr/src, whatever PREFIX is)
#   $(MANDIR)               ha-ike-agent(8), ha-ike(8), xfrm_ha(7),
#                           xfrm-ha.conf(5)
#   $(BASHCOMPDIR)          ha-ike's completion
#   $(DOCDIR)               README, design, protocol, examples
#   $(SYSCONFDIR)/xfrm-ha/xfrm-ha.conf  an example, only if there is none
# Nothing is started, no user created: see the README (systemd-sysusers,
# systemd-tmpfiles --create, dkms install, systemctl enable).
#
# The agent has the YANG directory compiled in: build with the PREFIX you
# install with (make PREFIX=/usr/local && make install PREFIX=/usr/local).

VERSION := $(shell cat $(TOP)/VERSION)
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/xfrm-ha
YANGDIR ?= $(DATADIR)/xfrm-ha/yang
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
SYSCONFDIR ?= /etc
DKMSDIR ?= /usr/src/xfrm-ha-$(VERSION)

MANPAGES := man/ha-ike-agent.8 man/ha-ike.8 man/xfrm_ha.7 man/xfrm-ha.conf.5
# ha-ike's bash completion.
BASHCOMP := $(wildcard completion/ha-ike)
EXAMPLE_CONF := contrib/xfrm-ha/xfrm-ha.conf
DOCS := README.md docs/design.md docs/protocol.md
EXAMPLES := $(EXAMPLE_CONF) contrib/keepalived/keepalived.conf contrib/strongswan.d/charon/ha.conf
DKMS_SRC := Kbuild $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild uapi/linux/xfrm_ha.h

INSTALL ?= install

install: programs
	$(INSTALL) -D -m 0755 agent/ha-ike-agent $(DESTDIR)$(SBINDIR)/ha-ike-agent
	$(INSTALL) -D -m 0755 tools/ha-ike $(DESTDIR)$(SBINDIR)/ha-ike
	$(INSTALL) -D -m 0644 yang/xfrm-ha.yang $(DESTDIR)$(YANGDIR)/xfrm-ha.yang
	$(INSTALL) -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/|$(SBINDIR)/|g; s|/etc/xfrm-ha/|$(SYSCONFDIR)/xfrm-ha/|g' \
		systemd/ha-ike-agent@.service >$(DESTDIR)$(UNITDIR)/ha-ike-agent@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ha-ike-agent@.service
	$(INSTALL) -D -m 0644 systemd/sysusers.d/xfrm-ha.conf $(DESTDIR)$(SYSUSERSDIR)/xfrm-ha.conf
	$(INSTALL) -D -m 0644 systemd/tmpfiles.d/xfrm-ha.conf $(DESTDIR)$(TMPFILESDIR)/xfrm-ha.conf
	$(INSTALL) -D -m 0644 systemd/modules-load.d/xfrm_ha.conf \
		$(DESTDIR)$(MODULESLOADDIR)/xfrm_ha.conf
	for f in $(DKMS_SRC); do $(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f || exit 1; done
	sed 's/@VERSION@/$(VERSION)/' dkms.conf >$(DESTDIR)$(DKMSDIR)/dkms.conf
	chmod 0644 $(DESTDIR)$(DKMSDIR)/dkms.conf
	for m in $(MANPAGES); do \
		$(INSTALL) -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	$(if $(BASHCOMP),$(INSTALL) -D -m 0644 $(BASHCOMP) $(DESTDIR)$(BASHCOMPDIR)/ha-ike)
	for f in $(DOCS); do $(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/$${f##*/} || exit 1; done
	for f in $(EXAMPLES); do \
		$(INSTALL) -D -m 0644 $$f $(DESTDIR)$(DOCDIR)/examples/$${f##*/} || exit 1; \
	done
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/xfrm-ha
	test -e $(DESTDIR)$(SYSCONFDIR)/xfrm-ha/xfrm-ha.conf || \
		$(INSTALL) -m 0644 $(EXAMPLE_CONF) $(DESTDIR)$(SYSCONFDIR)/xfrm-ha/xfrm-ha.conf

.PHONY: install
