#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# create-kind.sh: memkind_create_kind() over every memory type, policy and
# flags value answers what memkind 1.14 answers, and memkind_destroy_kind()
# of the kinds it returns (static kinds) is 0 and changes nothing
# (memkind(3) memkind_create_kind, memkind_destroy_kind).
#
# The table below was measured by running create_kind_probe built against
# Debian's libmemkind-dev 1.14.0 headers on Debian's libmemkind0 1.14.0, in
# the same four configurations this script runs (HBW nodes or none, huge
# pages or none); its output was identical to ours line for line.  1.14
# knows ten combinations, each naming a static kind; all others are
# MEMKIND_ERROR_INVALID (-13).  A named kind that is not available makes
# the call fail with MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE (-20), except with
# MEMKIND_POLICY_PREFERRED_LOCAL, which then returns MEMKIND_DEFAULT.
#
# Without root, or while huge pages are in use, the pool is probed as it
# is; as root the 2 MiB pool is set empty, then to overcommit room only
# (no memory reserved), under the lock the hugetlb tests share, and put
# back on exit.
. "$top_srcdir/test/env/env-lib.sh"

probe_bin=$top_builddir/test/env/create_kind_probe
pool=/sys/kernel/mm/hugepages/hugepages-2048kB

# The static kind 1.14 returns for memtype $1, policy $2, flags $3.
named()
{
    case "$1 $2 $3" in
    "DEFAULT PREFERRED_LOCAL 0") echo MEMKIND_DEFAULT ;;
    "DEFAULT PREFERRED_LOCAL 2MB") echo MEMKIND_HUGETLB ;;
    "HIGH_BANDWIDTH BIND_LOCAL 0") echo MEMKIND_HBW ;;
    "HIGH_BANDWIDTH BIND_LOCAL 2MB") echo MEMKIND_HBW_HUGETLB ;;
    "HIGH_BANDWIDTH BIND_ALL 0") echo MEMKIND_HBW_ALL ;;
    "HIGH_BANDWIDTH BIND_ALL 2MB") echo MEMKIND_HBW_ALL_HUGETLB ;;
    "HIGH_BANDWIDTH PREFERRED_LOCAL 0") echo MEMKIND_HBW_PREFERRED ;;
    "HIGH_BANDWIDTH PREFERRED_LOCAL 2MB") echo MEMKIND_HBW_PREFERRED_HUGETLB ;;
    "HIGH_BANDWIDTH INTERLEAVE_ALL 0") echo MEMKIND_HBW_INTERLEAVE ;;
    "DEFAULT|HIGH_BANDWIDTH INTERLEAVE_ALL 0") echo MEMKIND_INTERLEAVE ;;
    esac
}

# Whether kind $1 is available with HBW nodes ($hbw) and huge pages ($pages).
available()
{
    case $1 in
    MEMKIND_HBW*HUGETLB) [ "$hbw" = 1 ] && [ "$pages" = 1 ] ;;
    MEMKIND_HBW*) [ "$hbw" = 1 ] ;;
    MEMKIND_HUGETLB) [ "$pages" = 1 ] ;;
    *) true ;;
    esac
}

# What the probe must print, in its order.
expected()
{
    for m in 0 DEFAULT HIGH_BANDWIDTH "DEFAULT|HIGH_BANDWIDTH" 4 5 -1; do
        for p in BIND_LOCAL BIND_ALL PREFERRED_LOCAL INTERLEAVE_LOCAL \
            INTERLEAVE_ALL MAX_VALUE -1; do
            for f in 0 2MB 1 20 22 0x115 -1; do
                k=$(named "$m" "$p" "$f")
                if [ -z "$k" ]; then
                    r="-13 -"
                elif available "$k"; then
                    r="0 $k destroy=0 same"
                elif [ "$p" = PREFERRED_LOCAL ]; then
                    r="0 MEMKIND_DEFAULT destroy=0 same"
                else
                    r="-20 -"
                fi
                echo "$m $p $f -> $r"
            done
        done
    done
}

# Runs the probe with MEMKIND_HBW_NODES=$1 and compares.
run_case()
{
    env MEMKIND_HBW_NODES="$1" ${MK_TEST_PREFIX:-} "$probe_bin" >"$out" \
        2>"$err"
    rc=$?
    check "[ $rc = 0 ]" "$ctx: create_kind_probe exited with $rc"
    expected >"$tmpd/want"
    grep -v '^destroy ' "$out" >"$tmpd/got"
    nchecks=$((nchecks + 1))
    if ! cmp -s "$tmpd/want" "$tmpd/got"; then
        fail "$ctx: memkind_create_kind differs from 1.14 (want/got):"
        diff "$tmpd/want" "$tmpd/got" | head -n 20
    fi
    # Every static kind: memkind_destroy_kind() is 0 and changes nothing.
    n=$(grep -c '^destroy MEMKIND_[A-Z_]* -> 0 same$' "$out")
    all=$(grep -c '^destroy ' "$out")
    check "[ $n -gt 20 ] && [ $n = $all ]" \
        "$ctx: destroying a static kind: $(grep '^destroy ' "$out" |
            grep -v ' -> 0 same$' | tr '\n' '|')"
}

# Both node configurations with the pool as it is now.
run_both()
{
    nr=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
    over=$(cat /proc/sys/vm/nr_overcommit_hugepages 2>/dev/null || echo 0)
    pages=0
    [ $((nr + over)) -gt 0 ] && pages=1
    hbw=0
    ctx="no HBW nodes (MEMKIND_HBW_NODES=abc), huge pages $pages ($1)"
    run_case abc
    hbw=1
    ctx="HBW node $first, huge pages $pages ($1)"
    run_case "$first"
}

first=$(memory_nodes | head -n 1)

# The pool must not change while the probe reads it.
if command -v flock >/dev/null 2>&1 &&
    exec 9>/tmp/memkind-test-hugepages.lock; then
    flock 9 || echo "NOTE: cannot take /tmp/memkind-test-hugepages.lock"
fi

run_both "pool as found"

if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/nr_hugepages ] &&
    [ -r $pool/nr_hugepages ]; then
    used=$(($(cat $pool/nr_hugepages) - $(cat $pool/free_hugepages) + \
        $(cat $pool/resv_hugepages) + $(cat $pool/surplus_hugepages)))
    if [ "$used" = 0 ]; then
        nr0=$(cat /proc/sys/vm/nr_hugepages)
        over0=$(cat /proc/sys/vm/nr_overcommit_hugepages)
        restore()
        {
            echo "$over0" >/proc/sys/vm/nr_overcommit_hugepages
            echo "$nr0" >/proc/sys/vm/nr_hugepages
        }
        trap 'rc=$?; restore; (exit $rc); env_lib_exit' EXIT
        echo 0 >/proc/sys/vm/nr_hugepages
        echo 0 >/proc/sys/vm/nr_overcommit_hugepages
        run_both "empty pool"
        echo 2 >/proc/sys/vm/nr_overcommit_hugepages
        run_both "overcommit room only"
    else
        echo "NOTE: huge pages in use; the pool is not resized"
    fi
else
    echo "NOTE: not root; only the pool as found is probed"
fi

finish
