# SPDX-License-Identifier: BSD-2-Clause
# dax.mk: real DAX tests (issue 6).  test/dax/dax_test and
# devdax_fault_test run under make check too, where what needs DAX hardware
# skips with its reason.  make check-dax boots the emulated-NVDIMM VM
# (test/dax/vm/mk-dax-vm, our own runner, or $DAX_VM_RUNNER) once per
# configuration and runs the PMEM, Device DAX,
# DAX_KMEM and libmemtier FS_DAX tests inside (test/dax/check-dax.sh); each
# program's log and result land in test/dax/lane/<config>/ as .log/.trs
# pairs, so test/summary.sh counts them with the rest.
if HAVE_GTEST
check_PROGRAMS += test/dax/dax_test
TESTS += test/dax/dax_test
test_dax_dax_test_SOURCES = test/dax/dax_test.cpp
test_dax_dax_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_dax_dax_test_LDADD = $(MK_GTEST_API_LIBS)
# White box: mk_fault_arm() from the convenience library.
check_PROGRAMS += test/dax/devdax_fault_test
TESTS += test/dax/devdax_fault_test
test_dax_devdax_fault_test_SOURCES = test/dax/devdax_fault_test.cpp
test_dax_devdax_fault_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir) \
	-DMK_FAULT_INJECTION=1
test_dax_devdax_fault_test_CXXFLAGS = $(MK_GTEST_CXXFLAGS)
test_dax_devdax_fault_test_LDADD = libmemkind_core_fi.la $(JEMK_LIB) \
	libtest_main.la $(GTEST_LIBS) -lnuma -lpthread
endif

EXTRA_DIST += test/dax/dax.mk test/dax/check-dax.sh test/dax/vm-suite.sh \
	test/dax/can-run-vm.sh test/dax/vm/mk-dax-vm test/dax/vm/runner-test.sh \
	test/dax/vm/README

# Everything the lane copies into the VM is built first (the library, the
# test programs and, when its fragment defines it, libmemtier).
check-dax:
	@$(MAKE) $(AM_MAKEFLAGS) all && \
	$(MAKE) $(AM_MAKEFLAGS) $(check_LTLIBRARIES) $(check_PROGRAMS)
	@top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	$(SHELL) $(top_srcdir)/test/dax/check-dax.sh
.PHONY: check-dax

# check-all's step: the lane where this machine can run it (CHECK_DAX=auto,
# the default: test/dax/can-run-vm.sh), always (yes: fails where it cannot)
# or never (no).  A skipped lane is recorded as a skipped test with its
# reason, which test/summary.sh counts.
CHECK_DAX = auto
check-dax-auto:
	@rm -rf test/dax/lane; why=; \
	case '$(CHECK_DAX)' in \
	    no) why="CHECK_DAX=no" ;; \
	    yes) ;; \
	    *) why=$$(top_srcdir='$(abs_top_srcdir)' \
	              $(SHELL) $(top_srcdir)/test/dax/can-run-vm.sh) && why= ;; \
	esac; \
	if [ -z "$$why" ]; then \
	    $(MAKE) $(AM_MAKEFLAGS) check-dax; \
	else \
	    echo "check-dax: SKIP: $$why"; \
	    $(MKDIR_P) test/dax/lane/skipped && \
	    echo "$$why" >test/dax/lane/skipped/check-dax.log && \
	    printf ':test-result: SKIP\n' >test/dax/lane/skipped/check-dax.trs; \
	fi
.PHONY: check-dax-auto

mostlyclean-local: clean-dax
clean-dax:
	-rm -rf test/dax/lane
.PHONY: clean-dax
