# SPDX-License-Identifier: BSD-2-Clause
# env.mk: environment scenarios (CONVENTIONS.md 10): one .sh per scenario,
# each running a small helper in fresh processes with the variables under
# test (helpers in env-lib.sh).  Helpers are linked -no-install (real
# binaries: LD_PRELOAD and the dax-vm see them as they are).
#   hbw-nodes-override.sh   MEMKIND_HBW_NODES / MEMKIND_DAX_KMEM_NODES per
#                           node and spelling
#   nodes-malformed.sh      malformed node lists and thresholds: -12, one
#                           warning line each, no crash
#   memattrs.sh             HBW by bandwidth and the *_LOCAL kinds on hwloc
#                           XML topologies (HWLOC_XMLFILE)
#   tools.sh                memkind-hbw-nodes, memkind-auto-dax-kmem-nodes
#   hugetlb-pool.sh         huge page kinds' check and capacity against the
#                           2 MiB pool (root: resizes it under the test lock)
#   gbtlb-hbw.sh            test/kinds/gbtlb_test's HBW GBTLB kinds with
#                           MEMKIND_HBW_NODES naming a node
#   create-kind.sh          memkind_create_kind() over every memtype, policy
#                           and flags value as 1.14 answers, with and
#                           without HBW nodes and huge pages
#   autohbw-routing.sh      libautohbw.so: the malloc family, routing
#   autohbw-config.sh       libautohbw.so: AUTO_HBW_* values, logging
#   autohbw-programs.sh     libautohbw.so under real programs
#   autohbw-debian-lib.sh   libautohbw.so over Debian's 1.14 libmemkind
#                           (downloaded, never installed); its SONAME
#   autohbw_unit_test       the AUTO_HBW_* parsers (gtest)
#   autohbw_blocks_test     libautohbw's own block set (gtest)
#   jemk-conf.sh            memkind_detect_kind() under hostile
#                           JEMK_MALLOC_CONF values (options forced, one
#                           warning each)
#   addr-bits.sh            the address map for a wider address space
#                           (MEMKIND_TEST_ADDR_BITS, instrumented builds)
MK_ENV_SCENARIOS = \
	test/env/addr-bits.sh \
	test/env/jemk-conf.sh \
	test/env/hbw-nodes-override.sh \
	test/env/nodes-malformed.sh \
	test/env/memattrs.sh \
	test/env/tools.sh \
	test/env/hugetlb-pool.sh \
	test/env/create-kind.sh \
	test/env/gbtlb-hbw.sh \
	test/env/autohbw-routing.sh \
	test/env/autohbw-config.sh \
	test/env/autohbw-programs.sh \
	test/env/autohbw-debian-lib.sh
TESTS += $(MK_ENV_SCENARIOS)
EXTRA_DIST += $(MK_ENV_SCENARIOS) test/env/env.mk test/env/env-lib.sh \
	test/env/autohbw-lib.sh

check_PROGRAMS += test/env/env_probe test/env/autohbw_app \
	test/env/create_kind_probe test/env/jemk_conf_probe

test_env_jemk_conf_probe_SOURCES = test/env/jemk_conf_probe.c
test_env_jemk_conf_probe_CPPFLAGS = -I$(top_srcdir)/include -D_GNU_SOURCE
test_env_jemk_conf_probe_LDADD = libmemkind.la
test_env_jemk_conf_probe_LDFLAGS = $(AM_LDFLAGS) -no-install

test_env_env_probe_SOURCES = test/env/env_probe.c
test_env_env_probe_CPPFLAGS = -I$(top_srcdir)/include -D_GNU_SOURCE
test_env_env_probe_LDADD = libmemkind.la -lnuma
test_env_env_probe_LDFLAGS = $(AM_LDFLAGS) -no-install

test_env_create_kind_probe_SOURCES = test/env/create_kind_probe.c
test_env_create_kind_probe_CPPFLAGS = -I$(top_srcdir)/include -D_GNU_SOURCE
test_env_create_kind_probe_LDADD = libmemkind.la
test_env_create_kind_probe_LDFLAGS = $(AM_LDFLAGS) -no-install

# autohbw_plain_app links only the C library (autohbw-debian-lib.sh).
check_PROGRAMS += test/env/autohbw_plain_app
test_env_autohbw_plain_app_SOURCES = test/env/autohbw_plain_app.c
test_env_autohbw_plain_app_CFLAGS = $(AM_CFLAGS) -fno-builtin
test_env_autohbw_plain_app_LDADD = -lpthread
test_env_autohbw_plain_app_LDFLAGS = $(AM_LDFLAGS) -no-install

test_env_autohbw_app_SOURCES = test/env/autohbw_app.c
test_env_autohbw_app_CPPFLAGS = -I$(top_srcdir)/include -D_GNU_SOURCE
test_env_autohbw_app_LDADD = libmemkind.la -lpthread -ldl
test_env_autohbw_app_LDFLAGS = $(AM_LDFLAGS) -no-install

if HAVE_HWLOC
check_PROGRAMS += test/env/mk_topology_xml
test_env_mk_topology_xml_SOURCES = test/env/mk_topology_xml.c
test_env_mk_topology_xml_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
test_env_mk_topology_xml_LDADD = $(HWLOC_LIBS)

# Unusable libhwloc.so.15 stand-ins (test/env/fake_hwloc.c), one per
# directory, for memattrs.sh: libhwloc is dlopen()ed (src/hmat.c).
MK_FAKE_HWLOC = test/env/fakehwloc/empty/libhwloc.so.15 \
	test/env/fakehwloc/old/libhwloc.so.15 \
	test/env/fakehwloc/unresolved/libhwloc.so.15
check_DATA = $(MK_FAKE_HWLOC)
CLEANFILES += $(MK_FAKE_HWLOC)
MK_FAKE_HWLOC_CC = $(MKDIR_P) $(@D) && $(CC) -shared -fPIC -o $@
test/env/fakehwloc/empty/libhwloc.so.15: $(top_srcdir)/test/env/fake_hwloc.c
	$(AM_V_CC)$(MK_FAKE_HWLOC_CC) -DMK_FAKE_EMPTY $(top_srcdir)/test/env/fake_hwloc.c
test/env/fakehwloc/old/libhwloc.so.15: $(top_srcdir)/test/env/fake_hwloc.c
	$(AM_V_CC)$(MK_FAKE_HWLOC_CC) -DMK_FAKE_OLD $(top_srcdir)/test/env/fake_hwloc.c
test/env/fakehwloc/unresolved/libhwloc.so.15: $(top_srcdir)/test/env/fake_hwloc.c
	$(AM_V_CC)$(MK_FAKE_HWLOC_CC) -DMK_FAKE_UNRESOLVED $(top_srcdir)/test/env/fake_hwloc.c
endif
EXTRA_DIST += test/env/fake_hwloc.c

if HAVE_GTEST
check_PROGRAMS += test/env/autohbw_unit_test
TESTS += test/env/autohbw_unit_test
test_env_autohbw_unit_test_SOURCES = test/env/autohbw_unit_test.cpp \
	src/autohbw/autohbw_env.c
test_env_autohbw_unit_test_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/autohbw
test_env_autohbw_unit_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_env_autohbw_unit_test_LDADD = libtest_main.la libmemkind.la \
	$(GTEST_LIBS) -lpthread

# The block set of libautohbw over a foreign libmemkind (issue 14).
check_PROGRAMS += test/env/autohbw_blocks_test
TESTS += test/env/autohbw_blocks_test
test_env_autohbw_blocks_test_SOURCES = test/env/autohbw_blocks_test.cpp \
	src/autohbw/autohbw_blocks.c
test_env_autohbw_blocks_test_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/src/autohbw
test_env_autohbw_blocks_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_env_autohbw_blocks_test_LDADD = libtest_main.la libmemkind.la \
	$(GTEST_LIBS) -lpthread
endif
