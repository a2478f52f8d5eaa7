# SPDX-License-Identifier: BSD-2-Clause
# Kind-specific tests (hardware gating inside the tests: they skip with a
# printed reason when the machine lacks what they need).
if HAVE_GTEST
MK_KIND_TESTS = test/kinds/hugetlb_test test/kinds/pmem_test \
	test/kinds/gbtlb_test test/kinds/fixed_test \
	test/kinds/pmem_max_size_test test/kinds/pmem_fork_test \
	test/kinds/lifecycle_test
check_PROGRAMS += $(MK_KIND_TESTS)
TESTS += $(MK_KIND_TESTS)
# The other MEMKIND_PMEM_FORK modes (pmem_fork_test alone runs "copy").
TESTS += test/kinds/pmem-fork-modes.sh
EXTRA_DIST += test/kinds/pmem-fork-modes.sh
# PMEM kinds at the scale of a 64 TiB file system (issue 16; root only).
check_PROGRAMS += test/kinds/pmem_scale
test_kinds_pmem_scale_SOURCES = test/kinds/pmem_scale.c
test_kinds_pmem_scale_LDADD = libmemkind.la
TESTS += test/kinds/pmem-scale.sh
EXTRA_DIST += test/kinds/pmem-scale.sh
test_kinds_pmem_fork_test_SOURCES = test/kinds/pmem_fork_test.cpp
test_kinds_pmem_fork_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_pmem_fork_test_LDADD = $(MK_GTEST_API_LIBS)
test_kinds_lifecycle_test_SOURCES = test/kinds/lifecycle_test.cpp
test_kinds_lifecycle_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_lifecycle_test_LDADD = $(MK_GTEST_API_LIBS)
test_kinds_hugetlb_test_SOURCES = test/kinds/hugetlb_test.cpp
test_kinds_hugetlb_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_hugetlb_test_LDADD = $(MK_GTEST_API_LIBS)
test_kinds_gbtlb_test_SOURCES = test/kinds/gbtlb_test.cpp
test_kinds_gbtlb_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_gbtlb_test_LDADD = $(MK_GTEST_API_LIBS)
test_kinds_fixed_test_SOURCES = test/kinds/fixed_test.cpp
test_kinds_fixed_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_fixed_test_LDADD = $(MK_GTEST_API_LIBS)
test_kinds_pmem_max_size_test_SOURCES = test/kinds/pmem_max_size_test.cpp
test_kinds_pmem_max_size_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_pmem_max_size_test_LDADD = $(MK_GTEST_API_LIBS)
test_kinds_pmem_test_SOURCES = test/kinds/pmem_test.cpp
test_kinds_pmem_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_pmem_test_LDADD = $(MK_GTEST_API_LIBS)
endif
