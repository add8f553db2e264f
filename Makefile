# SPDX-License-Identifier: GPL-2.0
#
# make            build xfrm_ha.ko for every installed Debian kernel, the
#                 agent and the CLI
# make deps       install the Debian packages the build and the tests need
# make check      build, then run the selftests in QEMU on every kernel,
#                 then every libFuzzer target for FUZZ_TIME s (60) each
# make lab        the QEMU lab: two HA nodes and a peer, with a failover
# make demo       the HA IKE lab (strongSwan ha plugin, keepalived, SecGW,
#                 road warrior) with failover/failback, narrated, in a VM
# make lint       checkpatch + sparse on the module
# make fuzz       build and run the libFuzzer targets for a short while

TOP := $(CURDIR)
KVERS ?= $(patsubst /usr/src/linux-headers-%,%,$(wildcard /usr/src/linux-headers-*-amd64))
KMOD_SRC := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild uapi/linux/xfrm_ha.h
MODULES := $(foreach v,$(KVERS),build/$(v)/kmod/xfrm_ha.ko)

all: modules userspace

modules: $(MODULES)

# One private tree per kernel under build/, so that two kernels' objects
# never share a directory; the sources are symlinked into it.
build/%/kmod/xfrm_ha.ko: $(KMOD_SRC) Kbuild
	@test -d /usr/src/linux-headers-$* || { echo "no headers for $*: run make deps" >&2; exit 1; }
	@mkdir -p build/$*/kmod
	@ln -sfn ../../uapi build/$*/uapi
	@cp Kbuild build/$*/Kbuild
	@for f in kmod/*.c kmod/*.h kmod/Kbuild; do ln -sf ../../../$$f build/$*/kmod/; done
	$(MAKE) -C /usr/src/linux-headers-$* M=$(TOP)/build/$* W=1 modules

userspace:
	$(MAKE) -C lib
	$(MAKE) -C agent
	$(MAKE) -C tools
	$(MAKE) -C selftests build

deps:
	./scripts/deps.sh

# The fuzzers run even when a VM failed (both verdicts are reported); the
# selftests' verdict comes first.
check: all
	$(MAKE) -C agent test
	@rc=0; ./selftests/run.sh || rc=1; \
	$(MAKE) -C fuzz check || rc=1; \
	exit $$rc

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

.PHONY: all modules userspace deps check lab demo lint fuzz clean
