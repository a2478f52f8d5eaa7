# SPDX-License-Identifier: BSD-2-Clause
# arm64.mk: make check-arm64 (issue 20).  Cross-builds the library and the
# tests below for aarch64 in _build/arm64 (./configure
# --host=aarch64-linux-gnu), boots Debian's arm64 kernel once under
# qemu-system-aarch64 (-M virt, TCG, 2 NUMA nodes; test/arm64/mk-arm64-vm)
# and runs them there (test/arm64/check-arm64.sh).  Results land in
# test/arm64/lane/ as .log/.trs pairs that test/summary.sh counts.
#
# The tests: unit, API, kind (PMEM included, on the guest's tmpfs), the
# node-list and other parsers of numa_unit_test (char is unsigned on
# aarch64; AgreesWithLibnuma compares with the guest's libnuma on two
# nodes), libmemtier's parser and preload drivers, and the address map at
# the arm64 address width (addr-bits.sh).  Left out: the real-program preload
# drivers (python3, sqlite3, git... are not in the busybox guest), the DAX
# tests (no NVDIMMs on this machine), the environment scenarios that
# drive host tools, and the hardening lanes.
MK_ARM64_GTESTS = $(MK_UNIT_TESTS) test/unit/lock_rank_test $(MK_API_TESTS) \
	$(MK_KIND_TESTS) test/kinds/numa_unit_test test/preload/ctl_test
MK_ARM64_SHTESTS = test/preload/api.sh test/preload/exit.sh \
	test/preload/fork.sh test/preload/threads.sh test/preload/ratio.sh \
	test/preload/config.sh test/preload/launcher.sh \
	test/preload/launcher-dax-nodes.sh test/env/addr-bits.sh
MK_ARM64_BUILDS = $(MK_ARM64_GTESTS) $(MK_PRELOAD_BINS) \
	test/preload/libmt_early.la

# check-arm64's budget in CI: 12 minutes on 2 cores, cross-build included
# (measured cold: 485 s, test/arm64/README).
check-arm64:
	@top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	MAKE='$(MAKE)' MK_ARM64_TESTS='$(MK_ARM64_GTESTS) $(MK_ARM64_SHTESTS)' \
	MK_ARM64_BUILDS='$(MK_ARM64_BUILDS)' \
	$(SHELL) $(top_srcdir)/test/arm64/check-arm64.sh
.PHONY: check-arm64

# check-all's step, as check-dax-auto: the lane where this machine can run
# it (CHECK_ARM64=auto: test/arm64/can-run.sh), always (yes) or never (no);
# a lane that does not run is one counted skip with its reason.
CHECK_ARM64 = auto
check-arm64-auto:
	@rm -rf test/arm64/lane; why=; \
	case '$(CHECK_ARM64)' in \
	    no) why="CHECK_ARM64=no" ;; \
	    yes) ;; \
	    *) why=$$($(SHELL) $(top_srcdir)/test/arm64/can-run.sh) && why= ;; \
	esac; \
	if [ -z "$$why" ]; then \
	    $(MAKE) $(AM_MAKEFLAGS) check-arm64; \
	else \
	    echo "check-arm64: SKIP: $$why"; \
	    $(MKDIR_P) test/arm64/lane && \
	    echo "$$why" >test/arm64/lane/check-arm64.log && \
	    printf ':test-result: SKIP\n' >test/arm64/lane/check-arm64.trs; \
	fi
.PHONY: check-arm64-auto

mostlyclean-local: clean-arm64
clean-arm64:
	-rm -rf test/arm64/lane _build/arm64
.PHONY: clean-arm64

EXTRA_DIST += test/arm64/arm64.mk test/arm64/check-arm64.sh \
	test/arm64/can-run.sh test/arm64/mk-arm64-vm test/arm64/README
