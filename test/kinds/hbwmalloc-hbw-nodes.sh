#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# hbwmalloc-hbw-nodes.sh: hbwmalloc_test with high-bandwidth memory, which
# MEMKIND_HBW_NODES=all provides on any machine (hbwmalloc_test itself, a
# separate TESTS entry, runs with the machine as it is).
set -u
bin=${top_builddir:-.}/test/kinds/hbwmalloc_test
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
unset MEMKIND_DAX_KMEM_NODES MEMKIND_HBW_THRESHOLD HWLOC_XMLFILE
MEMKIND_HBW_NODES=all exec ${MK_TEST_PREFIX:-} "$bin"
