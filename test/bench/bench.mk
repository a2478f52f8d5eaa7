# SPDX-License-Identifier: BSD-2-Clause
# bench.mk: the benchmark suite of issue 7, which is not part of make check.
#   make bench         builds the programs below, fetches Debian's memkind
#                      1.14 (cached in bench-out/debian), runs every
#                      benchmark into bench-out/ and prints the headline table
#   make bench-report  make bench, then bench-out/report.md and its PNG plots
#                      (gnuplot-nox; installed when missing and root)
#   make bench-peers   only the peer benchmark (bench-peers.sh, also a
#                      section of make bench): ours against glibc, jemalloc,
#                      mimalloc, tcmalloc and 1.14; bench-out/peers.md
# Make variables: BENCH_PMEM_DIR (directory of the PMEM kinds; default
# /dev/shm, else /tmp), BENCH_EXT4_DIR (an ext4 directory: the peer
# benchmark's PMEM kind there too), BENCH_ARGS (run-bench.sh or
# bench-peers.sh options, e.g. --quick, --rounds N).
# The programs are black-box: public headers only, the shared library
# linked normally, so LD_LIBRARY_PATH can swap in Debian's 1.14.

MK_BENCH_PROGS = \
	test/bench/pair_bench \
	test/bench/mixed_bench \
	test/bench/pmem_bench \
	test/bench/fork_bench \
	test/bench/kind_bench \
	test/bench/peer_bench
EXTRA_PROGRAMS = $(MK_BENCH_PROGS)
CLEANFILES += $(MK_BENCH_PROGS)

MK_BENCH_INCLUDES = -I$(top_srcdir)/include -D_GNU_SOURCE
MK_BENCH_COMMON = test/bench/bench_common.c test/bench/bench_common.h
MK_BENCH_LINK = libmemkind.la -lpthread -ldl -lm
MK_BENCH_LDOPTS = $(AM_LDFLAGS) -no-install

test_bench_pair_bench_SOURCES = test/bench/pair_bench.c $(MK_BENCH_COMMON)
test_bench_pair_bench_CPPFLAGS = $(MK_BENCH_INCLUDES)
test_bench_pair_bench_LDADD = $(MK_BENCH_LINK)
test_bench_pair_bench_LDFLAGS = $(MK_BENCH_LDOPTS)

test_bench_mixed_bench_SOURCES = test/bench/mixed_bench.c $(MK_BENCH_COMMON)
test_bench_mixed_bench_CPPFLAGS = $(MK_BENCH_INCLUDES)
test_bench_mixed_bench_LDADD = $(MK_BENCH_LINK)
test_bench_mixed_bench_LDFLAGS = $(MK_BENCH_LDOPTS)

test_bench_fork_bench_SOURCES = test/bench/fork_bench.c $(MK_BENCH_COMMON)
test_bench_fork_bench_CPPFLAGS = $(MK_BENCH_INCLUDES)
test_bench_fork_bench_LDADD = $(MK_BENCH_LINK)
test_bench_fork_bench_LDFLAGS = $(MK_BENCH_LDOPTS)
EXTRA_DIST += test/bench/bench-fork.sh

test_bench_kind_bench_SOURCES = test/bench/kind_bench.c
test_bench_kind_bench_CPPFLAGS = $(MK_BENCH_INCLUDES)
test_bench_kind_bench_LDADD = $(MK_BENCH_LINK)
test_bench_kind_bench_LDFLAGS = $(MK_BENCH_LDOPTS)
EXTRA_DIST += test/bench/bench-kinds.sh

test_bench_pmem_bench_SOURCES = test/bench/pmem_bench.c $(MK_BENCH_COMMON)
test_bench_pmem_bench_CPPFLAGS = $(MK_BENCH_INCLUDES)
test_bench_pmem_bench_LDADD = $(MK_BENCH_LINK)
test_bench_pmem_bench_LDFLAGS = $(MK_BENCH_LDOPTS)

test_bench_peer_bench_SOURCES = test/bench/peer_bench.c $(MK_BENCH_COMMON)
test_bench_peer_bench_CPPFLAGS = $(MK_BENCH_INCLUDES)
test_bench_peer_bench_LDADD = $(MK_BENCH_LINK)
test_bench_peer_bench_LDFLAGS = $(MK_BENCH_LDOPTS)

MK_BENCH_ENV = top_builddir='$(abs_top_builddir)' \
	top_srcdir='$(abs_top_srcdir)' \
	BENCH_OUT='$(abs_top_builddir)/bench-out' \
	BENCH_PMEM_DIR='$(BENCH_PMEM_DIR)' \
	BENCH_EXT4_DIR='$(BENCH_EXT4_DIR)'

bench: $(MK_BENCH_PROGS) $(lib_LTLIBRARIES)
	@$(MK_BENCH_ENV) bash $(top_srcdir)/test/bench/run-bench.sh $(BENCH_ARGS)

bench-report: bench
	@$(MK_BENCH_ENV) bash $(top_srcdir)/test/bench/report.sh

bench-peers: test/bench/peer_bench $(lib_LTLIBRARIES)
	@$(MK_BENCH_ENV) bash $(top_srcdir)/test/bench/bench-peers.sh $(BENCH_ARGS)

.PHONY: bench bench-report bench-peers
EXTRA_DIST += \
	test/bench/bench.mk \
	test/bench/run-bench.sh \
	test/bench/bench-libs.sh \
	test/bench/bench-peers.sh \
	test/bench/report.sh \
	test/bench/headline.png
