# SPDX-License-Identifier: BSD-2-Clause
# src.mk: libmemkind.  The code is built once into the convenience library
# libmemkind_core.la, which both libmemkind.la and the white-box unit tests
# link (they can reach hidden mk_* functions); API tests link libmemkind.la.

noinst_LTLIBRARIES += libmemkind_core.la
libmemkind_core_la_SOURCES = \
	src/abi_layout.c \
	src/addrmap.c \
	src/alloc.c \
	src/arena.c \
	src/arena_set.h \
	src/env.c \
	src/fault.c \
	src/fork.c \
	src/fork.h \
	src/hbwmalloc.c \
	src/hmat.c \
	src/jemk_conf.c \
	src/jemk_conf.h \
	src/jemk_ctl.c \
	src/jemk_ctl.h \
	src/lock.c \
	src/log.c \
	src/lookup.h \
	src/lsan.h \
	src/memkind.c \
	src/memtier.c \
	src/memtier_counters.c \
	src/memtier_counters.h \
	src/nodelist.c \
	src/numa.c \
	src/os.c \
	src/os.h \
	src/registry.c \
	src/static_kinds.def \
	src/stats.c \
	src/lcache.c \
	src/tcache.c \
	src/tcache.h \
	src/kinds/capacity.c \
	src/kinds/dax_kmem.c \
	src/kinds/default.c \
	src/kinds/dynamic.c \
	src/kinds/fixed.c \
	src/kinds/hbw.c \
	src/kinds/hugetlb.c \
	src/kinds/interleave.c \
	src/kinds/pmem.c \
	src/kinds/pmem_devdax.c \
	src/kinds/pmem_fork.c \
	src/kinds/pmem_purger.c \
	src/kinds/pmem_range.c \
	src/kinds/regular.c
libmemkind_core_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src \
	$(HWLOC_CFLAGS) $(DAXCTL_CFLAGS)
# The jemalloc archive is not a libtool library, so libtool will not fold it
# into a convenience library: every final link names it itself.
# libdaxctl and libhwloc are not linked: src/kinds/dax_kmem.c and src/hmat.c
# dlopen() them when DAX_KMEM nodes or memory attributes are first needed
# (their dependencies cost every process start).
libmemkind_core_la_LIBADD = libmemkind_jemk_base.la -lpthread -ldl

# src/jemk_base.c reads jemalloc's internal structures, so it is compiled
# against jemalloc's internal headers (and only it: they define names that
# would clash with ours).  They are system headers to the compiler here:
# they are not written for our warning set, and this file must still build
# with -Werror.
noinst_LTLIBRARIES += libmemkind_jemk_base.la
libmemkind_jemk_base_la_SOURCES = src/jemk_base.c src/jemk_base.h
libmemkind_jemk_base_la_CPPFLAGS = -isystem $(JEMK_INC) \
	-isystem $(JEMK_SRC)/include \
	-D_GNU_SOURCE
# jemalloc's build (not its configure) generates private_namespace.h.
$(libmemkind_jemk_base_la_OBJECTS): $(JEMK_DIR)/.stamp-build

# Every object needs the generated jemalloc.h first (the demo and tests
# include only public headers).
$(libmemkind_core_la_OBJECTS): $(JEMK_DIR)/.stamp-configure

lib_LTLIBRARIES += libmemkind.la
libmemkind_la_SOURCES =
libmemkind_la_LIBADD = libmemkind_core.la $(JEMK_LIB)
EXTRA_libmemkind_la_DEPENDENCIES = $(JEMK_LIB) $(top_srcdir)/src/fork_page.ld
# libmemkind.so.0 (0:1:0 gives libmemkind.so.0.0.1, as 1.14).  nodelete:
# threads that used the library may outlive a dlclose().  --exclude-libs:
# nothing of the private jemalloc archive is exported even if a symbol of
# it had default visibility (it must name the archive that is linked:
# test/hardening/lint.sh checks).
# fork_page.ld: what fork() writes on one page (the script says why).
libmemkind_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:1:0 -Wl,-z,nodelete \
	-Wl,--exclude-libs,$(JEMK_LIB_NAME) \
	-Wl,-T,$(top_srcdir)/src/fork_page.ld
EXTRA_DIST += src/fork_page.ld

# The instrumented twin, built by make check only (check_LTLIBRARIES): the
# same sources with MK_FAULT_INJECTION, so every failure point exists
# (memkind_fault.h) and MEMKIND_TEST_FAULT_AT / MEMKIND_TEST_ADDR_BITS are
# read.  libmemkind_core_fi.la is linked by the white-box tests that arm
# failure points; test/fault/libmemkind.la is the same as a shared library
# with libmemkind's SONAME, which test/hardening/preload-faults.sh puts
# under the installed-style libmemtier.so with LD_LIBRARY_PATH.  The
# library that is installed (above) never has them.
check_LTLIBRARIES += libmemkind_core_fi.la test/fault/libmemkind.la
libmemkind_core_fi_la_SOURCES = $(libmemkind_core_la_SOURCES)
libmemkind_core_fi_la_CPPFLAGS = $(libmemkind_core_la_CPPFLAGS) \
	-DMK_FAULT_INJECTION=1
libmemkind_core_fi_la_LIBADD = $(libmemkind_core_la_LIBADD)
$(libmemkind_core_fi_la_OBJECTS): $(JEMK_DIR)/.stamp-configure
test_fault_libmemkind_la_SOURCES =
test_fault_libmemkind_la_LIBADD = libmemkind_core_fi.la $(JEMK_LIB)
EXTRA_test_fault_libmemkind_la_DEPENDENCIES = $(JEMK_LIB) \
	$(top_srcdir)/src/fork_page.ld
# -rpath: a check library is a convenience archive unless given one; the
# directory is never installed to.
test_fault_libmemkind_la_LDFLAGS = $(libmemkind_la_LDFLAGS) \
	-rpath $(abs_builddir)/test/fault

include_HEADERS += \
	include/memkind.h \
	include/memkind_deprecated.h \
	include/hbwmalloc.h \
	include/memkind_memtier.h \
	include/memkind_allocator.h \
	include/fixed_allocator.h \
	include/pmem_allocator.h \
	include/hbw_allocator.h

# memkind_jemk.h names the private jemalloc header, memkind_lock.h's
# wrappers exist only for the library's own locks, and memkind_addrmap.h is
# the hidden address map: built, never installed.
noinst_HEADERS = \
	include/memkind/internal/memkind_addrmap.h \
	include/memkind/internal/memkind_jemk.h \
	include/memkind/internal/memkind_lock.h
mkinternaldir = $(includedir)/memkind/internal
mkinternal_HEADERS = \
	include/memkind/internal/memkind_allocator_base.h \
	include/memkind/internal/memkind_arena.h \
	include/memkind/internal/memkind_capacity.h \
	include/memkind/internal/memkind_dax_kmem.h \
	include/memkind/internal/memkind_default.h \
	include/memkind/internal/memkind_dispatch.h \
	include/memkind/internal/memkind_env.h \
	include/memkind/internal/memkind_fault.h \
	include/memkind/internal/memkind_fixed.h \
	include/memkind/internal/memkind_hbw.h \
	include/memkind/internal/memkind_hmat.h \
	include/memkind/internal/memkind_hugetlb.h \
	include/memkind/internal/memkind_interleave.h \
	include/memkind/internal/memkind_log.h \
	include/memkind/internal/memkind_numa.h \
	include/memkind/internal/memkind_pmem.h \
	include/memkind/internal/memkind_private.h \
	include/memkind/internal/memkind_registry.h \
	include/memkind/internal/memkind_regular.h \
	include/memkind/internal/memkind_util.h

# The demo the README's first command builds and runs.
noinst_PROGRAMS += src/demo/memkind-demo
src_demo_memkind_demo_SOURCES = src/demo/demo.c
src_demo_memkind_demo_LDADD = libmemkind.la

demo: src/demo/memkind-demo
	./src/demo/memkind-demo
.PHONY: demo
EXTRA_DIST += src/README
