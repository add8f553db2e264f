# SPDX-License-Identifier: GPL-2.0
#
# make            build xfrm_ha.ko for every installed Debian kernel, the
#                 agent and the CLI
# make programs   the agent and the CLI only (what make install installs)
# make deps       install the Debian packages the build and the tests need
# make check      build, then run the selftests in QEMU on every kernel,
#                 then every libFuzzer target for FUZZ_TIME s (60) each
# make lab        the QEMU lab: two HA nodes and a peer, with a failover
# make demo       the HA IKE lab (strongSwan ha plugin, keepalived, SecGW,
#                 road warrior) with failover/failback, narrated, in a VM
# make check-debug  the selftests on a debug kernel (KASAN, lockdep,
#                 kmemleak, DEBUG_OBJECTS) built from linux-source-6.12
#                 (scripts/debug-kernel.sh; cached: ~15 min on 2 cores the
#                 first time)
# make lint       checkpatch + sparse on the module
# make install    DESTDIR=... PREFIX=/usr: agent, CLI, model, units,
#                 sysusers/tmpfiles/modules-load, DKMS sources, man pages
#                 (install.mk; the README's operator section)
# make fuzz       build and run the libFuzzer targets for a short while

TOP := $(CURDIR)
KVERS ?= $(patsubst /usr/src/linux-headers-%,%,$(wildcard /usr/src/linux-headers-*-amd64))
KMOD_SRC := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild uapi/linux/xfrm_ha.h
MODULES := $(foreach v,$(KVERS),build/$(v)/kmod/xfrm_ha.ko)

all: modules userspace

modules: $(MODULES)

# The kernel tree to build against: Debian's headers, or for the debug
# kernel (its release ends in -xha-debug) the tree scripts/debug-kernel.sh
# built.
kdir = $(if $(filter %-xha-debug,$(1)),$(shell ./scripts/debug-kernel.sh --dir)/linux,/usr/src/linux-headers-$(1))

# One private tree per kernel under build/, so that two kernels' objects
# never share a directory; the sources are symlinked into it.
build/%/kmod/xfrm_ha.ko: $(KMOD_SRC) Kbuild
	@test -d $(call kdir,$*) || { echo "no headers for $* ($(call kdir,$*)): run make deps, or scripts/debug-kernel.sh" >&2; exit 1; }
	@mkdir -p build/$*/kmod
	@ln -sfn ../../uapi build/$*/uapi
	@cp Kbuild build/$*/Kbuild
	@for f in kmod/*.c kmod/*.h kmod/Kbuild; do ln -sf ../../../$$f build/$*/kmod/; done
	$(MAKE) -C $(call kdir,$*) M=$(TOP)/build/$* W=1 modules

# What an operator installs (make install): the library, the agent, the CLI.
programs:
	$(MAKE) -C lib
	$(MAKE) -C agent
	$(MAKE) -C tools

userspace: programs
	$(MAKE) -C selftests build

deps:
	./scripts/deps.sh

# The fuzzers run even when a VM failed (both verdicts are reported); the
# selftests' verdict comes first.
check: all
	$(MAKE) -C agent test
	$(MAKE) -C tools test
	./scripts/check-packaging.sh
	@rc=0; ./selftests/run.sh || rc=1; \
	$(MAKE) -C fuzz check || rc=1; \
	exit $$rc

# The debug kernel is built (or taken from its cache), the module built
# against it, and the whole suite run in one VM. KASAN and lockdep under
# TCG are several times slower than Debian's kernels: longer timeouts and
# more memory (KASAN's shadow, kmemleak's metadata), unless given. The
# module is always rebuilt (-B): a new debug tree (another config) keeps
# the same release, so its sources' times alone say nothing.
check-debug: userspace
	@dir=$$(./scripts/debug-kernel.sh) && kver=$$(cat "$$dir/kernelrelease") && \
	$(MAKE) -B "build/$$kver/kmod/xfrm_ha.ko" && \
	XHA_VM_KERNEL="$$dir/bzImage" XHA_JOBS=1 \
	XHA_VM_MEM="$${XHA_VM_MEM:-2G}" \
	XHA_VM_TIMEOUT="$${XHA_VM_TIMEOUT:-7200}" \
	XHA_TEST_TIMEOUT="$${XHA_TEST_TIMEOUT:-1800}" \
	./selftests/run.sh "$$kver"

lab: all
	./selftests/lab.sh

demo: all
	./selftests/demo.sh

lint: $(MODULES)
	./scripts/lint.sh $(KVERS)

fuzz: userspace
	$(MAKE) -C fuzz run

clean:
	rm -rf build
	$(MAKE) -C lib clean
	$(MAKE) -C agent clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	-$(MAKE) -C fuzz clean

# make install DESTDIR=... PREFIX=/usr (install.mk)
include install.mk

.PHONY: all modules programs userspace deps check check-debug lab demo lint fuzz clean
