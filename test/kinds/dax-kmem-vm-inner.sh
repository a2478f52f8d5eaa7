#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# dax-kmem-vm-inner.sh: runs inside the dax-vm (busybox sh) started by
# run-dax-kmem-vm.sh.  The guest has node 0 (CPUs, RAM) and node
# $DAX_KMEM_NODE (memory only, KMEM DAX).  Ends with one line
# "N passed, N failed, N skipped" (googletest cases counted one by one,
# other checks one each) and exits 1 when anything failed.
set -u
b=${MK_BUILDDIR:?}
kmem=${DAX_KMEM_NODE:?not started with --kmem}
pass=0 fail=0 skip=0
log=/tmp/gtest.log

ok()
{
    pass=$((pass + 1))
}
bad()
{
    fail=$((fail + 1))
    echo "FAIL: $*"
}

# gtest LABEL VAR=VALUE... -- BINARY [ARGS]: runs a googletest binary and
# adds its counts.
gtest()
{
    label=$1
    shift
    vars=""
    while [ "$1" != "--" ]; do
        vars="$vars $1"
        shift
    done
    shift
    echo "=== $label"
    # shellcheck disable=SC2086  # word list
    env $vars "$@" --gtest_brief=1 >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    pass=$((pass + ${p:-0}))
    skip=$((skip + ${s:-0}))
    fail=$((fail + ${f:-0}))
    if [ "$rc" != 0 ] && [ -z "$f" ]; then
        bad "$label exited with $rc"
    fi
}

# expect LABEL WANT GOT
expect()
{
    if [ "$2" = "$3" ]; then
        ok
    else
        bad "$1: got \"$3\", expected \"$2\""
    fi
}

echo "guest nodes: $(cat /sys/devices/system/node/online)," \
    "with memory $(cat /sys/devices/system/node/has_memory)," \
    "with CPUs $(cat /sys/devices/system/node/has_cpu); KMEM DAX node $kmem"

# Discovery: libdaxctl finds the node without any override.
out=$("$b/src/tools/.libs/memkind-auto-dax-kmem-nodes")
expect "memkind-auto-dax-kmem-nodes status" 0 $?
expect "memkind-auto-dax-kmem-nodes output" "$kmem" "$out"
out=$(MEMKIND_HBW_NODES=$kmem "$b/src/tools/.libs/memkind-hbw-nodes")
expect "memkind-hbw-nodes MEMKIND_HBW_NODES=$kmem" "$kmem" "$out"
out=$("$b/src/tools/.libs/memkind-hbw-nodes")
expect "memkind-hbw-nodes without HBW (status)" 1 $?

probe=$("$b/test/env/env_probe" alloc)
echo "$probe"
for k in MEMKIND_DAX_KMEM MEMKIND_DAX_KMEM_ALL MEMKIND_DAX_KMEM_INTERLEAVE; do
    echo "$probe" | grep -Eq "^$k check=0 cap=[1-9][0-9]* node=$kmem\$" &&
        ok || bad "env_probe: $k not on node $kmem"
done
echo "$probe" | grep -q "^MEMKIND_DAX_KMEM_PREFERRED check=0 cap=-1 node=$kmem\$" &&
    ok || bad "env_probe: MEMKIND_DAX_KMEM_PREFERRED not on node $kmem"
echo "$probe" | grep -Eq "^MEMKIND_REGULAR check=0 cap=[1-9][0-9]* node=0\$" &&
    ok || bad "env_probe: MEMKIND_REGULAR must stay on the CPU node"
echo "$probe" | grep -q "^dax_kmem_nodes=$kmem\$" && ok ||
    bad "env_probe: dax_kmem_nodes"

gtest "placement, discovered KMEM node" -- "$b/test/kinds/placement_test"
gtest "placement, HBW on the KMEM node" MEMKIND_HBW_NODES="$kmem" -- \
    "$b/test/kinds/placement_test"
gtest "placement, both nodes in both families" MEMKIND_HBW_NODES=0-$kmem \
    MEMKIND_DAX_KMEM_NODES=0-$kmem -- "$b/test/kinds/placement_test"
gtest "placement, node 0 as KMEM" MEMKIND_DAX_KMEM_NODES=0 -- \
    "$b/test/kinds/placement_test"
gtest "hbwmalloc, HBW on the KMEM node" MEMKIND_HBW_NODES="$kmem" -- \
    "$b/test/kinds/hbwmalloc_test"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
