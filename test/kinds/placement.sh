#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# placement.sh: runs placement_test (pages land on the nodes each NUMA kind
# promises) once as the machine is, then once per memory node with
# MEMKIND_HBW_NODES and MEMKIND_DAX_KMEM_NODES naming that node, and once
# with both naming every node ("all"): on a one-node machine node 0 plays
# the HBW and the KMEM DAX node.  Exit status: 0, 1 when any run failed.
set -u
bin=${top_builddir:-.}/test/kinds/placement_test
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
unset MEMKIND_HBW_NODES MEMKIND_DAX_KMEM_NODES MEMKIND_HBW_THRESHOLD \
    HWLOC_XMLFILE

nodes=0
if [ -r /sys/devices/system/node/has_memory ]; then
    nodes=$(tr ',' '\n' </sys/devices/system/node/has_memory |
        while IFS=- read -r a b; do seq "$a" "${b:-$a}"; done)
fi

status=0
runs=0
run()
{
    echo "=== placement_test $*"
    runs=$((runs + 1))
    env "$@" ${MK_TEST_PREFIX:-} "$bin" --gtest_brief=1 || status=1
}

run MK_PLACEMENT_RUN=discovered
for n in $nodes; do
    run MEMKIND_HBW_NODES="$n" MEMKIND_DAX_KMEM_NODES="$n"
done
run MEMKIND_HBW_NODES=all MEMKIND_DAX_KMEM_NODES=all
echo "$runs runs of placement_test, status $status"
exit $status
