# SPDX-License-Identifier: BSD-2-Clause
#
# man/man.mk - automake fragment for the hand-written man pages, included by
# the top-level Makefile.am (which initialises dist_man_MANS).
#
# "make check-man" lints every page with "groff -man -ww -z" and fails if
# groff prints anything (groff exits 0 on warnings, so its output is what
# counts).  Set CHECK_MAN_GROFF to use another groff binary.

MEMKIND_MAN_PAGES = \
	man/memkind.3 \
	man/memkind_default.3 \
	man/memkind_arena.3 \
	man/memkind_hugetlb.3 \
	man/memkind_fixed.3 \
	man/memkind_pmem.3 \
	man/memkind_hbw.3 \
	man/memkind_dax_kmem.3 \
	man/memkindallocator.3 \
	man/fixedallocator.3 \
	man/pmemallocator.3 \
	man/hbwallocator.3 \
	man/hbwmalloc.3 \
	man/libmemtier.3 \
	man/memkind-hbw-nodes.1 \
	man/memkind-auto-dax-kmem-nodes.1 \
	man/memtier.1 \
	man/autohbw.7 \
	man/libmemtier.7 \
	man/memtier.7

dist_man_MANS += $(MEMKIND_MAN_PAGES)

CHECK_MAN_GROFF = groff

.PHONY: check-man
check-man:
	@if ! $(CHECK_MAN_GROFF) -v >/dev/null 2>&1; then \
	  echo "check-man: '$(CHECK_MAN_GROFF)' not found; install groff" >&2; \
	  exit 1; \
	fi; \
	fail=0; \
	for page in $(MEMKIND_MAN_PAGES); do \
	  out=`$(CHECK_MAN_GROFF) -man -ww -z $(srcdir)/$$page 2>&1` || fail=1; \
	  if test -n "$$out"; then \
	    echo "$$page:" >&2; \
	    echo "$$out" >&2; \
	    fail=1; \
	  fi; \
	done; \
	if test $$fail -ne 0; then \
	  echo "check-man: FAILED" >&2; \
	  exit 1; \
	fi; \
	echo "check-man: all pages clean"
