#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# nodes-malformed.sh: malformed MEMKIND_HBW_NODES, MEMKIND_DAX_KMEM_NODES
# and MEMKIND_HBW_THRESHOLD values make their kinds report
# MEMKIND_ERROR_ENVIRON (-12) with exactly one warning line per variable,
# never a crash; the other kinds do not notice.  hbw_check_available() is
# ENODEV and hbw_malloc() falls back to ordinary memory (HBW_POLICY_PREFERRED).
# Deliberate fix over 1.14: an empty value or a list that selects no node
# ("", "!all") is an error too; 1.14 reported those kinds available and
# then failed every allocation.
. "$top_srcdir/test/env/env-lib.sh"

nodes=$(memory_nodes)
last=$(echo "$nodes" | tail -n 1)
long=$(awk 'BEGIN { for (i = 0; i < 40000; i++) printf "0,"; printf "x" }')

for v in "" "abc" "1;2" "0-" "-1" "$((last + 1))" "4096" \
    "99999999999999999999999" "!all" "0x" "all,0" "," "0 " "$long"; do
    ctx="MEMKIND_*_NODES=\"$(printf '%.20s' "$v")\""
    probe MEMKIND_HBW_NODES="$v" MEMKIND_DAX_KMEM_NODES="$v"
    for k in MEMKIND_HBW MEMKIND_HBW_ALL MEMKIND_HBW_PREFERRED \
        MEMKIND_HBW_INTERLEAVE MEMKIND_HBW_HUGETLB MEMKIND_HBW_ALL_HUGETLB \
        MEMKIND_HBW_PREFERRED_HUGETLB MEMKIND_DAX_KMEM MEMKIND_DAX_KMEM_ALL \
        MEMKIND_DAX_KMEM_PREFERRED MEMKIND_DAX_KMEM_INTERLEAVE; do
        expect_line "$k check=-12 cap=-1"
    done
    expect_line "hbw_nodes=error -12"
    expect_line "dax_kmem_nodes=error -12"
    expect_line "hbw_check_available=19"
    expect_line "hbw_malloc=MEMKIND_DEFAULT"
    expect_match "^MEMKIND_DEFAULT check=0 cap=[1-9]"
    expect_match "^MEMKIND_REGULAR check=0 cap=[1-9]"
    expect_err_lines 2
    nchecks=$((nchecks + 1))
    grep -q "MEMKIND_HBW_NODES" "$err" && grep -q "MEMKIND_DAX_KMEM_NODES" "$err" ||
        fail "$ctx: the warnings do not name the variables: $(cat "$err")"
    nchecks=$((nchecks + 1))
    [ "$(wc -c <"$err")" -lt 600 ] || fail "$ctx: warnings too long"
done

# MEMKIND_HBW_THRESHOLD: a decimal number of MB/s from 0 to 4294967295.
# It is read only when MEMKIND_HBW_NODES is unset, on machines that are
# not Xeon Phi.
for v in "" "abc" "-1" "4294967296" "5 " "0x10" "1e6"; do
    ctx="MEMKIND_HBW_THRESHOLD=\"$v\""
    probe MEMKIND_HBW_THRESHOLD="$v"
    if grep -q "Xeon Phi" /proc/cpuinfo 2>/dev/null; then
        continue
    fi
    expect_line "MEMKIND_HBW check=-12 cap=-1"
    expect_line "hbw_nodes=error -12"
    expect_err_lines 1
    nchecks=$((nchecks + 1))
    grep -q "MEMKIND_HBW_THRESHOLD" "$err" ||
        fail "$ctx: the warning does not name the variable: $(cat "$err")"
done

finish
