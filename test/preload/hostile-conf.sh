#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# hostile-conf.sh: libmemtier's free() under a hostile JEMK_MALLOC_CONF
# (issue 15).  free() asks memkind_detect_kind() whether a pointer is the
# library's; a conf that turned off what detection depends on would send
# jemalloc's memory to the C library's free (a crash) or keep the C
# library's.  mt_api (every interposed function) runs under each tier
# configuration with each value, mt_threads (blocks freed by other threads)
# under the mixed tiers with the first; each must pass and print only the
# one warning per ignored setting.  About 10 s of CPU on a 2-core machine
# (mt_threads alone: about 6 s).
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
for app in "$top_builddir/test/preload/mt_api" \
    "$top_builddir/test/preload/mt_threads"; do
    pl_need "$app"
done

for conf in "retain:false,dirty_decay_ms:0,muzzy_decay_ms:0" \
    "dss:primary,retain:false,hpa:true"; do
    nwarn=1
    case $conf in dss:*) nwarn=2 ;; esac
    for cfg in $PL_CONFIGS; do
        apps=mt_api
        case $conf,$cfg in retain:*,MIXED) apps="mt_api mt_threads" ;; esac
        for app in $apps; do
            label="$app [$cfg] JEMK_MALLOC_CONF=$conf"
            arg=
            [ "$app" = mt_api ] && arg=tiered
            rc=$(JEMK_MALLOC_CONF=$conf pl_run "$(pl_tiers "$cfg")" \
                "$PL_TMP/h.out" "$top_builddir/test/preload/$app" $arg)
            e=$PL_TMP/h.out.err
            n=$(grep -c 'MEMKIND_WARNING: JEMK_MALLOC_CONF: .* ignored' "$e")
            other=$(grep -vc 'MEMKIND_WARNING: JEMK_MALLOC_CONF: .* ignored' "$e")
            if [ "$rc" != 0 ]; then
                pl_fail "$label: exit status $rc"
                cat "$PL_TMP/h.out" "$e" | grep -v '^PASS' | head -n 20 |
                    sed 's/^/    /'
            elif [ "$n" != "$nwarn" ] || [ "$other" != 0 ]; then
                pl_fail "$label: $n warning lines ($nwarn expected), $other other lines:"
                head -n 5 "$e" | sed 's/^/    /'
            else
                pl_pass "$label: $(tail -n 1 "$PL_TMP/h.out")"
            fi
        done
    done
done
pl_exit
