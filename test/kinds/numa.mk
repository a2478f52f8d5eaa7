# SPDX-License-Identifier: BSD-2-Clause
# numa.mk: tests of the NUMA-bound kinds (issue 4): node discovery and
# parsers (white box), page placement, hbwmalloc(3), a fuzz run of the
# parsers, and the KMEM DAX lane in the emulated VM (make check-dax-kmem,
# not part of make check).
#   numa_unit_test          parsers, node choice on made-up topologies
#   nodelist_fuzz           300000 generated inputs through every parser,
#                           node lists compared with libnuma's
#   placement.sh            placement_test as discovered, per node as HBW
#                           and KMEM node (overrides), and with "all"
#   hbwmalloc_test          hbw_* semantics, the machine as it is
#   hbwmalloc-hbw-nodes.sh  the same with MEMKIND_HBW_NODES=all
#   kind-api-overrides.sh   test/api/kind_api_test over the HBW, DAX_KMEM
#                           and attribute kinds, every node playing them
# placement_test and hbwmalloc_test are linked -no-install: real binaries
# that test/kinds/run-dax-kmem-vm.sh can copy into the VM.
if HAVE_GTEST
MK_NUMA_GTESTS = \
	test/kinds/numa_unit_test \
	test/kinds/placement_test \
	test/kinds/hbwmalloc_test
check_PROGRAMS += $(MK_NUMA_GTESTS) test/kinds/nodelist_fuzz
TESTS += \
	test/kinds/numa_unit_test \
	test/kinds/nodelist_fuzz \
	test/kinds/placement.sh \
	test/kinds/hbwmalloc_test \
	test/kinds/hbwmalloc-hbw-nodes.sh \
	test/kinds/kind-api-overrides.sh
EXTRA_DIST += test/kinds/numa.mk test/kinds/placement.sh \
	test/kinds/hbwmalloc-hbw-nodes.sh test/kinds/run-dax-kmem-vm.sh \
	test/kinds/dax-kmem-vm-inner.sh test/kinds/kind-api-overrides.sh

test_kinds_numa_unit_test_SOURCES = test/kinds/numa_unit_test.cpp
test_kinds_numa_unit_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_numa_unit_test_LDADD = libtest_main.la libmemkind_core.la \
	$(JEMK_LIB) $(GTEST_LIBS) -lnuma -lpthread
test_kinds_numa_unit_test_LDFLAGS = $(AM_LDFLAGS) $(MK_QUIET_LIBNUMA)

test_kinds_nodelist_fuzz_SOURCES = test/kinds/nodelist_fuzz.c \
	src/autohbw/autohbw_env.c
test_kinds_nodelist_fuzz_LDADD = libmemkind_core.la $(JEMK_LIB) -lnuma \
	-lpthread
# libnuma's parser warns through numa_warn(), which libnuma lets programs
# replace; the replacements must be in the dynamic symbol table.
MK_QUIET_LIBNUMA = -Wl,--export-dynamic-symbol=numa_warn \
	-Wl,--export-dynamic-symbol=numa_error
test_kinds_nodelist_fuzz_LDFLAGS = $(AM_LDFLAGS) $(MK_QUIET_LIBNUMA)

test_kinds_placement_test_SOURCES = test/kinds/placement_test.cpp
test_kinds_placement_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_placement_test_LDADD = $(MK_GTEST_API_LIBS) -lnuma
test_kinds_placement_test_LDFLAGS = $(AM_LDFLAGS) -no-install

test_kinds_hbwmalloc_test_SOURCES = test/kinds/hbwmalloc_test.cpp
test_kinds_hbwmalloc_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_kinds_hbwmalloc_test_LDADD = $(MK_GTEST_API_LIBS)
test_kinds_hbwmalloc_test_LDFLAGS = $(AM_LDFLAGS) -no-install
endif

# The KMEM DAX lane: boots the emulated-NVDIMM VM (DAX_VM, default the
# in-tree runner test/dax/vm/mk-dax-vm) with a memory-only KMEM DAX node 1
# and runs the placement and discovery tests there.
DAX_VM = $(abs_top_srcdir)/test/dax/vm/mk-dax-vm
MK_DAX_KMEM_VM_BINS = test/env/env_probe $(bin_PROGRAMS) libmemkind.la
if HAVE_GTEST
MK_DAX_KMEM_VM_BINS += test/kinds/placement_test test/kinds/hbwmalloc_test
endif
check-dax-kmem: $(MK_DAX_KMEM_VM_BINS)
	@top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	  DAX_VM='$(DAX_VM)' \
	  $(SHELL) $(top_srcdir)/test/kinds/run-dax-kmem-vm.sh
.PHONY: check-dax-kmem
