# SPDX-License-Identifier: BSD-2-Clause
# abi.mk: the exported symbols against memkind 1.14's lists, each public
# header compiled alone (CONVENTIONS.md 8 and 11), and the 1.14 layout of
# the structs kind authors read (issue #14).  The scripts are TESTS entries
# of make check; the first two have their own targets:
#   make check-abi       test/abi/check-abi.sh (libmemkind.so, libmemtier.so)
#   make check-headers   test/abi/check-headers.sh
#   (make check)         test/abi/check-layout.sh: src/abi_layout.c against
#                        include/ alone, C and C++

MK_ABI_TESTS = \
	test/abi/check-abi.sh \
	test/abi/check-headers.sh \
	test/abi/check-layout.sh
TESTS += $(MK_ABI_TESTS)
EXTRA_DIST += $(MK_ABI_TESTS) \
	test/abi/abi.mk \
	test/abi/added.txt \
	test/abi/memkind-1.14.abi \
	test/abi/memtier-1.14.abi

# check-headers.sh compiles with the configured compilers.
AM_TESTS_ENVIRONMENT += CC='$(CC)'; CXX='$(CXX)'; export CC CXX;

check-abi: $(lib_LTLIBRARIES)
	@top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	  $(SHELL) $(top_srcdir)/test/abi/check-abi.sh

check-headers:
	@top_srcdir='$(abs_top_srcdir)' CC='$(CC)' CXX='$(CXX)' \
	  $(SHELL) $(top_srcdir)/test/abi/check-headers.sh

.PHONY: check-abi check-headers
