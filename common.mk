# Shared settings for the userspace parts (lib/, agent/, tools/, selftests/).
TOP ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wformat=2 \
	  -Wstrict-prototypes -Wmissing-prototypes -fstack-protector-strong \
	  -D_FORTIFY_SOURCE=2 -I$(TOP)/uapi -I$(TOP)/lib
MNL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmnl 2>/dev/null)
MNL_LIBS := $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
LIBXHA := $(TOP)/lib/libxha.a
