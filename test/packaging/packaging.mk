# SPDX-License-Identifier: BSD-2-Clause
# packaging.mk: the Debian packaging lane and the static archive check
# (issue 19; test/packaging/check-packaging.sh says what each step tests).
#
# make check runs static-symbols.sh: the archives of this build keep their
# jemalloc private and link next to Debian's libjemalloc (a few seconds).
#
# make check-packaging: `make dist` of this tree, then the source package
# (3.0 quilt, the jemalloc tarball as component), dpkg-buildpackage -us -uc
# -b offline, lintian, the packages unpacked into throw-away roots, their
# tools, programs built against the installed -dev (shared, static, with
# libjemalloc, CMake), and the upgrade from Debian's libmemkind0 to ours and
# back with dpkg --root.  The package build compiles everything again
# (jemalloc included) from the dist tarball, as a Debian build must; it
# reuses only this build's verified jemalloc tarball and the dist tarball.
# Budget: 8 minutes on 2 cores.  Measured (`time make check-packaging`, on
# the 2-core development machine while other builds kept its load average
# at 13-24): 354 CPU-seconds (232 user + 122 system), 24 minutes of wall
# time under that load; the package build is 305 CPU-seconds of it (jemalloc
# and the library, built with parallel=2), lintian about 60, the rest
# under 30.  On 2 idle cores that is about 3 to 5 minutes; not yet timed
# on an idle machine (CI's log shows each step's seconds).
#
# make check-packaging-auto (in check-all): check-packaging where
# dpkg-buildpackage and debhelper are installed, else one counted skip;
# CHECK_PACKAGING=no or MK_CHECK_LANES=0 skip it too.

TESTS += test/packaging/static-symbols.sh
EXTRA_DIST += test/packaging/packaging.mk test/packaging/static-symbols.sh \
	test/packaging/check-packaging.sh

MK_PACKAGING_TARBALL = $(PACKAGE)-$(VERSION).tar.gz

check-packaging: all
	$(MAKE) $(AM_MAKEFLAGS) dist-gzip
	@$(SHELL) $(top_srcdir)/test/packaging/check-packaging.sh $(top_srcdir) \
	  $(top_builddir) $(MK_PACKAGING_TARBALL)

check-packaging-auto:
	@rm -rf _build/packaging; why=; \
	case '$(CHECK_PACKAGING)/$(MK_CHECK_LANES)' in \
	    no/*) why="CHECK_PACKAGING=no" ;; \
	    */0|*/no) why="lanes left out (MK_CHECK_LANES=0)" ;; \
	    *) for c in dpkg-buildpackage dpkg-source dh lintian cmake; do \
	         command -v $$c > /dev/null || why="$$why $$c"; done; \
	       [ -z "$$why" ] || why="not installed:$$why (.ci/install-deps)" ;; \
	esac; \
	if [ -z "$$why" ]; then \
	    $(MAKE) $(AM_MAKEFLAGS) check-packaging; \
	else \
	    echo "check-packaging: SKIP: $$why"; \
	    $(MKDIR_P) _build/packaging && \
	    echo "$$why" > _build/packaging/check-packaging.log && \
	    printf ':test-result: SKIP\n' > _build/packaging/check-packaging.trs; \
	fi

clean-local: clean-packaging
clean-packaging:
	-rm -rf _build/packaging
.PHONY: check-packaging check-packaging-auto clean-packaging
