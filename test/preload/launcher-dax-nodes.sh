#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# launcher-dax-nodes.sh: the memtier(1) script and MEMKIND_DAX_KMEM_NODES
# (issue 14).  Without -r, memtier reads the variable as libmemtier will
# (through memkind-auto-dax-kmem-nodes, the library's parser): a list that
# is not one, or names a node without memory, is reported - the library's
# warning, then memtier's own line - and memtier exits 1 without running
# the program, as memtier(1) EXIT STATUS says and as 1.14 did.  A valid
# list gives the ratio of DRAM (nodes with CPUs, as 1.14's MEMKIND_REGULAR
# capacity) to the listed nodes.  With -r the variable is not read by
# memtier, as in 1.14.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
memtier=$top_builddir/src/memtier_preload/memtier
tool=$top_builddir/src/tools/memkind-auto-dax-kmem-nodes
pl_need "$memtier"
pl_need "$tool"
[ -d /sys/devices/system/node/node0 ] ||
    pl_skip "no /sys/devices/system/node/node0 (NUMA information unavailable)"
[ -n "$(tr -d ' \n' < /sys/devices/system/node/node0/cpulist 2>/dev/null)" ] ||
    pl_skip "node 0 has no CPUs: the expected ratio below assumes it has"

# A node id no machine here has: one more than the highest node.
last=0
for d in /sys/devices/system/node/node[0-9]*; do
    n=${d##*node}
    [ "$n" -gt "$last" ] && last=$n
done
absent=$((last + 1))
# "!0" names every node but 0: none (an error) where node 0 is the only
# node with memory, a valid list where there are others (the arm64 lane's
# guest has two nodes).  "!all" names none anywhere.
inv0_bad=""
inv0_ok="!0"
if [ "$(cat /sys/devices/system/node/has_memory 2>/dev/null)" = 0 ]; then
    inv0_bad="!0"
    inv0_ok=""
fi

# check LABEL WANT_RC WANT_TEXT NODES CMD...: with MEMKIND_DAX_KMEM_NODES
# set to NODES, CMD's exit status is WANT_RC and its output (stdout and
# stderr) contains WANT_TEXT.
check()
{
    label=$1 want_rc=$2 want=$3 nodes=$4
    shift 4
    out=$(MEMKIND_DAX_KMEM_NODES=$nodes "$@" 2>&1)
    rc=$?
    if [ "$rc" != "$want_rc" ]; then
        pl_fail "$label: exit status $rc, want $want_rc; output: $out"
    elif ! printf '%s\n' "$out" | grep -qF -- "$want"; then
        pl_fail "$label: output lacks '$want': $out"
    else
        pl_pass "$label"
    fi
}

# The program must not run after an invalid list: it would print RAN.
ran='echo RAN'
for nodes in abc "0," "0-" "-1" "0,x" "0 " "!all" $inv0_bad "$absent" "0-$absent"; do
    check "MEMKIND_DAX_KMEM_NODES='$nodes' is an error" 1 \
        "memtier: MEMKIND_DAX_KMEM_NODES=\"$nodes\" is not a valid list of NUMA nodes." \
        "$nodes" sh "$memtier" sh -c "$ran"
    out=$(MEMKIND_DAX_KMEM_NODES=$nodes sh "$memtier" sh -c "$ran" 2>&1)
    case $out in
        *RAN*) pl_fail "'$nodes': the program ran: $out" ;;
        *MEMKIND_WARNING:*) pl_pass "'$nodes': the library's reason is shown" ;;
        *) pl_fail "'$nodes': no MEMKIND_WARNING line: $out" ;;
    esac
done

# Valid lists, in the grammar libnuma and the library accept.  Node 0 has
# CPUs, so it counts as DRAM and as far memory, as in 1.14; on a machine
# with that one node the ratio is then 1:1.
want="Using ratio of DRAM:KMEM_DAX"
[ "$last" = 0 ] && want="setting MEMKIND_MEM_TIERS=KIND:DRAM,RATIO:1;KIND:KMEM_DAX,RATIO:1;POLICY:STATIC_RATIO"
for nodes in 0 "0,0" " 0" "+0" all $inv0_ok; do
    check "MEMKIND_DAX_KMEM_NODES='$nodes' is valid" 0 "$want" \
        "$nodes" sh "$memtier" -v true
done

# With -r memtier does not read the variable (1.14): the program runs and
# libmemtier reports the list itself.
check "-r: an invalid list is libmemtier's to report" 0 RAN abc \
    sh "$memtier" -r 1:0 sh -c "$ran"

# Empty is unset (1.14: automatic detection, no far memory here unless a
# node has no CPUs).
far=0
for d in /sys/devices/system/node/node[0-9]*; do
    [ -z "$(tr -d ' \n' < "$d/cpulist" 2>/dev/null)" ] && far=1
done
[ $far = 1 ] || check "empty MEMKIND_DAX_KMEM_NODES is unset" 1 \
    "memtier: there appears to be no KMEM_DAX devices installed in this system." \
    "" sh "$memtier" true
pl_exit
