#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# fuzz.sh build|run [SECONDS]: the libFuzzer targets of test/fuzz
# (`make fuzz-all` builds them, `make check-fuzz` builds and runs each for
# MK_FUZZ_SECONDS, default 60, MK_FUZZ_JOBS of them at a time, default the
# number of CPUs).  Seeds: test/fuzz/corpus-NAME (NAME is the
# target without fuzz_; fuzz_memtier_ctl uses corpus-memtier, which
# test/preload/preload.mk's `make fuzz` also reads).
#
# Targets, one per parser of external input:
#   fuzz_env          MEMKIND_* core variables (src/env.c)
#   fuzz_nodelist     MEMKIND_HBW_NODES / MEMKIND_DAX_KMEM_NODES (src/numa.c)
#   fuzz_pmem_config  memkind_config path/size/policy, memkind_create_pmem*
#   fuzz_memtier_ctl  MEMKIND_MEM_TIERS / _THRESHOLDS (memtier_preload/ctl.c)
#   fuzz_autohbw      AUTO_HBW_* (src/autohbw/autohbw_env.c)
#   fuzz_error_message memkind_error_message() over every int (src/memkind.c)
# A target whose parser is not in the tree is skipped.
#
# Everything is compiled here with clang (Debian's clang and
# libclang-rt-14-dev provide libFuzzer): the library sources with
# -fsanitize=fuzzer-no-link,address,undefined, so the fuzzer sees their
# coverage, and linked with the private jemalloc the main build made.
# Output and corpora go to $top_builddir/_build/fuzz; each target leaves a
# .log and a .trs there (test/summary.sh counts them).
#
# Environment (set by test/hardening/hardening.mk): top_srcdir,
# top_builddir, JEMK_INC, JEMK_SRC, JEMK_LIB, MK_CORE_SOURCES,
# MK_JEMK_BASE_SOURCES, MK_FUZZ_LIBS.
set -u
mode=${1:-build}
secs=${2:-${MK_FUZZ_SECONDS:-60}}
src=${top_srcdir:?}
bld=${top_builddir:?}
out=$bld/_build/fuzz
cc=${MK_FUZZ_CC:-clang}

mkdir -p "$out/obj" || exit 1
rm -f "$out"/*.trs

# A fuzz run that cannot happen fails, counted in check-all's summary as
# fuzz-build.trs (.ci/install-deps installs clang and libclang-rt-14-dev).
build_fail()
{
    echo "fuzz: $*" | tee "$out/fuzz-build.log"
    [ "$mode" = run ] && echo ":test-result: FAIL" > "$out/fuzz-build.trs"
    exit 1
}

if ! command -v "$cc" >/dev/null 2>&1; then
    build_fail "$cc not found (install the Debian packages clang and libclang-rt-14-dev)"
fi

flags="-g -O1 -std=c11 -D_GNU_SOURCE -DMK_SANITIZERS=1
       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer -fvisibility=hidden
       -I$bld -I$src/include -I$JEMK_INC -I$src/src -I$src/src/memtier_preload
       -I$src/src/autohbw -I$src/test/fuzz"

# Compiles $1 to an object in $out/obj when it is newer; prints the path.
# $2: more compiler flags (placed first, so that -isystem wins over -I).
compile()
{
    o=$out/obj/$(echo "$1" | tr / _ | sed 's/\.c$/.o/')
    if [ ! -f "$o" ] || [ "$src/$1" -nt "$o" ] || [ "$bld/config.h" -nt "$o" ]; then
        # shellcheck disable=SC2086
        $cc ${2:-} $flags -c "$src/$1" -o "$o" || return 1
    fi
    echo "$o"
}

targets="fuzz_env fuzz_nodelist fuzz_pmem_config fuzz_memtier_ctl fuzz_autohbw
         fuzz_error_message"

# Extra sources a target needs besides the library.
extra_of()
{
    case "$1" in
        fuzz_memtier_ctl) echo src/memtier_preload/ctl.c ;;
        fuzz_autohbw) echo src/autohbw/autohbw_env.c ;;
    esac
}

# True when the parser of target $1 exists in this tree.
present()
{
    case "$1" in
        fuzz_nodelist) grep -q mk_nodelist_parse "$src/include/memkind/internal/memkind_numa.h" 2>/dev/null ;;
        *) for e in $(extra_of "$1"); do [ -f "$src/$e" ] || return 1; done ;;
    esac
}

build()
{
    lib=""
    for s in $MK_CORE_SOURCES; do
        case "$s" in *.c) ;; *) continue ;; esac
        o=$(compile "$s") || { echo "fuzz: cannot compile $s"; return 1; }
        lib="$lib $o"
    done
    # src/jemk_base.c reads jemalloc's internal headers (src/src.mk).
    for s in ${MK_JEMK_BASE_SOURCES:-}; do
        case "$s" in *.c) ;; *) continue ;; esac
        o=$(compile "$s" "-isystem $JEMK_INC -isystem ${JEMK_SRC:?}/include") ||
            { echo "fuzz: cannot compile $s"; return 1; }
        lib="$lib $o"
    done
    for t in $targets; do
        present "$t" || { echo "fuzz: $t: parser not in this tree, skipped"; continue; }
        objs=$(compile "test/fuzz/$t.c") || return 1
        for e in $(extra_of "$t"); do
            objs="$objs $(compile "$e")" || return 1
        done
        # shellcheck disable=SC2086
        $cc -fsanitize=fuzzer,address,undefined $objs $lib "$JEMK_LIB" \
            $MK_FUZZ_LIBS -lnuma -lpthread -ldl -lm -o "$out/$t" || return 1
    done
    echo "fuzz: targets built in $out"
}

# Runs one target for $secs seconds: its .log and .trs in $out; returns
# nonzero when it failed.
run_one()
{
    t=$1
    log=$out/$t.log trs=$out/$t.trs
    rm -f "$log" "$trs"
    if [ ! -x "$out/$t" ]; then
        echo ":test-result: SKIP" > "$trs"
        echo "SKIP: $t (parser not in this tree)" | tee "$log"
        return 0
    fi
    corpus=${t#fuzz_}
    [ "$t" = fuzz_memtier_ctl ] && corpus=memtier # the preload seeds
    work=$out/corpus-$corpus
    mkdir -p "$work"
    seeds=$src/test/fuzz/corpus-$corpus
    # The seeds are checked first: a regression fails at once.  Each run
    # has a TMPDIR of its own (fuzz_pmem_config's sandbox), removed
    # afterwards even when the target crashed.
    scratch=$(mktemp -d "$out/tmp-$t.XXXXXX") || return 1
    TMPDIR=$scratch "$out/$t" -max_total_time="$secs" -timeout=20 \
        -rss_limit_mb=4096 -print_final_stats=1 "$work" "$seeds" \
        > "$log" 2>&1
    r=$?
    rm -rf "$scratch"
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ $r = 0 ]; then
        echo ":test-result: PASS" > "$trs"
        echo "PASS: $t: ${n:-?} executions in $secs s, corpus $(ls "$work" | wc -l) inputs" | tee -a "$log"
        return 0
    fi
    echo ":test-result: FAIL" > "$trs"
    tail -n 40 "$log"
    echo "FAIL: $t (exit $r; crash input saved as $out/crash-* / ./crash-*)" | tee -a "$log"
    return 1
}

# Every target for $secs seconds, MK_FUZZ_JOBS (default: the CPUs) at a
# time: each libFuzzer process uses one CPU, so on CI's two cores the six
# targets take three minutes instead of six with the same time per target.
# Target i goes to group i mod jobs; each group runs its targets in turn.
run()
{
    jobs=${MK_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
    [ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
    g=0
    pids=""
    while [ $g -lt "$jobs" ]; do
        mine="" i=0
        for t in $targets; do
            [ $((i % jobs)) = $g ] && mine="$mine $t"
            i=$((i + 1))
        done
        if [ -n "$mine" ]; then
            (
                grc=0
                for t in $mine; do
                    run_one "$t" || grc=1
                done
                exit $grc
            ) &
            pids="$pids $!"
        fi
        g=$((g + 1))
    done
    rc=0
    for p in $pids; do
        wait "$p" || rc=1
    done
    return $rc
}

case "$mode" in
    build) build ;;
    run) build || build_fail "the targets did not build (no libFuzzer? libclang-rt-14-dev)"
         (cd "$out" && run) ;;
    *) echo "usage: fuzz.sh build|run [SECONDS]" >&2; exit 2 ;;
esac
