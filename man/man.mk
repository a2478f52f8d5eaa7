# SPDX-License-Identifier: BSD-2-Clause
#
# man/man.mk - automake fragment for the hand-written man pages, included by
# the top-level Makefile.am (which initialises dist_man_MANS).
#
# "make check-man" lints every page with "groff -man -ww -z" and fails if
# groff prints anything (groff exits 0 on warnings, so its output is what
# counts).  Set CHECK_MAN_GROFF to use another groff binary.  It also checks
# that each alias page is a symbolic link to a page of MEMKIND_MAN_PAGES in
# the same directory, rendered cleanly through the link from another
# directory (a ".so" alias cannot be: "man -l" resolves it against the
# current directory), and that memtier.7 is libmemtier.7 apart from the
# comments at the top, the .TH line, the NAME section and the SEE ALSO
# entry that names the other page (memkind 1.14 ships the two as copies).

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

# Other names of a page: symbolic links to it, installed as copies
# (install(1) follows links).
MEMKIND_MAN_ALIASES = \
	man/memkind_memtier.3

dist_man_MANS += $(MEMKIND_MAN_PAGES) $(MEMKIND_MAN_ALIASES)

# Prints a page without what may differ between copies: leading comment
# lines, .TH, the body of NAME and SEE ALSO entries naming either copy.
MEMKIND_MAN_COPY_BODY = sed -e '/^\.\\"/d' -e '/^\.TH /d' \
	-e '/^\.SH NAME/,/^\.SH /{/^\.SH /!d;}' \
	-e '/^\.BR \(lib\)\{0,1\}memtier (7),\{0,1\}$$/d'

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
	for page in $(MEMKIND_MAN_ALIASES); do \
	  target=; \
	  if test -L $(srcdir)/$$page; then \
	    target=man/$$(readlink $(srcdir)/$$page); \
	    case " $(MEMKIND_MAN_PAGES) " in \
	      *" $$target "*) ;; \
	      *) target= ;; \
	    esac; \
	  fi; \
	  if test -z "$$target"; then \
	    echo "$$page: must be a symbolic link to a page of MEMKIND_MAN_PAGES in man/" >&2; \
	    fail=1; \
	    continue; \
	  fi; \
	  abs=$$(cd $(srcdir) && pwd)/$$page; \
	  out=`cd / && $(CHECK_MAN_GROFF) -man -ww -z "$$abs" 2>&1` || fail=1; \
	  if test -n "$$out"; then \
	    echo "$$page (rendered from /):" >&2; \
	    echo "$$out" >&2; \
	    fail=1; \
	  fi; \
	done; \
	if ! $(MEMKIND_MAN_COPY_BODY) $(srcdir)/man/libmemtier.7 > man-copy-a.tmp || \
	   ! $(MEMKIND_MAN_COPY_BODY) $(srcdir)/man/memtier.7 > man-copy-b.tmp || \
	   ! diff -u man-copy-a.tmp man-copy-b.tmp >&2; then \
	  echo "man/memtier.7 and man/libmemtier.7 must be the same page under two names (see man/man.mk)" >&2; \
	  fail=1; \
	fi; \
	rm -f man-copy-a.tmp man-copy-b.tmp; \
	if test $$fail -ne 0; then \
	  echo "check-man: FAILED" >&2; \
	  exit 1; \
	fi; \
	echo "check-man: all pages clean"
