#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run-dax-kmem-vm.sh: the KMEM DAX lane (make check-dax-kmem).  Boots the
# dax-vm with --kmem, which gives the guest a memory-only NUMA node 1 made
# of persistent memory onlined as system RAM (daxctl's system-ram mode),
# and runs dax-kmem-vm-inner.sh there: discovery through libdaxctl, page
# placement of the DAX_KMEM kinds on node 1, the HBW kinds on node 1 by
# MEMKIND_HBW_NODES, interleaving over two real nodes, hbwmalloc(3) and
# the tools.  Not part of make check (it needs QEMU and takes a minute).
#
# Environment: top_builddir, top_srcdir (absolute; set by make), DAX_VM
# (the VM runner, default test/dax/vm/mk-dax-vm), DAX_VM_ARGS (more options
# for it).
# Exit status: the inner script's (0 all passed, 1 a failure), 77 when the
# VM cannot be used here, 125 when the VM failed.
set -u
top_builddir=${top_builddir:?set by make}
top_srcdir=${top_srcdir:?set by make}
vm=${DAX_VM:-$top_srcdir/test/dax/vm/mk-dax-vm}
[ -x "$vm" ] || { echo "SKIP: no dax-vm at $vm (set DAX_VM)"; exit 77; }
[ -z "${MK_SANITIZED:-}" ] ||
    { echo "SKIP: sanitizer builds do not run in the VM"; exit 77; }

# Real binaries (linked -no-install, or libtool's .libs copies); their
# libraries come along (the runner copies what ldd lists).  The tools
# find libmemkind by LD_LIBRARY_PATH, which the runner passes on (and
# needs itself, for ldd).
bins="test/kinds/placement_test test/kinds/hbwmalloc_test test/env/env_probe
    src/tools/.libs/memkind-hbw-nodes src/tools/.libs/memkind-auto-dax-kmem-nodes"
copy=""
for b in $bins; do
    [ -x "$top_builddir/$b" ] || { echo "ERROR: $b not built"; exit 1; }
    copy="$copy --copy $top_builddir/$b"
done

# shellcheck disable=SC2086  # word lists
LD_LIBRARY_PATH=$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
exec "$vm" --kmem --timeout 1200 $copy --env MK_BUILDDIR="$top_builddir" ${DAX_VM_ARGS:-} \
    -- "$top_srcdir/test/kinds/dax-kmem-vm-inner.sh"
