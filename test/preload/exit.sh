#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# exit.sh: the heap at exit and before start-up (mt_exit.c, mt_early.c).
# mt_exit leaves all its output in a malloc()ed stdio buffer for the C
# library's final flush, allocates in an atexit handler and a destructor,
# and keeps a thread allocating while it exits; the output must be the
# plain run's, byte for byte (memkind 1.14 lost sqlite3's buffered output
# at exit).  Then libmt_early.so is preloaded after libmemtier: it
# allocates before libmemtier's constructor (bootstrap region) and after
# its destructor, and frees blocks of main() there.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
app=$top_builddir/test/preload/mt_exit
early=$top_builddir/test/preload/.libs/libmt_early.so
pl_need "$app"
pl_need "$early"

for round in 1 2 3; do
    pl_compare "mt_exit 20000, run $round" "$app" 20000
done

PL_EXTRA_PRELOAD=$early
pl_compare "mt_exit with libmt_early.so" "$app" 2000
for cfg in $PL_CONFIGS; do
    line=$(grep '^mt_early:' "$PL_TMP/$cfg.out")
    case $line in
        "mt_early: constructor 0 errors; destructor 0 errors in its blocks, 0 in 32 blocks of main, 0 in new blocks")
            pl_pass "libmt_early.so [$cfg]: $line" ;;
        *) pl_fail "libmt_early.so [$cfg]: ${line:-no report}" ;;
    esac
done
pl_exit
