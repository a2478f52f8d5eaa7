#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# autohbw-routing.sh: under libautohbw.so every member of the malloc family
# sends requests in the AUTO_HBW_SIZE range (larger than x, smaller than y)
# to the kind and the rest to the C library; free, realloc and
# malloc_usable_size find the owner of any pointer, also of blocks the
# library never saw; blocks move between the heaps on realloc with their
# contents; disableAutoHBW()/enableAutoHBW() switch it; threads churn
# without corruption (autohbw(7)).
. "$top_srcdir/test/env/env-lib.sh"
. "$top_srcdir/test/env/autohbw-lib.sh"

ctx="default kind with HBW nodes"
autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M AUTO_HBW_LOG=-1 \
    -- "$app" routing MEMKIND_HBW_PREFERRED
expect_rc 0
expect_err_lines 0

probe
if grep -qx "hbw_check_available=19" "$out"; then
    ctx="default kind without HBW memory"
    autohbw AUTO_HBW_SIZE=1M:4M AUTO_HBW_LOG=-1 -- "$app" routing MEMKIND_DEFAULT
    expect_rc 0
    ctx="MEMKIND_HBW without HBW memory: passive"
    autohbw AUTO_HBW_SIZE=1M:4M AUTO_HBW_MEM_TYPE=MEMKIND_HBW -- "$app" passive
    expect_rc 0
    expect_err_lines 1
    nchecks=$((nchecks + 1))
    grep -q "MEMKIND_HBW is not available" "$err" || fail "$ctx: $(cat "$err")"
fi

for k in MEMKIND_INTERLEAVE MEMKIND_DEFAULT MEMKIND_HBW MEMKIND_HBW_INTERLEAVE; do
    ctx="AUTO_HBW_MEM_TYPE=$k"
    autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M \
        AUTO_HBW_LOG=-1 AUTO_HBW_MEM_TYPE=$k -- "$app" routing "$k"
    expect_rc 0
done

ctx="threads"
autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1K:1M AUTO_HBW_LOG=-1 \
    -- "$app" threads
expect_rc 0

finish
