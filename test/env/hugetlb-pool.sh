#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# hugetlb-pool.sh: memkind_check_available() and memkind_get_capacity() of
# the huge page kinds follow the 2 MiB pool as memkind 1.14 does (measured
# on Debian's libmemkind0 1.14.0; memkind(3) ERRORS and memkind_get_capacity,
# memkind_hugetlb(3), memkind_hbw(3)):
#   empty pool   MEMKIND_HUGETLB and MEMKIND_GBTLB: -18 (MEMKIND_ERROR_HUGETLB),
#                capacity 0; the HBW huge page kinds: -18 where HBW nodes
#                exist; without them the 2 MiB ones say what MEMKIND_HBW
#                says and the 1 GiB ones -18 for any failure
#   pages        (reserved or overcommit room) every one of them available;
#                MEMKIND_HUGETLB's capacity is (nr + overcommit) * 2 MiB
#   capacity     -1 for the 2 MiB HBW kinds and MEMKIND_HBW_PREFERRED_GBTLB,
#                node memory for MEMKIND_HBW_GBTLB, the 1 GiB pool for
#                MEMKIND_GBTLB (which checks 2 MiB pages: 1.14 has no other
#                check, memkind_hugetlb(3))
# Root only: the pool is resized under the lock the hugetlb tests share, and
# put back on exit.
. "$top_srcdir/test/env/env-lib.sh"

pool=/sys/kernel/mm/hugepages/hugepages-2048kB
gpool=/sys/kernel/mm/hugepages/hugepages-1048576kB
[ "$(id -u)" = 0 ] || skip "needs root to resize the huge page pool"
command -v flock >/dev/null 2>&1 || skip "needs flock(1) (util-linux)"
[ -w /proc/sys/vm/nr_hugepages ] && [ -r $pool/nr_hugepages ] ||
    skip "no 2 MiB huge page pool"

# Test binaries that use huge pages hold this lock until they exit
# (test/common/capabilities.hpp); wait for them.
exec 9>/tmp/memkind-test-hugepages.lock
flock 9 || skip "cannot take /tmp/memkind-test-hugepages.lock"
nr0=$(cat /proc/sys/vm/nr_hugepages)
over0=$(cat /proc/sys/vm/nr_overcommit_hugepages)
used=$(($(cat $pool/nr_hugepages) - $(cat $pool/free_hugepages) + \
    $(cat $pool/resv_hugepages) + $(cat $pool/surplus_hugepages)))
[ "$used" = 0 ] || skip "huge pages in use or reserved; not resizing the pool"
restore()
{
    echo "$over0" >/proc/sys/vm/nr_overcommit_hugepages
    echo "$nr0" >/proc/sys/vm/nr_hugepages
    rm -rf "$tmpd"
}
trap restore EXIT
trap 'exit 1' HUP INT TERM PIPE

set_pool()
{
    echo "$1" >/proc/sys/vm/nr_hugepages
    echo "$2" >/proc/sys/vm/nr_overcommit_hugepages
    [ "$(cat /proc/sys/vm/nr_hugepages)" = "$1" ] ||
        skip "could not set nr_hugepages to $1 (memory?)"
}

mib2=2097152

# MEMKIND_HUGETLB's capacity when the pool has room for $1 more pages
# beyond its reserved ones.  Other tests that allocate huge pages without
# holding the lock (scripts, the sanitizer lanes' parallel tests) can take
# a surplus page during the probe, and surplus pages count in
# nr_hugepages: the capacity may then be one pool size larger.  Accepts
# the capacity for the pool size seen before or after the probe ($2).
expect_hugetlb_cap()
{
    nr1=$(cat /proc/sys/vm/nr_hugepages)
    later="MEMKIND_HUGETLB check=0 cap=$(((nr1 + $1) * mib2))"
    if [ "$nr1" != "$2" ] && grep -qxF -- "$later" "$out"; then
        echo "NOTE: $ctx: another process held surplus huge pages"
        expect_line "$later"
    else
        expect_line "MEMKIND_HUGETLB check=0 cap=$((($2 + $1) * mib2))"
    fi
}
gb_pages=0
if [ -r $gpool/nr_hugepages ]; then
    gb_pages=$(($(cat $gpool/nr_hugepages) + \
        $(cat $gpool/nr_overcommit_hugepages 2>/dev/null || echo 0)))
fi
gb_cap=$((gb_pages * 1073741824))
first=$(memory_nodes | head -n 1)

ctx="empty pool, MEMKIND_HBW_NODES=$first"
set_pool 0 0
probe MEMKIND_HBW_NODES="$first"
expect_line "MEMKIND_HUGETLB check=-18 cap=0"
expect_line "MEMKIND_GBTLB check=-18 cap=$gb_cap"
for k in MEMKIND_HBW_HUGETLB MEMKIND_HBW_ALL_HUGETLB \
    MEMKIND_HBW_PREFERRED_HUGETLB MEMKIND_HBW_PREFERRED_GBTLB; do
    expect_line "$k check=-18 cap=-1"
done
expect_match "^MEMKIND_HBW_GBTLB check=-18 cap=[1-9][0-9]*$"

ctx="empty pool, malformed MEMKIND_HBW_NODES"
probe MEMKIND_HBW_NODES=abc
expect_line "MEMKIND_HBW_HUGETLB check=-12 cap=-1"
expect_line "MEMKIND_HBW_GBTLB check=-18 cap=-1"

ctx="empty pool, HBW discovery"
probe
hbw=$(sed -n 's/^MEMKIND_HBW check=\([-0-9]*\) .*/\1/p' "$out")
if [ "$hbw" != 0 ]; then
    expect_line "MEMKIND_HBW_HUGETLB check=$hbw cap=-1"
    expect_line "MEMKIND_HBW_GBTLB check=-18 cap=-1"
fi

ctx="overcommit only, MEMKIND_HBW_NODES=$first"
set_pool 0 3
probe MEMKIND_HBW_NODES="$first"
expect_hugetlb_cap 3 0
expect_line "MEMKIND_GBTLB check=0 cap=$gb_cap"
for k in MEMKIND_HBW_HUGETLB MEMKIND_HBW_ALL_HUGETLB \
    MEMKIND_HBW_PREFERRED_HUGETLB MEMKIND_HBW_PREFERRED_GBTLB; do
    expect_line "$k check=0 cap=-1"
done
expect_match "^MEMKIND_HBW_GBTLB check=0 cap=[1-9][0-9]*$"

ctx="reserved and overcommit pages"
set_pool 2 3
probe MEMKIND_HBW_NODES="$first"
expect_hugetlb_cap 3 2
expect_line "MEMKIND_HBW_HUGETLB check=0 cap=-1"

finish
