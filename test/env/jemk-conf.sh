#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# jemk-conf.sh: a hostile JEMK_MALLOC_CONF cannot mislead
# memkind_detect_kind() (issue 15).  The private jemalloc reads its options
# from JEMK_MALLOC_CONF; the library forces the ones detection depends on
# (retain:true, dss:disabled), ignores the user's values for them and says
# so in one warning line per ignored setting.  Under each value:
#   - unit_test's JemallocOptions.* reads the options jemalloc really uses;
#   - jemk_conf_probe allocates, grows, frees and reuses DEFAULT, PMEM and
#     (where available) REGULAR memory and checks memkind_detect_kind() on
#     every object (first byte, last byte, every 64 KiB between);
#   - stderr has exactly the expected warning lines.
# libmemtier's free() under the same values: test/preload/hostile-conf.sh.
# About 10 s of CPU on a 2-core machine (the probe: about 1 s a run).
. "$top_srcdir/test/env/env-lib.sh"

probe=$top_builddir/test/env/jemk_conf_probe
unit=$top_builddir/test/unit/unit_test
[ -x "$probe" ] || { echo "FAIL: $probe not built"; exit 1; }
mkdir -p "$tmpd/pmem"

# conf | warning lines expected
while IFS='|' read -r conf nwarn; do
    ctx="[$conf]"
    [ "$conf" = "(none)" ] && conf=
    JEMK_MALLOC_CONF=$conf "$probe" "$tmpd/pmem" > "$out" 2> "$err"
    rc=$?
    check "[ $rc -eq 0 ]" "[$conf] jemk_conf_probe exited $rc: $(head -n 5 "$out")"
    expect_match "^checked [1-9]"
    n=$(grep -c 'MEMKIND_WARNING: JEMK_MALLOC_CONF: .* ignored' "$err")
    check "[ $n -eq $nwarn ]" "[$conf] $n warning lines, $nwarn expected: $(head -n 5 "$err")"
    others=$(grep -vc 'MEMKIND_WARNING: JEMK_MALLOC_CONF: .* ignored' "$err")
    check "[ $others -eq 0 ]" "[$conf] other messages on stderr: $(head -n 5 "$err")"
    if [ -x "$unit" ]; then
        JEMK_MALLOC_CONF=$conf "$unit" --gtest_filter='JemallocOptions.*' \
            > "$out" 2> "$err"
        rc=$?
        check "[ $rc -eq 0 ]" "[$conf] unit_test JemallocOptions exited $rc: $(grep -m 3 'Failure\|turned' "$out")"
        expect_match "^\[       OK \] JemallocOptions\.DetectionOptionsAreForced"
    fi
done <<'CONFS'
(none)|0
retain:false|1
retain:false,dirty_decay_ms:0,muzzy_decay_ms:0|1
dss:primary|1
dss:secondary,retain:false|2
retain:true,dss:disabled|0
hpa:true,retain:false,dirty_decay_ms:0|1
CONFS
finish
