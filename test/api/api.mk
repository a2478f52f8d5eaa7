# SPDX-License-Identifier: BSD-2-Clause
# Black-box API tests of memkind.h (they link only libmemkind.la).  The
# programs join MK_API_TESTS, which test/test.mk puts in check_PROGRAMS and
# TESTS, so each binary is its own TESTS entry.
if HAVE_GTEST
MK_API_TESTS += \
	test/api/kind_api_test \
	test/api/negative_test \
	test/api/detect_kind_test \
	test/api/registry_test \
	test/api/decorator_test \
	test/api/memtier_decorator_test \
	test/api/parity_test

MK_API_TEST_HDRS = test/common/capabilities.hpp test/common/test_util.hpp

test_api_kind_api_test_SOURCES = test/api/kind_api_test.cpp $(MK_API_TEST_HDRS)
test_api_kind_api_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_kind_api_test_LDADD = $(MK_GTEST_API_LIBS)

# negative_test compares memkind_get_version() with the VERSION file.
test_api_negative_test_SOURCES = test/api/negative_test.cpp $(MK_API_TEST_HDRS)
test_api_negative_test_CPPFLAGS = $(AM_CPPFLAGS) \
	-DMK_TEST_VERSION_FILE='"$(abs_top_srcdir)/VERSION"'
test_api_negative_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_negative_test_LDADD = $(MK_GTEST_API_LIBS)

test_api_detect_kind_test_SOURCES = test/api/detect_kind_test.cpp $(MK_API_TEST_HDRS)
test_api_detect_kind_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_detect_kind_test_LDADD = $(MK_GTEST_API_LIBS)

test_api_registry_test_SOURCES = test/api/registry_test.cpp $(MK_API_TEST_HDRS)
test_api_registry_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_registry_test_LDADD = $(MK_GTEST_API_LIBS)

# decorator_test defines the memkind_*_pre/_post hooks; the executable must
# export them so that libmemkind's weak references resolve to them.
test_api_decorator_test_SOURCES = test/api/decorator_test.cpp $(MK_API_TEST_HDRS)
test_api_decorator_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_decorator_test_LDADD = $(MK_GTEST_API_LIBS)

# memtier_decorator_test: the same for the memtier_kind_* hooks of
# libmemtier(3).
test_api_memtier_decorator_test_SOURCES = test/api/memtier_decorator_test.cpp
test_api_memtier_decorator_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_memtier_decorator_test_LDADD = $(MK_GTEST_API_LIBS)

# parity_test: defrag moves, size-0 set-up, every stats_print option
# (issue 14).
test_api_parity_test_SOURCES = test/api/parity_test.cpp $(MK_API_TEST_HDRS)
test_api_parity_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_api_parity_test_LDADD = $(MK_GTEST_API_LIBS) -lpthread
endif
