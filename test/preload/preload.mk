# SPDX-License-Identifier: BSD-2-Clause
# preload.mk: tests of libmemtier.so (src/memtier_preload/, DESIGN.md 6).
#
#   ctl_test            googletest: the MEMKIND_MEM_TIERS parser, called
#                       directly (no preload)
#   api.sh              every interposed function, glibc's expectations
#   exit.sh             the heap at exit, before start-up, after teardown
#   fork.sh threads.sh  fork(), threads
#   ratio.sh            placement by STATIC_RATIO and DYNAMIC_THRESHOLD
#   config.sh           bad values: one message, the C library's malloc
#   hostile-conf.sh     free() under a hostile JEMK_MALLOC_CONF (issue 15)
#   launcher.sh         the memtier(1) script
#   launcher-dax-nodes.sh  memtier(1) and MEMKIND_DAX_KMEM_NODES
#   real-*.sh           python3, sqlite3, sort, gzip, git and perl: plain
#                       run and DRAM, FS_DAX, DRAM+FS_DAX tiers compared
#
# The C programs are plain C (googletest would be one more malloc user) and
# real binaries (-no-install), so that LD_PRELOAD sees them as they are.
# -fno-builtin keeps the compiler from folding the malloc calls under test.
# Under sanitizers the preload drivers skip (the sanitizer runtime owns
# malloc); the parser test still runs.
#
# make fuzz            libFuzzer on the parser (clang), FUZZ_SECONDS long,
#                      seeded from test/fuzz/corpus-memtier/
# make bench-preload   test/bench/preload_bench.sh (not part of make check)

if HAVE_GTEST
check_PROGRAMS += test/preload/ctl_test
TESTS += test/preload/ctl_test
test_preload_ctl_test_SOURCES = test/preload/ctl_test.cpp \
	src/memtier_preload/ctl.c src/memtier_preload/ctl.h
test_preload_ctl_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir) \
	-I$(top_srcdir)/src/memtier_preload
test_preload_ctl_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_preload_ctl_test_LDADD = $(MK_GTEST_API_LIBS)
endif

MK_PRELOAD_BINS = \
	test/preload/mt_api \
	test/preload/mt_exit \
	test/preload/mt_fork \
	test/preload/mt_ratio \
	test/preload/mt_threads
check_PROGRAMS += $(MK_PRELOAD_BINS)

MK_PRELOAD_INCS = -I$(top_srcdir)/include -D_GNU_SOURCE
MK_PRELOAD_COPTS = $(AM_CFLAGS) -fno-builtin
MK_PRELOAD_LIBS = libmemkind.la -lpthread -ldl
MK_PRELOAD_LDOPTS = $(AM_LDFLAGS) -no-install

test_preload_mt_api_SOURCES = test/preload/mt_api.c test/preload/mt_check.h
test_preload_mt_api_CPPFLAGS = $(MK_PRELOAD_INCS)
test_preload_mt_api_CFLAGS = $(MK_PRELOAD_COPTS)
test_preload_mt_api_LDADD = $(MK_PRELOAD_LIBS)
test_preload_mt_api_LDFLAGS = $(MK_PRELOAD_LDOPTS)

test_preload_mt_exit_SOURCES = test/preload/mt_exit.c test/preload/mt_check.h
test_preload_mt_exit_CPPFLAGS = $(MK_PRELOAD_INCS)
test_preload_mt_exit_CFLAGS = $(MK_PRELOAD_COPTS)
test_preload_mt_exit_LDADD = $(MK_PRELOAD_LIBS)
test_preload_mt_exit_LDFLAGS = $(MK_PRELOAD_LDOPTS)

test_preload_mt_fork_SOURCES = test/preload/mt_fork.c test/preload/mt_check.h
test_preload_mt_fork_CPPFLAGS = $(MK_PRELOAD_INCS)
test_preload_mt_fork_CFLAGS = $(MK_PRELOAD_COPTS)
test_preload_mt_fork_LDADD = $(MK_PRELOAD_LIBS)
test_preload_mt_fork_LDFLAGS = $(MK_PRELOAD_LDOPTS)

test_preload_mt_ratio_SOURCES = test/preload/mt_ratio.c test/preload/mt_check.h
test_preload_mt_ratio_CPPFLAGS = $(MK_PRELOAD_INCS)
test_preload_mt_ratio_CFLAGS = $(MK_PRELOAD_COPTS)
test_preload_mt_ratio_LDADD = $(MK_PRELOAD_LIBS)
test_preload_mt_ratio_LDFLAGS = $(MK_PRELOAD_LDOPTS)

test_preload_mt_threads_SOURCES = test/preload/mt_threads.c \
	test/preload/mt_check.h
test_preload_mt_threads_CPPFLAGS = $(MK_PRELOAD_INCS)
test_preload_mt_threads_CFLAGS = $(MK_PRELOAD_COPTS)
test_preload_mt_threads_LDADD = $(MK_PRELOAD_LIBS)
test_preload_mt_threads_LDFLAGS = $(MK_PRELOAD_LDOPTS)

# libmt_early.so, preloaded after libmemtier by exit.sh.  A check library
# is a static convenience library unless -rpath asks for a shared one.
check_LTLIBRARIES += test/preload/libmt_early.la
test_preload_libmt_early_la_SOURCES = test/preload/mt_early.c \
	test/preload/mt_check.h
test_preload_libmt_early_la_CPPFLAGS = $(MK_PRELOAD_INCS)
test_preload_libmt_early_la_CFLAGS = $(MK_PRELOAD_COPTS) -fvisibility=default
test_preload_libmt_early_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version \
	-shared -rpath $(abs_builddir)/test/preload

MK_PRELOAD_TESTS = \
	test/preload/api.sh \
	test/preload/exit.sh \
	test/preload/fork.sh \
	test/preload/threads.sh \
	test/preload/ratio.sh \
	test/preload/config.sh \
	test/preload/hostile-conf.sh \
	test/preload/launcher.sh \
	test/preload/launcher-dax-nodes.sh \
	test/preload/real-python3.sh \
	test/preload/real-sqlite3.sh \
	test/preload/real-sort.sh \
	test/preload/real-gzip.sh \
	test/preload/real-git.sh \
	test/preload/real-perl.sh
TESTS += $(MK_PRELOAD_TESTS)
EXTRA_DIST += $(MK_PRELOAD_TESTS) test/preload/preload-lib.sh \
	test/preload/workloads.sh \
	test/preload/preload.mk
# The drivers exit 77 (skip) when the preload cannot work.
if MK_SANITIZED
AM_TESTS_ENVIRONMENT += MK_SANITIZED=1; export MK_SANITIZED;
endif

# ----------------------------------------------------------------- fuzz

FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
MK_FUZZ_CTL = test/fuzz/fuzz_memtier_ctl
EXTRA_DIST += test/fuzz/fuzz_memtier_ctl.c test/fuzz/corpus-memtier
CLEANFILES += $(MK_FUZZ_CTL)

$(MK_FUZZ_CTL): $(srcdir)/test/fuzz/fuzz_memtier_ctl.c \
		$(srcdir)/src/memtier_preload/ctl.c \
		$(srcdir)/src/memtier_preload/ctl.h config.h
	@$(MKDIR_P) test/fuzz
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -I$(top_builddir) \
	    -I$(top_srcdir)/include -I$(top_srcdir)/src/memtier_preload \
	    -I$(top_srcdir)/test/fuzz \
	    -D_GNU_SOURCE $(srcdir)/test/fuzz/fuzz_memtier_ctl.c \
	    $(srcdir)/src/memtier_preload/ctl.c -o $@

# New inputs go to a scratch corpus in the build tree; the checked-in seed
# corpus is only read.
fuzz: $(MK_FUZZ_CTL)
	@$(MKDIR_P) test/fuzz/corpus-run
	./$(MK_FUZZ_CTL) -max_total_time=$(FUZZ_SECONDS) \
	    test/fuzz/corpus-run $(srcdir)/test/fuzz/corpus-memtier

clean-local: clean-fuzz-corpus
clean-fuzz-corpus:
	rm -rf test/fuzz/corpus-run

# ------------------------------------------------------------ benchmark

bench-preload: all
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	  $(SHELL) $(top_srcdir)/test/bench/preload_bench.sh

EXTRA_DIST += test/bench/preload_bench.sh
.PHONY: fuzz clean-fuzz-corpus bench-preload
