#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# fork.sh: fork() under libmemtier (mt_fork.c): parent and child heaps stay
# apart (FS_DAX tiers included) and both keep allocating; fork while
# threads allocate.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
app=$top_builddir/test/preload/mt_fork
pl_need "$app"
for cfg in $PL_CONFIGS; do
    pl_expect "mt_fork [$cfg]" "$(pl_tiers "$cfg")" "$app"
done
pl_exit
