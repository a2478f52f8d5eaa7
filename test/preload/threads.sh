#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# threads.sh: waves of threads that allocate with every function and free
# each other's blocks (mt_threads.c), under each tier configuration.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
app=$top_builddir/test/preload/mt_threads
pl_need "$app"
for cfg in $PL_CONFIGS; do
    pl_expect "mt_threads [$cfg]" "$(pl_tiers "$cfg")" "$app"
done
pl_exit
