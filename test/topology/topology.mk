# SPDX-License-Identifier: BSD-2-Clause
# topology.mk: the NUMA topology lane (issue 18).  make check-topology
# boots QEMU (TCG) with HMAT once per test/topology/*.topo through the DAX
# lane's runner (test/dax/vm/mk-dax-vm) and checks, in the guest, where
# every kind's pages land against the expectations written in the .topo
# file (test/topology/check-topology.sh, guest.sh, topo_place.c).
# topo_place is built by make check (check_PROGRAMS) but not run there: it
# needs the topologies.
#
# Budget in CI (2 cores, TCG): at most 10 minutes for all topologies
# together.  Measured on this 2-core workplace (TCG, other jobs running):
# five boots of 34-70 s each, 255-298 s for the whole lane with the 1.14
# download; with the hugetlb and memtier(1) checks and the explained 1.14
# comparison, five boots of 29-60 s, 193-206 s in all (load average 5 on
# the 2 cores).  Each guest is small (0.75-1.5 GiB, 1-4 CPUs) and boots once;
# everything runs in that one boot.
check_PROGRAMS += test/topology/topo_place
test_topology_topo_place_SOURCES = test/topology/topo_place.c
test_topology_topo_place_LDADD = libmemkind.la -lpthread
# Plain malloc, run under libmemtier (LD_PRELOAD) in the CXL guest.
check_PROGRAMS += test/topology/tier_probe
test_topology_tier_probe_SOURCES = test/topology/tier_probe.c

EXTRA_DIST += test/topology/topology.mk test/topology/check-topology.sh \
	test/topology/guest.sh test/topology/hbm-snc.topo test/topology/knl.topo \
	test/topology/cxl.topo test/topology/gpu-hbm.topo test/topology/gen-topo.py \
	test/topology/nohmat.topo test/topology/omp_place.c \
	test/topology/known-1.14

check-topology:
	@$(MAKE) $(AM_MAKEFLAGS) all && \
	$(MAKE) $(AM_MAKEFLAGS) test/topology/topo_place test/topology/tier_probe
	@top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
	CC='$(CC)' $(SHELL) $(top_srcdir)/test/topology/check-topology.sh
.PHONY: check-topology

# check-all's step, as check-dax-auto: the lane where this machine can run
# QEMU (test/dax/can-run-vm.sh), else one counted skip with the reason.
CHECK_TOPOLOGY = auto
check-topology-auto:
	@rm -rf test/topology/lane; why=; \
	case '$(CHECK_TOPOLOGY)' in \
	    no) why="CHECK_TOPOLOGY=no" ;; \
	    yes) ;; \
	    *) why=$$(top_srcdir='$(abs_top_srcdir)' \
	              $(SHELL) $(top_srcdir)/test/dax/can-run-vm.sh) && why= ;; \
	esac; \
	if [ -z "$$why" ]; then \
	    $(MAKE) $(AM_MAKEFLAGS) check-topology; \
	else \
	    echo "check-topology: SKIP: $$why"; \
	    $(MKDIR_P) test/topology/lane && \
	    echo "$$why" >test/topology/lane/check-topology.log && \
	    printf ':test-result: SKIP\n' >test/topology/lane/check-topology.trs; \
	fi
.PHONY: check-topology-auto

mostlyclean-local: clean-topology
clean-topology:
	-rm -rf test/topology/lane
.PHONY: clean-topology
