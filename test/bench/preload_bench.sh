#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# preload_bench.sh: wall time and peak RSS of real programs under
# libmemtier (`make bench-preload`; not part of make check).
#
# The workloads are those of the preload tests (test/preload/workloads.sh:
# python3, sqlite3, sort, gzip, git, perl).  Each is run, in interleaved
# rounds, three ways:
#   glibc   no preload
#   ours    LD_PRELOAD=.libs/libmemtier.so with one DRAM tier
#   1.14    Debian's memkind 1.14 libmemtier.so.0 with one DRAM tier
#           (LD_LIBRARY_PATH points at its libmemkind.so.0)
# and measured with /usr/bin/time: wall seconds, CPU seconds (user + system,
# all processes; steadier than wall time on a busy machine) and the peak
# RSS of the largest process.  The tables give medians and the ratio to
# glibc.  The output of every run is checked against the glibc run.
#
# Environment:
#   BENCH_ROUNDS       rounds (default 7)
#   BENCH_WORKLOADS    workloads to run (default: all)
#   BENCH_TIERS        MEMKIND_MEM_TIERS for both libraries
#                      (default KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO)
#   MEMKIND_114_LIBDIR directory of Debian's libmemtier.so.0 and
#                      libmemkind.so.0 1.14 (default
#                      /tmp/ref/root/usr/lib/x86_64-linux-gnu); the 1.14
#                      column is left out when they are not there
#   BENCH_DIR          where the workloads run (default /dev/shm when
#                      writable, else $TMPDIR or /tmp: disk I/O of other
#                      processes then disturbs the timings less)
#   BENCH_OUT          directory for raw results "wall kib cpu" (default: a
#                      temporary one)

set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
. "$top_srcdir/test/preload/workloads.sh"

rounds=${BENCH_ROUNDS:-7}
names=${BENCH_WORKLOADS:-$WL_NAMES}
tiers=${BENCH_TIERS:-"KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO"}
ref=${MEMKIND_114_LIBDIR:-/tmp/ref/root/usr/lib/x86_64-linux-gnu}
ours=$(cd "$top_builddir/.libs" && pwd -P)/libmemtier.so
timecmd=/usr/bin/time

[ -e "$ours" ] || { echo "preload_bench: $ours not found (run make)" >&2; exit 1; }
[ -x "$timecmd" ] ||
    { echo "preload_bench: $timecmd not found (Debian package time)" >&2; exit 1; }
variants="glibc ours"
if [ -e "$ref/libmemtier.so.0" ] && [ -e "$ref/libmemkind.so.0" ]; then
    variants="$variants 1.14"
else
    echo "preload_bench: no memkind 1.14 in $ref: its column is left out" >&2
fi

dir=${BENCH_DIR:-}
if [ -z "$dir" ]; then
    dir=${TMPDIR:-/tmp}
    [ -d /dev/shm ] && [ -w /dev/shm ] && dir=/dev/shm
fi
work=$(mktemp -d "$dir/mk-bench-preload.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
out=${BENCH_OUT:-$work/results}
mkdir -p "$out"

# run VARIANT NAME: one timed run; appends "wall kib cpu" to
# $out/NAME.VARIANT and checks the output against glibc's.
run()
{
    v=$1 n=$2
    set -- sh -c '. "$1"; wl_run "$2" "$3"' sh \
        "$top_srcdir/test/preload/workloads.sh" "$n" "$work/$n"
    case $v in
        ours) set -- env LD_PRELOAD="$ours" MEMKIND_MEM_TIERS="$tiers" "$@" ;;
        1.14) set -- env LD_LIBRARY_PATH="$ref" \
                  LD_PRELOAD="$ref/libmemtier.so.0" MEMKIND_MEM_TIERS="$tiers" "$@" ;;
    esac
    "$timecmd" -f "%e %M %U %S" -o "$work/time" "$@" \
        > "$work/$n.$v.out" 2> "$work/$n.$v.err"
    rc=$?
    if [ $rc != 0 ]; then
        echo "preload_bench: $n [$v] failed (exit status $rc):" >&2
        head -n 5 "$work/$n.$v.err" >&2
        echo "fail fail fail" >> "$out/$n.$v"
        return
    fi
    if [ "$v" != glibc ] && ! cmp -s "$work/$n.glibc.out" "$work/$n.$v.out"; then
        echo "preload_bench: $n [$v]: output differs from glibc's" >&2
    fi
    tail -n 1 "$work/time" | awk '{ print $1, $2, $3 + $4 }' >> "$out/$n.$v"
}

# median FILE COLUMN
median()
{
    awk -v c="$2" '$c != "fail" { print $c }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END {
            if (NR == 0) print "fail"
            else if (NR % 2) print v[(NR + 1) / 2]
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for n in $names; do
    for c in $(wl_need "$n"); do
        command -v "$c" >/dev/null 2>&1 ||
            { echo "preload_bench: $c missing: $n left out" >&2; continue 2; }
    done
    mkdir -p "$work/$n"
    wl_prepare "$n" "$work/$n"
    run glibc "$n" # warm-up (file cache), not counted
    : > "$out/$n.glibc"
    for r in $(seq 1 "$rounds"); do
        for v in $variants; do
            run "$v" "$n"
        done
    done
    done_names="${done_names:-} $n"
done

# table TITLE COLUMN SCALE FORMAT: medians of COLUMN (divided by SCALE)
# per workload and variant, with the ratio to glibc.
table()
{
    echo
    printf '%-8s' "$1"
    for v in $variants; do printf ' %16s' "$v"; done
    echo
    for n in ${done_names:-}; do
        g=$(median "$out/$n.glibc" "$2")
        printf '%-8s' "$n"
        for v in $variants; do
            m=$(median "$out/$n.$v" "$2")
            printf ' %16s' "$(awk -v m="$m" -v g="$g" -v s="$3" -v f="$4" 'BEGIN {
                if (m == "fail") { print m; exit }
                x = sprintf(f, m / s)
                if (g != "fail" && g > 0) x = x sprintf(" (%.3fx)", m / g)
                print x }')"
        done
        echo
    done
}

echo "memtier preload benchmark: $rounds interleaved rounds, medians"
echo "MEMKIND_MEM_TIERS=$tiers; $(uname -m), $(nproc) CPUs, load average" \
     "$(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%d)"
table "wall s" 1 1 "%.2f"
table "CPU s" 3 1 "%.2f"
table "RSS MiB" 2 1024 "%.1f"
