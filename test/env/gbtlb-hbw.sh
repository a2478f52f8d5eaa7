#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# gbtlb-hbw.sh: MEMKIND_HBW_GBTLB and MEMKIND_HBW_PREFERRED_GBTLB on HBW
# nodes: test/kinds/gbtlb_test with the first memory node named as the HBW
# node (MEMKIND_HBW_NODES), so that its HBW tests run on any machine.
# 1 GiB chunks of 2 MiB pages bound (or preferred) to that node, as memkind
# 1.14 maps them.  The binary reserves the pages itself (root) and skips
# with a printed reason without them.
. "$top_srcdir/test/env/env-lib.sh"

bin=$top_builddir/test/kinds/gbtlb_test
[ -x "$bin" ] || skip "test/kinds/gbtlb_test not built (no googletest?)"
first=$(memory_nodes | head -n 1)
env MEMKIND_HBW_NODES="$first" ${MK_TEST_PREFIX:-} "$bin" \
    --gtest_filter='GbtlbHbw.*:Gbtlb.CheckAndCapacityAs114' >"$out" 2>&1
rc=$?
cat "$out"
check "[ $rc = 0 ]" "gbtlb_test with MEMKIND_HBW_NODES=$first exited with $rc"
# It must really have run on HBW nodes (or said why not).
check "grep -q 'GbtlbHbw.HbwVariantsAreChunksOf2MiBPagesOnHbwNodes' '$out'" \
    "the HBW test did not run"
finish
