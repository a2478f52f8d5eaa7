# SPDX-License-Identifier: BSD-2-Clause
# White-box unit tests: they link the instrumented convenience library
# (libmemkind_core_fi.la, src/src.mk), so hidden mk_* functions (fault
# injection, env parser, address map) are reachable and the test-only
# MEMKIND_TEST_ADDR_BITS is honoured (test/env/addr-bits.sh).
if HAVE_GTEST
MK_UNIT_TESTS = test/unit/unit_test
check_PROGRAMS += $(MK_UNIT_TESTS)
TESTS += $(MK_UNIT_TESTS)
test_unit_unit_test_SOURCES = test/unit/unit_test.cpp \
	test/common/numa_kind.hpp
test_unit_unit_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir) \
	-DMK_FAULT_INJECTION=1
test_unit_unit_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_unit_unit_test_LDADD = libmemkind_core_fi.la $(JEMK_LIB) libtest_main.la \
	$(GTEST_LIBS) -lnuma -lpthread
endif

# The lock-rank checker, tested in every configuration: the binary builds
# its own copy of src/lock.c with MK_LOCK_CHECK=1 (and lock_rank_release.c
# the release wrappers beside it).  libmemkind.la is there for the shared
# main's capability line only: it exports no mk_* symbol to collide with.
if HAVE_GTEST
check_PROGRAMS += test/unit/lock_rank_test
TESTS += test/unit/lock_rank_test
test_unit_lock_rank_test_SOURCES = test/unit/lock_rank_test.cpp \
	test/unit/lock_rank_release.c test/unit/lock_rank_release.h src/lock.c
test_unit_lock_rank_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir) \
	-I$(top_srcdir)/test -DMK_LOCK_CHECK=1
test_unit_lock_rank_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_unit_lock_rank_test_LDADD = libtest_main.la libmemkind.la $(GTEST_LIBS) \
	-lpthread
endif
