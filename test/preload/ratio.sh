#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ratio.sh: placement (mt_ratio.c).  STATIC_RATIO keeps the bytes of the
# DRAM and FS_DAX tiers at their RATIOs, checked block by block with
# memkind_detect_kind() and with memtier_kind_allocated_size();
# DYNAMIC_THRESHOLD with a frozen threshold splits by size; with the
# default thresholds it moves the threshold towards the ratio.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
app=$top_builddir/test/preload/mt_ratio
pl_need "$app"

for r in 1:1 1:4 3:1; do
    d=${r%:*} f=${r#*:}
    pl_expect "STATIC_RATIO RATIO:$d / RATIO:$f" \
        "KIND:DRAM,RATIO:$d;KIND:FS_DAX,PATH:$PL_PMEM,RATIO:$f;POLICY:STATIC_RATIO" \
        "$app" static "$d" "$f"
done

dyn="KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:$PL_PMEM,RATIO:1;POLICY:DYNAMIC_THRESHOLD"
MEMKIND_MEM_THRESHOLDS="INIT_VAL:300,MIN_VAL:300,MAX_VAL:300"
export MEMKIND_MEM_THRESHOLDS
pl_expect "DYNAMIC_THRESHOLD frozen at 300 bytes" "$dyn" "$app" split 300
unset MEMKIND_MEM_THRESHOLDS
pl_expect "DYNAMIC_THRESHOLD, default thresholds, 1:1" "$dyn" "$app" adapt 1 1
pl_exit
