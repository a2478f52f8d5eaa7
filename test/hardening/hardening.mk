# SPDX-License-Identifier: BSD-2-Clause
# hardening.mk: issue 8 - fault injection, sanitizer and checker lanes,
# fuzzing, stress and the lint rules.  Included at the end of test/test.mk.
#
# In make check:
#   test/hardening/fault_test     every failure point of kind creation, arena
#                                 growth and memtier construction (white box)
#   test/hardening/purger_test    the purger against thread exit and
#                                 kind destruction (white box)
#   test/hardening/security_test  backing files 0600 and nameless, symlinks,
#                                 overlong paths (white box)
#   test/hardening/stress_test    threads x kinds x create/destroy x fork,
#                                 MK_STRESS_SECONDS (3) long
#   test/hardening/preload-faults.sh  every failure point of libmemtier's
#                                 start-up (MEMKIND_TEST_FAULT_AT, over the
#                                 instrumented twin of libmemkind.so.0)
#   test/hardening/release-build.sh  the libraries that are installed carry
#                                 no failure point, the twin all of them
#   test/hardening/lsan_test      LeakSanitizer sees through kind memory
#                                 (runs in sanitizer builds, skips otherwise)
# Targets (each lane builds out of tree in _build/lane-NAME, see lane.sh):
#   make lint            grep rules of CONVENTIONS.md 11 (lint.sh)
#   make check-asan      ASan + UBSan (+ LeakSanitizer), jemalloc junk
#                        filling: the whole suite
#   make check-debug     --enable-debug (assertions, lock ranks checked):
#                        the whole suite
#   make check-tsan      ThreadSanitizer (jemalloc instrumented too): the
#                        multithreaded tests
#   make check-valgrind  memcheck on the API tests (main build)
#   make check-stress    stress_test for MK_STRESS_SECONDS (60)
#   make fuzz-all        the libFuzzer targets of test/fuzz (clang)
#   make check-fuzz      fuzz-all, then each target MK_FUZZ_SECONDS (60),
#                        MK_FUZZ_JOBS (the CPUs) at a time
#   make check-hardening lint + every lane above, bounded for CI (check-all
#                        runs it unless MK_CHECK_LANES=0)

if HAVE_GTEST
# The white-box tests arm failure points: they link the instrumented twin
# of the library (libmemkind_core_fi.la, src/src.mk) and see its
# declarations (MK_FAULT_INJECTION).
MK_FI_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir) -DMK_FAULT_INJECTION=1
MK_HARDENING_WB_LIBS = libmemkind_core_fi.la $(JEMK_LIB) libtest_main.la \
	$(GTEST_LIBS) -lnuma -lpthread
MK_HARDENING_TESTS = \
	test/hardening/fault_test \
	test/hardening/purger_test \
	test/hardening/free_errno_test \
	test/hardening/security_test \
	test/hardening/stress_test
check_PROGRAMS += $(MK_HARDENING_TESTS)
TESTS += $(MK_HARDENING_TESTS)

test_hardening_fault_test_SOURCES = test/hardening/fault_test.cpp \
	test/common/test_util.hpp test/common/capabilities.hpp \
	test/common/numa_kind.hpp
test_hardening_fault_test_CPPFLAGS = $(MK_FI_CPPFLAGS)
test_hardening_fault_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_hardening_fault_test_LDADD = $(MK_HARDENING_WB_LIBS)

# free_errno_test: memkind_free/memtier_kind_free keep errno with each
# failure point of a free failing (issue 14).
test_hardening_free_errno_test_SOURCES = test/hardening/free_errno_test.cpp \
	test/common/test_util.hpp test/common/capabilities.hpp
test_hardening_free_errno_test_CPPFLAGS = $(MK_FI_CPPFLAGS)
test_hardening_free_errno_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_hardening_free_errno_test_LDADD = $(MK_HARDENING_WB_LIBS)

# purger_test: the purger holds no registry lock while it decays a kind
# (a thread exit timed against a 2 s decay); destroy against a pinned
# kind; destroy unpublishes before the destroy op (issue 15).
test_hardening_purger_test_SOURCES = test/hardening/purger_test.cpp \
	test/common/test_util.hpp
test_hardening_purger_test_CPPFLAGS = $(MK_FI_CPPFLAGS)
test_hardening_purger_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_hardening_purger_test_LDADD = $(MK_HARDENING_WB_LIBS)

test_hardening_security_test_SOURCES = test/hardening/security_test.cpp \
	test/common/test_util.hpp test/common/capabilities.hpp
test_hardening_security_test_CPPFLAGS = $(MK_FI_CPPFLAGS)
test_hardening_security_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_hardening_security_test_LDADD = $(MK_HARDENING_WB_LIBS)

test_hardening_stress_test_SOURCES = test/hardening/stress_test.cpp \
	test/common/test_util.hpp test/common/capabilities.hpp
test_hardening_stress_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_hardening_stress_test_LDADD = $(MK_GTEST_API_LIBS)
endif

# The libraries make install installs have no failure point and read no
# MEMKIND_TEST_* variable; the instrumented twin has all three hooks; and
# configure left LIBS empty (each target names what it links).
TESTS += test/hardening/release-build.sh
EXTRA_DIST += test/hardening/release-build.sh

# libmemtier's start-up under MEMKIND_TEST_FAULT_AT over the instrumented
# twin of libmemkind.so.0 (test/fault/libmemkind.la).
check_PROGRAMS += test/hardening/preload_fault_app
TESTS += test/hardening/preload-faults.sh
test_hardening_preload_fault_app_SOURCES = test/hardening/preload_fault_app.c
test_hardening_preload_fault_app_CFLAGS = $(AM_CFLAGS) -fno-builtin
test_hardening_preload_fault_app_LDFLAGS = $(AM_LDFLAGS) -no-install

check_PROGRAMS += test/hardening/lsan_test
TESTS += test/hardening/lsan_test
test_hardening_lsan_test_SOURCES = test/hardening/lsan_test.c
test_hardening_lsan_test_CPPFLAGS = -I$(top_srcdir)/include -D_GNU_SOURCE
test_hardening_lsan_test_LDADD = libmemkind.la
if MK_SANITIZED
test_hardening_lsan_test_CPPFLAGS += -DMK_TEST_SANITIZED=1
endif

EXTRA_DIST += src/lsan.h test/hardening/hardening.mk test/hardening/lane.sh \
	test/hardening/preload-faults.sh test/hardening/tsan.supp \
	test/hardening/lint.sh test/hardening/valgrind.sh test/fuzz/fuzz.sh \
	test/fuzz/fuzz_util.h test/fuzz/fuzz_env.c test/fuzz/fuzz_nodelist.c \
	test/fuzz/fuzz_pmem_config.c test/fuzz/fuzz_autohbw.c \
	test/fuzz/fuzz_error_message.c test/fuzz/corpus-error_message \
	test/fuzz/corpus-env test/fuzz/corpus-nodelist \
	test/fuzz/corpus-pmem_config test/fuzz/corpus-autohbw

# ------------------------------------------------------------------ lint

# Leaves _build/lint.log and .trs, so that check-all's summary counts it.
lint:
	@$(MKDIR_P) _build; \
	if $(SHELL) $(top_srcdir)/test/hardening/lint.sh $(top_srcdir) > _build/lint.log 2>&1; \
	then r=PASS; else r=FAIL; fi; cat _build/lint.log; \
	echo ":test-result: $$r" > _build/lint.trs; test $$r = PASS

# ----------------------------------------------------------------- lanes

MK_LANE = top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	MAKE='$(MAKE)' $(SHELL) $(abs_top_srcdir)/test/hardening/lane.sh

# Gtest names that run several threads (ThreadSanitizer's subjects).
MK_TSAN_FILTER = *EightThreads*:*CrossThreadFree*:Registry.ConcurrentCreateDestroy:MemtierThreads.*:DetectThreads.*:Magazine.*:Stress.*:PmemTest.IdleSweep*:PmemTest.OneThreadThenTwoThreads*
MK_TSAN_TESTS = test/hardening/stress_test test/api/kind_api_test \
	test/api/registry_test test/api/memtier_test test/api/detect_kind_test \
	test/unit/unit_test test/kinds/pmem_test

# LSan: leaks are errors (kind mappings are root regions, src/lsan.h).
# jemalloc fills freed and new blocks with junk (junk:true) so that ASan-
# blind use of kind memory after free shows.  Not --enable-debug-jemalloc:
# jemalloc 5.3.0's debug build asserts (ctl.c:1208, bstats->nonfull_slabs ==
# 0) when the statistics are read after an arena holding live small blocks
# was destroyed, which memkind_destroy_kind() may do (memkind(3)); its
# arena_reset does not clear that counter.
check-asan: all
	@$(MK_LANE) asan "--enable-werror --enable-sanitizers=address,undefined" "" \
	  JEMK_MALLOC_CONF=junk:true \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  LSAN_OPTIONS=report_objects=1 MK_STRESS_SECONDS=$${MK_STRESS_SECONDS:-3}

# The whole suite in the debug build (--enable-debug): assertions on, and
# every lock the library takes checked against the global lock order
# (memkind_lock.h), so an out-of-order pair aborts with both names.
# jemalloc keeps its release build (see --enable-debug-jemalloc, README).
check-debug: all
	@$(MK_LANE) debug "--enable-werror --enable-debug" "" \
	  MK_STRESS_SECONDS=$${MK_STRESS_SECONDS:-3}

# jemalloc is instrumented too (JEMK_EXTRA_CFLAGS), so that memory it hands
# from one thread to another is not taken for a race.
# ThreadSanitizer (gcc 12) cannot map its shadow memory on kernels with 32
# bits of mmap randomisation (vm.mmap_rnd_bits); with address-space
# randomisation off for the lane (setarch -R, where allowed) it runs on any.
check-tsan: all
	@norand=; if setarch "$$(uname -m)" -R true 2>/dev/null; then \
	  norand="setarch $$(uname -m) -R "; fi; \
	MK_LANE_MAKEVARS=JEMK_EXTRA_CFLAGS=-fsanitize=thread \
	  top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  MAKE="$${norand}$(MAKE)" \
	  $(SHELL) $(abs_top_srcdir)/test/hardening/lane.sh tsan \
	  "--enable-werror --enable-sanitizers=thread" \
	  "$(MK_TSAN_TESTS)" \
	  GTEST_FILTER='$(MK_TSAN_FILTER)' MK_STRESS_NO_FORK=1 \
	  MK_STRESS_SECONDS=$${MK_STRESS_SECONDS:-3} MK_STRESS_THREADS=4 \
	  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(abs_top_srcdir)/test/hardening/tsan.supp

# memcheck on the API tests, in the main build (no special build needed).
MK_VALGRIND_TESTS = test/api/negative_test test/api/detect_kind_test \
	test/api/kind_api_test test/api/registry_test test/api/decorator_test \
	test/api/memtier_test test/api/allocator_test
check-valgrind: $(MK_VALGRIND_TESTS)
	@top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  $(SHELL) $(top_srcdir)/test/hardening/valgrind.sh $(MK_VALGRIND_TESTS)

# Leaves _build/stress/stress_test.log and .trs (counted by check-all).
check-stress: test/hardening/stress_test
	@$(MKDIR_P) _build/stress; log=_build/stress/stress_test.log; \
	rm -f _build/stress/stress_test.trs; \
	MK_STRESS_SECONDS=$${MK_STRESS_SECONDS:-60} top_builddir='$(abs_top_builddir)' \
	  $(SHELL) $(top_srcdir)/test/run-test.sh test/hardening/stress_test \
	  > $$log 2>&1; r=$$?; \
	case $$r in 0) res=PASS ;; 77) res=SKIP ;; *) res=FAIL ;; esac; \
	echo ":test-result: $$res" > _build/stress/stress_test.trs; \
	if [ $$res = FAIL ]; then tail -n 40 $$log; else grep '^\[ stress' $$log; fi; \
	echo "check-stress: $$res"; test $$res != FAIL

# ------------------------------------------------------------------ fuzz

MK_FUZZ_ENV = top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	JEMK_INC='$(JEMK_INC)' JEMK_LIB='$(JEMK_LIB)' \
	MK_CORE_SOURCES='$(libmemkind_core_la_SOURCES)' \
	MK_JEMK_BASE_SOURCES='$(libmemkind_jemk_base_la_SOURCES)' \
	JEMK_SRC='$(JEMK_SRC)' \
	MK_FUZZ_LIBS='$(HWLOC_LIBS) $(DAXCTL_LIBS)'
fuzz-all: $(JEMK_LIB)
	@$(MK_FUZZ_ENV) $(SHELL) $(top_srcdir)/test/fuzz/fuzz.sh build
check-fuzz: $(JEMK_LIB)
	@$(MK_FUZZ_ENV) $(SHELL) $(top_srcdir)/test/fuzz/fuzz.sh run $${MK_FUZZ_SECONDS:-60}

# ------------------------------------------------------------ everything

# What check-all adds to make check: bounded lanes that together stay well
# inside CI's budget (README, "Hardening").  Each lane leaves .trs files
# under _build that the closing line counts; a lane that cannot run (tool
# missing, build failed) counts as a failure.
check-hardening:
	@rc=0; rm -rf _build/skipped; \
	$(MAKE) $(AM_MAKEFLAGS) lint || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-fuzz || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-valgrind || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-stress || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-asan || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-debug || rc=1; \
	$(MAKE) $(AM_MAKEFLAGS) check-tsan || rc=1; \
	exit $$rc

# check-all MK_CHECK_LANES=0: the lanes' earlier results are forgotten, so
# the closing line counts only what ran, plus one skip that says why.
check-hardening-skip:
	@rm -f _build/lane-*.trs _build/fuzz/*.trs _build/valgrind/*.trs \
	  _build/stress/*.trs; \
	for d in _build/lane-*/build; do \
	  [ -d "$$d" ] && find "$$d" -name '*.trs' -exec rm -f {} +; \
	done; \
	$(MKDIR_P) _build/skipped; \
	why="hardening lanes left out (MK_CHECK_LANES=0)"; \
	echo "check-hardening: SKIP: $$why"; echo "$$why" > _build/skipped/hardening.log; \
	echo ":test-result: SKIP" > _build/skipped/hardening.trs

clean-local: clean-hardening
clean-hardening:
	rm -rf _build/lane-asan _build/lane-debug _build/lane-tsan _build/lane-*.lock _build/fuzz \
	  _build/valgrind _build/stress _build/skipped

.PHONY: lint check-asan check-debug check-tsan check-valgrind check-stress fuzz-all \
	check-fuzz check-hardening check-hardening-skip clean-hardening
