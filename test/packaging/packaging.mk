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
# Measured on the 2-core development machine (shared with other builds):
# see README "Debian packages"; budget 8 minutes on 2 cores.
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
