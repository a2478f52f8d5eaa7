#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# memattrs.sh: node discovery from memory attributes (hwloc, HMAT), on
# topologies given to hwloc through HWLOC_XMLFILE:
#  - MEMKIND_HBW: nodes whose bandwidth from the CPU's node is at least
#    MEMKIND_HBW_THRESHOLD MB/s (default 204800), else
#    MEMKIND_ERROR_MEMTYPE_NOT_AVAILABLE (-20) - the values memkind 1.14
#    gives on the same topologies;
#  - the *_LOCAL kinds need locality (capacity) or the attribute itself
#    (latency, bandwidth), else -20.
# The XML describes one NUMA node (node 0), so machines with more nodes
# skip this scenario.
. "$top_srcdir/test/env/env-lib.sh"

gen=$top_builddir/test/env/mk_topology_xml
[ -x "$gen" ] || skip "built without hwloc (no $gen)"
[ "$(memory_nodes | wc -l)" = 1 ] && [ "$(memory_nodes)" = 0 ] ||
    skip "the XML topologies describe a one-node machine; this one has $(memory_nodes | paste -s -d, -)"

PROBE_ARGS=alloc
synth="pack:1 [numa(memory=8GB)] core:2 pu:1"
# xml NAME ATTR...: writes $tmpd/NAME.xml.  Runs in this shell, not in a
# command substitution, so that a failure is counted.
xml()
{
    nchecks=$((nchecks + 1))
    f=$tmpd/$1.xml
    shift
    "$gen" "$f" "$synth" "$@" || fail "mk_topology_xml $*"
}
xml bw300 bw:0:0:300000
xml bw_edge bw:0:0:204800
xml bw_low bw:0:0:204799
xml none
xml both bw:0:0:300000 lat:0:0:80
bw300=$tmpd/bw300.xml bw_edge=$tmpd/bw_edge.xml bw_low=$tmpd/bw_low.xml
none=$tmpd/none.xml both=$tmpd/both.xml

ctx="bandwidth 300000 from node 0"
probe HWLOC_XMLFILE="$bw300"
expect_line "hbw_nodes=0"
expect_match "^MEMKIND_HBW check=0 cap=[1-9][0-9]* node=0$"
expect_line "MEMKIND_HBW_PREFERRED check=0 cap=-1 node=0"
expect_line "hbw_check_available=0"
expect_match "^MEMKIND_HIGHEST_BANDWIDTH_LOCAL check=0 cap=[1-9][0-9]* node=0$"
expect_line "MEMKIND_LOWEST_LATENCY_LOCAL check=-20 cap=-1"
expect_err_lines 0

ctx="bandwidth exactly the default threshold"
probe HWLOC_XMLFILE="$bw_edge"
expect_line "hbw_nodes=0"

ctx="bandwidth one below the default threshold"
probe HWLOC_XMLFILE="$bw_low"
expect_line "hbw_nodes=error -20"
expect_line "MEMKIND_HBW check=-20 cap=-1"
expect_line "hbw_check_available=19"
expect_line "hbw_malloc=MEMKIND_DEFAULT"
expect_err_lines 0

for t in 0 1 300000 " 300000" "+300000"; do
    ctx="MEMKIND_HBW_THRESHOLD=\"$t\""
    probe HWLOC_XMLFILE="$bw300" MEMKIND_HBW_THRESHOLD="$t"
    expect_line "hbw_nodes=0"
done
ctx="MEMKIND_HBW_THRESHOLD above the bandwidth"
probe HWLOC_XMLFILE="$bw300" MEMKIND_HBW_THRESHOLD=300001
expect_line "hbw_nodes=error -20"
ctx="MEMKIND_HBW_THRESHOLD lowered"
probe HWLOC_XMLFILE="$bw_low" MEMKIND_HBW_THRESHOLD=204799
expect_line "hbw_nodes=0"
ctx="MEMKIND_HBW_THRESHOLD malformed"
probe HWLOC_XMLFILE="$bw300" MEMKIND_HBW_THRESHOLD=-5
expect_line "hbw_nodes=error -12"
expect_err_lines 1

ctx="no attributes"
probe HWLOC_XMLFILE="$none"
expect_line "hbw_nodes=error -20"
for k in MEMKIND_LOWEST_LATENCY_LOCAL MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED \
    MEMKIND_HIGHEST_BANDWIDTH_LOCAL MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED; do
    expect_line "$k check=-20 cap=-1"
done
# Locality alone is enough for the capacity kinds.
expect_match "^MEMKIND_HIGHEST_CAPACITY_LOCAL check=0 cap=[1-9][0-9]* node=0$"
expect_line "MEMKIND_HIGHEST_CAPACITY_LOCAL_PREFERRED check=0 cap=-1 node=0"
expect_match "^MEMKIND_HIGHEST_CAPACITY check=0 cap=[1-9][0-9]* node=0$"

ctx="no attributes, MEMKIND_HBW_NODES set"
probe HWLOC_XMLFILE="$none" MEMKIND_HBW_NODES=0
expect_line "hbw_nodes=0"

# libhwloc is dlopen()ed when attributes are first needed: a library that
# cannot be loaded, lacks hwloc's functions or has another major API
# version leaves every attribute unknown (as without hwloc), and nothing
# else changes.
fakes=$top_builddir/test/env/fakehwloc
for f in empty old unresolved; do
    ctx="unusable libhwloc ($f)"
    [ -f "$fakes/$f/libhwloc.so.15" ] || fail "$ctx: no $fakes/$f/libhwloc.so.15"
    probe HWLOC_XMLFILE="$bw300" LD_LIBRARY_PATH="$fakes/$f" \
        MEMKIND_DEBUG=1
    expect_line "hbw_nodes=error -20"
    expect_line "MEMKIND_HBW check=-20 cap=-1"
    expect_line "MEMKIND_HIGHEST_BANDWIDTH_LOCAL check=-20 cap=-1"
    expect_line "hbw_malloc=MEMKIND_DEFAULT"
    nchecks=$((nchecks + 1))
    grep -q "libhwloc" "$err" ||
        fail "$ctx: the reason is not logged: $(tr '\n' '|' <"$err")"
done

ctx="bandwidth and latency"
probe HWLOC_XMLFILE="$both"
expect_match "^MEMKIND_LOWEST_LATENCY_LOCAL check=0 cap=[1-9][0-9]* node=0$"
expect_line "MEMKIND_LOWEST_LATENCY_LOCAL_PREFERRED check=0 cap=-1 node=0"
expect_match "^MEMKIND_HIGHEST_BANDWIDTH_LOCAL check=0 cap=[1-9][0-9]* node=0$"
expect_line "MEMKIND_HIGHEST_BANDWIDTH_LOCAL_PREFERRED check=0 cap=-1 node=0"
expect_err_lines 0

finish
