# SPDX-License-Identifier: BSD-2-Clause
# test.mk: make check.  Each test binary is its own TESTS entry, run by
# automake's parallel harness; LOG_COMPILER may wrap them (valgrind), and so
# may MK_TEST_PREFIX (set in the environment, used by test/run-test.sh).

LOG_COMPILER = $(SHELL) $(top_srcdir)/test/run-test.sh
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)'; \
	top_srcdir='$(abs_top_srcdir)'; export top_builddir top_srcdir;
EXTRA_DIST += test/run-test.sh test/run-test-cleanup.sh
# run-test.sh's own promise: per-test TMPDIR, removed, leaks fail.
TESTS += test/run-test-cleanup.sh

if HAVE_GTEST
MK_GTEST_CXXFLAGS = $(AM_CXXFLAGS) $(GTEST_CFLAGS) -I$(top_srcdir)/test
MK_GTEST_API_LIBS = libtest_main.la libmemkind.la $(GTEST_LIBS) -lpthread

check_LTLIBRARIES += libtest_main.la
libtest_main_la_SOURCES = test/main.cpp test/common/capabilities.hpp
libtest_main_la_CXXFLAGS = $(MK_GTEST_CXXFLAGS)

# Black-box API tests: they link only the shared library.
MK_API_TESTS = \
	test/api/allocator_test \
	test/api/memtier_test
check_PROGRAMS += $(MK_API_TESTS)
TESTS += $(MK_API_TESTS)

test_api_allocator_test_SOURCES = test/api/allocator_test.cpp
test_api_allocator_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_allocator_test_LDADD = $(MK_GTEST_API_LIBS)

test_api_memtier_test_SOURCES = test/api/memtier_test.cpp
test_api_memtier_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_memtier_test_LDADD = $(MK_GTEST_API_LIBS)

endif

EXTRA_DIST += test/summary.sh

# check-all: the README's test command.  Runs every test (make check), the
# man page lint, the format check, the source lint, the real-DAX VM lane
# (check-dax-auto: where the machine can run it, test/dax/dax.mk; four to
# five minutes, verified from a fresh clone, #6), the NUMA topology lane
# (check-topology-auto: same rule, test/topology/topology.mk, #18), the
# Debian packaging lane (check-packaging-auto, test/packaging/packaging.mk,
# #19), the arm64 lane (check-arm64-auto: cross-built, run under
# qemu-system-aarch64; test/arm64/arm64.mk, #20; about 10 minutes) and the
# hardening lanes (check-hardening: fuzzing, valgrind, stress, ASan+UBSan+LSan, TSan;
# test/hardening/hardening.mk, about 15 minutes on two cores, #8), then
# prints the failing logs, if any, and one closing line "N passed, N
# failed, N skipped" (googletest cases counted one by one, the lanes'
# included; check-man and check-format count as one test each).  MK_CHECK_LANES=0 leaves the hardening lanes out for a quick
# local run; the closing line then counts them as one skip.
check-all:
	@rc=0; $(MAKE) $(AM_MAKEFLAGS) -k check || rc=1; \
	$(MKDIR_P) _build; \
	for c in check-man check-format; do \
	  if $(MAKE) $(AM_MAKEFLAGS) $$c > _build/$$c.log 2>&1; \
	  then r=PASS; else r=FAIL; rc=1; fi; cat _build/$$c.log; \
	  echo ":test-result: $$r" > _build/$$c.trs; \
	done; \
	$(MAKE) $(AM_MAKEFLAGS) lint || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-dax-auto || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-topology-auto || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-packaging-auto || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-arm64-auto || rc=1; \
	case '$(MK_CHECK_LANES)' in \
	    0|no) $(MAKE) $(AM_MAKEFLAGS) check-hardening-skip || rc=1 ;; \
	    *) $(MAKE) $(AM_MAKEFLAGS) check-hardening || rc=1 ;; \
	esac; \
	if [ $$rc != 0 ] && [ -f test-suite.log ]; then cat test-suite.log; fi; \
	$(SHELL) $(top_srcdir)/test/summary.sh $(top_builddir) || rc=1; \
	exit $$rc
.PHONY: check-all
include test/unit/unit.mk
include test/kinds/kinds.mk
include test/api/api.mk
include test/compat/compat.mk
include test/abi/abi.mk
include test/dax/dax.mk
include test/topology/topology.mk
include test/bench/bench.mk
include test/preload/preload.mk
include test/kinds/numa.mk
include test/env/env.mk
include test/hardening/hardening.mk
include test/packaging/packaging.mk
include test/arm64/arm64.mk
