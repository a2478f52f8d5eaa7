#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# kind-api-overrides.sh: the whole kind API suite (test/api/kind_api_test,
# every behaviour all kinds share) over the HBW, DAX_KMEM and attribute
# kinds, which a machine without such memory would only skip: every memory
# node plays the HBW and the KMEM DAX node (MEMKIND_HBW_NODES=all,
# MEMKIND_DAX_KMEM_NODES=all) and, on a one-node machine built with hwloc,
# an hwloc topology with bandwidth and latency makes the *_LOCAL kinds
# available too.
set -u
b=${top_builddir:-.}
bin=$b/test/api/kind_api_test
[ -x "$bin" ] || { echo "SKIP: $bin not built"; exit 77; }
unset MEMKIND_HBW_THRESHOLD HWLOC_XMLFILE
tmpd=$(mktemp -d "${TMPDIR:-/tmp}/mk-kindapi.XXXXXX") || exit 99
trap 'rm -rf "$tmpd"' EXIT HUP INT TERM

xml=""
one_node=no
[ "$(cat /sys/devices/system/node/has_memory 2>/dev/null || echo 0)" = 0 ] &&
    one_node=yes
if [ -x "$b/test/env/mk_topology_xml" ] && [ $one_node = yes ] &&
    "$b/test/env/mk_topology_xml" "$tmpd/t.xml" \
        "pack:1 [numa(memory=8GB)] core:2 pu:1" bw:0:0:300000 lat:0:0:80; then
    xml=$tmpd/t.xml
    echo "hwloc topology with bandwidth and latency: $xml"
fi
# shellcheck disable=SC2086  # MK_TEST_PREFIX is a word list
HWLOC_XMLFILE=$xml MEMKIND_HBW_NODES=all MEMKIND_DAX_KMEM_NODES=all \
    ${MK_TEST_PREFIX:-} "$bin" --gtest_filter='Hbw/*:DaxKmem/*:Capacity/*'
