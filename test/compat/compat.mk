# SPDX-License-Identifier: BSD-2-Clause
# compat.mk: our library beside other mallocs and in unusual processes
# (DESIGN.md 3 "make check proves it"; DESIGN.md 1).  Each driver .sh is a
# TESTS entry; the C programs it runs are check_PROGRAMS (-no-install: real
# binaries, not libtool wrappers, so LD_PRELOAD and ldd see them as they
# are).
#   glibc-app.sh            mixed_app: glibc malloc + memkind, 8 threads
#   jemalloc-linked.sh      mixed_app.c built with -ljemalloc at test time
#                           (skips without Debian's libjemalloc-dev)
#   jemalloc-preload.sh     mixed_app under LD_PRELOAD=libjemalloc.so.2
#   dlopen.sh               dlopen_app (bare C process) and python3 ctypes
#   fork.sh                 fork_app: DEFAULT and dynamic kinds across fork
#   fork-pmem.sh            fork_app --pmem: PMEM kinds copied, not shared
#   debian-1.14-programs.sh Debian libmemkind-dev 1.14 examples on our library
#   parity-1.14.sh          parity_app.c (built at test time on Debian's 1.14
#                           headers) run on Debian's libmemkind.so.0 1.14 and
#                           on ours: identical output but for listed,
#                           reasoned differences (issue #14)
# (No jemalloc symbol in nm -D: test/abi/check-abi.sh.)

MK_COMPAT_BINS = \
	test/compat/mixed_app \
	test/compat/dlopen_app \
	test/compat/fork_app
check_PROGRAMS += $(MK_COMPAT_BINS)

MK_COMPAT_TESTS = \
	test/compat/glibc-app.sh \
	test/compat/jemalloc-linked.sh \
	test/compat/jemalloc-preload.sh \
	test/compat/dlopen.sh \
	test/compat/fork.sh \
	test/compat/fork-pmem.sh \
	test/compat/debian-1.14-programs.sh \
	test/compat/parity-1.14.sh
TESTS += $(MK_COMPAT_TESTS)



EXTRA_DIST += $(MK_COMPAT_TESTS) test/compat/compat-lib.sh test/compat/compat.mk \
	test/compat/parity_app.c

# Black-box: public headers only, no jemalloc include path.
MK_COMPAT_CPPFLAGS = -I$(top_srcdir)/include -D_GNU_SOURCE

test_compat_mixed_app_SOURCES = test/compat/mixed_app.c
test_compat_mixed_app_CPPFLAGS = $(MK_COMPAT_CPPFLAGS)
test_compat_mixed_app_LDADD = libmemkind.la -lpthread -ldl
test_compat_mixed_app_LDFLAGS = $(AM_LDFLAGS) -no-install

# Not linked with libmemkind: it dlopen()s it.
test_compat_dlopen_app_SOURCES = test/compat/dlopen_app.c
test_compat_dlopen_app_CPPFLAGS = $(MK_COMPAT_CPPFLAGS)
test_compat_dlopen_app_LDADD = -lpthread -ldl
test_compat_dlopen_app_LDFLAGS = $(AM_LDFLAGS) -no-install

test_compat_fork_app_SOURCES = test/compat/fork_app.c
test_compat_fork_app_CPPFLAGS = $(MK_COMPAT_CPPFLAGS)
test_compat_fork_app_LDADD = libmemkind.la -lpthread
test_compat_fork_app_LDFLAGS = $(AM_LDFLAGS) -no-install

# The drivers build programs at test time (CC, CXX) and skip what cannot
# work under sanitizers (MK_SANITIZED).
AM_TESTS_ENVIRONMENT += CC='$(CC)'; CXX='$(CXX)'; export CC CXX;
if MK_SANITIZED
AM_TESTS_ENVIRONMENT += MK_SANITIZED=1; export MK_SANITIZED;
endif
