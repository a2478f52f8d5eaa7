#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# api.sh: every interposed function, edge cases included (mt_api.c): first
# without the preload, which proves the expectations are glibc's, then
# under each tier configuration, then with a configuration libmemtier
# refuses (everything must then come from the C library).
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
app=$top_builddir/test/preload/mt_api
pl_need "$app"

pl_expect "mt_api, no preload" "" "$app" plain
for cfg in $PL_CONFIGS; do
    pl_expect "mt_api [$cfg]" "$(pl_tiers "$cfg")" "$app" tiered
done

rc=$(pl_run "KIND:DRAM,RATIO:1;POLICY:NONE" "$PL_TMP/libc.out" "$app" libc)
if [ "$rc" = 0 ] && [ "$(wc -l < "$PL_TMP/libc.out.err")" = 1 ]; then
    pl_pass "mt_api, refused configuration: $(tail -n 1 "$PL_TMP/libc.out")"
else
    pl_fail "mt_api, refused configuration: exit status $rc"
    cat "$PL_TMP/libc.out" "$PL_TMP/libc.out.err" | head -n 30 | sed 's/^/    /'
fi
pl_exit
