#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# config.sh: MEMKIND_MEM_TIERS and friends as the preloaded library reads
# them.  A value libmemtier cannot use gives exactly one message on stderr
# and the program runs to its end on the C library's allocator (memkind
# 1.14 aborted); a good one gives silence and tiered blocks; the log level
# variables (ours and 1.14's name) add information.  mt_ratio probe prints
# where a new block comes from.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
app=$top_builddir/test/preload/mt_ratio
pl_need "$app"

# refused LABEL FRAGMENT: the last run printed "libc", exited 0 and wrote
# one line on stderr containing FRAGMENT.
refused()
{
    out=$PL_TMP/probe.out
    if [ "$rc" != 0 ] || [ "$(cat "$out")" != libc ]; then
        pl_fail "$1: exit status $rc, block from $(cat "$out")"
        sed 's/^/    /' "$out.err" | head -n 5
    elif [ "$(wc -l < "$out.err")" != 1 ]; then
        pl_fail "$1: $(wc -l < "$out.err") lines on stderr, want one:"
        sed 's/^/    /' "$out.err" | head -n 5
    elif ! grep -qF -- "$2" "$out.err" ||
         ! grep -q "libmemtier: .*; the program runs on the C library's malloc" "$out.err"; then
        pl_fail "$1: message lacks '$2': $(cat "$out.err")"
    else
        pl_pass "$1: $(cat "$out.err")"
    fi
}

# bad TIERS FRAGMENT [THRESHOLDS]
bad()
{
    if [ $# -ge 3 ]; then
        MEMKIND_MEM_THRESHOLDS=$3
        export MEMKIND_MEM_THRESHOLDS
    fi
    rc=$(pl_run "$1" "$PL_TMP/probe.out" "$app" probe)
    unset MEMKIND_MEM_THRESHOLDS
    refused "MEMKIND_MEM_TIERS=\"$1\"${3+ MEMKIND_MEM_THRESHOLDS=\"$3\"}" "$2"
}

rc=$(env LD_PRELOAD="$PL_LIB" "$app" probe > "$PL_TMP/probe.out" 2> "$PL_TMP/probe.out.err"; echo $?)
refused "MEMKIND_MEM_TIERS unset" "MEMKIND_MEM_TIERS is not set"
rc=$(env LD_PRELOAD="$PL_LIB" MEMKIND_MEM_TIERS= "$app" probe > "$PL_TMP/probe.out" 2> "$PL_TMP/probe.out.err"; echo $?)
refused "MEMKIND_MEM_TIERS empty" "MEMKIND_MEM_TIERS is empty"

touch "$PL_TMP/file"
bad "KIND:FOO,RATIO:1;POLICY:STATIC_RATIO" "unknown KIND FOO"
bad "KIND:DRAM,RATIO:1" "the last item must be POLICY"
bad "KIND:DRAM,RATIO:0;POLICY:STATIC_RATIO" "RATIO 0 is not a whole number"
bad "KIND:DRAM,RATIO:1;POLICY:DYNAMIC_THRESHOLD" "needs at least 2 tiers"
bad "KIND:FS_DAX,PATH:$PL_TMP/none,RATIO:1;POLICY:STATIC_RATIO" \
    "PATH $PL_TMP/none: No such file or directory"
bad "KIND:FS_DAX,PATH:$PL_TMP/file,RATIO:1;POLICY:STATIC_RATIO" \
    "PATH $PL_TMP/file: not a directory"
bad "KIND:FS_DAX,PATH:$PL_PMEM,PMEM_SIZE_LIMIT:1K,RATIO:1;POLICY:STATIC_RATIO" \
    "tier 1: cannot create an FS_DAX kind in $PL_PMEM with PMEM_SIZE_LIMIT 1024"
bad "KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:$PL_PMEM,RATIO:1;POLICY:DYNAMIC_THRESHOLD" \
    "INIT_VAL 64 is not between MIN_VAL 513 and MAX_VAL 1536" "INIT_VAL:64"
bad "KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO" \
    "applies only to POLICY:DYNAMIC_THRESHOLD" "INIT_VAL:64"
# A newline in the value does not split the message.
bad "KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO
KIND:DRAM" "unknown POLICY STATIC_RATIO?KIND:DRAM"
# KMEM_DAX needs memory-only NUMA nodes; on machines without them it is
# refused like any unusable tier.
far=0
for d in /sys/devices/system/node/node[0-9]*; do
    [ -z "$(tr -d ' \n' < "$d/cpulist" 2>/dev/null)" ] && far=1
done
if [ $far = 0 ] && [ -z "${MEMKIND_DAX_KMEM_NODES:-}" ]; then
    bad "KIND:KMEM_DAX,RATIO:1;POLICY:STATIC_RATIO" "no KMEM DAX memory"
fi

# Good values: silence, tiered blocks.
for cfg in $PL_CONFIGS; do
    rc=$(pl_run "$(pl_tiers "$cfg")" "$PL_TMP/probe.out" "$app" probe)
    if [ "$rc" = 0 ] && [ "$(cat "$PL_TMP/probe.out")" = tier ] &&
       [ ! -s "$PL_TMP/probe.out.err" ]; then
        pl_pass "$cfg: silent, blocks from the tiers"
    else
        pl_fail "$cfg: exit status $rc, block from $(cat "$PL_TMP/probe.out"), stderr: $(cat "$PL_TMP/probe.out.err")"
    fi
done

# Log levels.
level()
{
    var=$1 val=$2
    shift 2
    rc=$(env "$var=$val" LD_PRELOAD="$PL_LIB" MEMKIND_MEM_TIERS="$PL_MIXED" \
         "$app" probe > "$PL_TMP/probe.out" 2> "$PL_TMP/probe.out.err"; echo $?)
    ok=1
    [ "$rc" = 0 ] && [ "$(cat "$PL_TMP/probe.out")" = tier ] || ok=0
    for want in "$@"; do
        case $want in
            !*) grep -qF -- "${want#!}" "$PL_TMP/probe.out.err" && ok=0 ;;
            *) grep -qF -- "$want" "$PL_TMP/probe.out.err" || ok=0 ;;
        esac
    done
    if [ $ok = 1 ]; then
        pl_pass "$var=$val: $(wc -l < "$PL_TMP/probe.out.err") lines on stderr"
    else
        pl_fail "$var=$val: exit status $rc; stderr:"
        sed 's/^/    /' "$PL_TMP/probe.out.err" | head -n 10
    fi
}
level MEMKIND_MEM_TIERS_LOG_LEVEL 0 "!libmemtier"
level MEMKIND_MEM_TIERS_LOG_LEVEL 1 "libmemtier: tier 1: DRAM, ratio 1" \
    "libmemtier: tier 2: FS_DAX in $PL_PMEM, limit 0, ratio 1" \
    "libmemtier: policy STATIC_RATIO" "libmemtier: loaded" \
    "libmemtier: unloading" "!bootstrap region used before"
level MEMKIND_MEM_TIERS_LOG_LEVEL 2 "libmemtier: loaded" \
    "bootstrap region used before start-up"
level MEMKIND_MEM_TIERING_LOG_LEVEL 1 "libmemtier: loaded"
level MEMKIND_MEM_TIERS_LOG_LEVEL 7 \
    "libmemtier: MEMKIND_MEM_TIERS_LOG_LEVEL=7 is not 0, 1 or 2; using 0" \
    "!libmemtier: loaded"
pl_exit
