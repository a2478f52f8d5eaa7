#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# autohbw-config.sh: libautohbw.so's environment (autohbw(7)).  A malformed
# AUTO_HBW_SIZE or AUTO_HBW_MEM_TYPE gives one line on stderr and leaves
# every allocation to the C library; a malformed AUTO_HBW_LOG or
# AUTO_HBW_DEBUG is reported and its default used.  AUTO_HBW_LOG: -1
# silent, 0 one information line, 1 a line per redirected allocation
# (default), 2 the same with a backtrace.
. "$top_srcdir/test/env/env-lib.sh"
. "$top_srcdir/test/env/autohbw-lib.sh"

for v in "" abc 1X 4M:1M 1M:1M :4M 99999999999999G "1M:4M:8M" "-1"; do
    ctx="AUTO_HBW_SIZE=\"$v\""
    autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE="$v" -- "$app" passive
    expect_rc 0
    expect_err_lines 1
    nchecks=$((nchecks + 1))
    grep -q "AUTO_HBW_SIZE" "$err" || fail "$ctx: $(cat "$err")"
done
for v in MEMKIND_FOO memkind_hbw MEMKIND_REGULAR ""; do
    ctx="AUTO_HBW_MEM_TYPE=\"$v\""
    autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M \
        AUTO_HBW_MEM_TYPE="$v" -- "$app" passive
    expect_rc 0
    expect_err_lines 1
    nchecks=$((nchecks + 1))
    grep -q "AUTO_HBW_MEM_TYPE" "$err" || fail "$ctx: $(cat "$err")"
done
for v in x 3 -2 ""; do
    ctx="AUTO_HBW_LOG=\"$v\""
    autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M \
        AUTO_HBW_LOG="$v" -- "$app" routing MEMKIND_HBW_PREFERRED
    expect_rc 0
    nchecks=$((nchecks + 1))
    grep -q "AUTO_HBW_LOG must be" "$err" || fail "$ctx: $(head -n 2 "$err")"
done

# Sizes: x and y with K, M or G, case-insensitive; y optional.
for v in 1048576:4194304 1024K:4096K 1m:4m 1M; do
    ctx="AUTO_HBW_SIZE=$v"
    autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE="$v" \
        AUTO_HBW_LOG=-1 -- "$app" routing MEMKIND_HBW_PREFERRED
    # "1M" alone has no upper limit: 4M and 8M blocks are redirected too,
    # which the routing checks count as failures; only the others pass.
    if [ "$v" = 1M ]; then
        nchecks=$((nchecks + 1))
        grep -q "malloc outside the range: block from MEMKIND_HBW_PREFERRED" "$out" ||
            fail "$ctx: 4M/8M not redirected without an upper limit"
    else
        expect_rc 0
    fi
done

ctx="AUTO_HBW_LOG=-1"
autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M AUTO_HBW_LOG=-1 \
    -- "$app" routing MEMKIND_HBW_PREFERRED
expect_err_lines 0
ctx="AUTO_HBW_LOG=0"
autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M AUTO_HBW_LOG=0 \
    -- "$app" routing MEMKIND_HBW_PREFERRED
expect_err_lines 1
nchecks=$((nchecks + 1))
grep -q "^autohbw: allocations larger than 1048576 and smaller than 4194304 bytes go to MEMKIND_HBW_PREFERRED$" "$err" ||
    fail "$ctx: $(cat "$err")"
ctx="AUTO_HBW_LOG=1 (default)"
autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M \
    -- "$app" routing MEMKIND_HBW_PREFERRED
expect_rc 0
nchecks=$((nchecks + 1))
grep -Eq "^autohbw: malloc\(2097152\) = 0x[0-9a-f]+ from MEMKIND_HBW_PREFERRED$" "$err" ||
    fail "$ctx: no line for malloc(2M): $(head -n 3 "$err")"
nchecks=$((nchecks + 1))
grep -Eq "^autohbw: calloc\(2097152\) = " "$err" || fail "$ctx: no calloc line"
n1=$(grep -c "^autohbw: [a-z_]*(" "$err")
ctx="AUTO_HBW_LOG=2"
autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M AUTO_HBW_LOG=2 \
    -- "$app" routing MEMKIND_HBW_PREFERRED
expect_rc 0
n2=$(wc -l <"$err")
nchecks=$((nchecks + 1))
[ "$n2" -gt $((n1 * 2)) ] || fail "$ctx: $n2 lines, no backtraces?"
nchecks=$((nchecks + 1))
grep -q "autohbw_app" "$err" || fail "$ctx: backtrace does not name the program"
ctx="AUTO_HBW_DEBUG=2"
autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=1M:4M AUTO_HBW_LOG=-1 \
    AUTO_HBW_DEBUG=2 -- "$app" passive
nchecks=$((nchecks + 1))
grep -q "^autohbw: debug: malloc(16) from the C library" "$err" ||
    fail "$ctx: $(head -n 3 "$err")"

finish
