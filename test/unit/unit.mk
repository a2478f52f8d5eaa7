# SPDX-License-Identifier: BSD-2-Clause
# White-box unit tests: they link the convenience library, so hidden mk_*
# functions (fault injection, env parser, address map) are reachable.
if HAVE_GTEST
MK_UNIT_TESTS = test/unit/unit_test
check_PROGRAMS += $(MK_UNIT_TESTS)
TESTS += $(MK_UNIT_TESTS)
test_unit_unit_test_SOURCES = test/unit/unit_test.cpp
test_unit_unit_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)
test_unit_unit_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_unit_unit_test_LDADD = libmemkind_core.la $(JEMK_LIB) libtest_main.la \
	$(GTEST_LIBS) -lnuma -lpthread
endif
