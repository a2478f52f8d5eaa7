#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# preload_bench.sh: wall time, CPU time and peak RSS of real programs under
# libmemtier (`make bench-preload`; not part of make check).
#
# The workloads are those of the preload tests (test/preload/workloads.sh:
# python3, sqlite3, sort, gzip, git, perl).  Each is run, in interleaved
# rounds whose order rotates, up to seven ways:
#   glibc        no preload
#   ours:DRAM    our libmemtier.so, one DRAM tier
#   ours:FS_DAX  our libmemtier.so, one FS_DAX tier (a directory in BENCH_DIR)
#   1.14:DRAM    Debian's memkind 1.14 libmemtier.so.0, the same DRAM tier
#   1.14:FS_DAX  Debian's memkind 1.14 libmemtier.so.0, the same FS_DAX tier
#   mimalloc     Debian's libmimalloc2.0 through LD_PRELOAD (issue 17)
#   tcmalloc     Debian's libtcmalloc-minimal4 through LD_PRELOAD
# (the last two when their packages are installed: make bench-peers
# installs them; left out with a message otherwise).
# Both libraries are loaded by path from private copies, with
# LD_LIBRARY_PATH naming the directory of the matching libmemkind.so.0, so
# a rebuild during the run changes nothing.  Debian's 1.14 comes from its
# libmemkind0 package, fetched with `apt-get download` and unpacked with
# `dpkg -x` into the run's temporary directory (never installed); set
# MEMKIND_114_LIBDIR to use a directory that already holds it.
#
# /usr/bin/time measures wall seconds, CPU seconds (user + system of every
# process of the workload) and the peak RSS of its largest process.  The
# tables give medians over rounds and the ratio to glibc.  A run that exits
# non-zero is recorded as a failure of that library ("FAIL rc=N" in the
# tables; memkind 1.14 fails some workloads) and one whose output differs
# from glibc's as "DIFF": neither stops the benchmark.
#
# Environment:
#   BENCH_ROUNDS       rounds (default 5)
#   BENCH_WORKLOADS    workloads to run (default: all)
#   BENCH_VARIANTS     variants to run (default: all; glibc is always
#                      run, it is the reference of the ratios and outputs)
#   MEMKIND_114_LIBDIR directory of Debian's libmemtier.so.0 and
#                      libmemkind.so.0 1.14 (default: fetched, see above);
#                      without them the 1.14 columns are left out
#   BENCH_DIR          where the workloads and FS_DAX files live (default
#                      /dev/shm when writable, else $TMPDIR or /tmp)
#   BENCH_OUT          directory for raw results, one "wall kib cpu" or
#                      "fail RC" or "diff" line per run (default: temporary)

set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
. "$top_srcdir/test/preload/workloads.sh"

rounds=${BENCH_ROUNDS:-5}
names=${BENCH_WORKLOADS:-$WL_NAMES}
want=${BENCH_VARIANTS:-"ours:DRAM ours:FS_DAX 1.14:DRAM 1.14:FS_DAX mimalloc tcmalloc"}
timecmd=/usr/bin/time
unset LD_PRELOAD LD_LIBRARY_PATH MEMKIND_MEM_TIERS MEMKIND_MEM_THRESHOLDS \
    MEMKIND_MEM_TIERS_LOG_LEVEL MEMKIND_MEM_TIERING_LOG_LEVEL MEMKIND_DEBUG \
    JEMK_MALLOC_CONF MALLOC_CONF

[ -e "$top_builddir/.libs/libmemtier.so" ] ||
    { echo "preload_bench: $top_builddir/.libs/libmemtier.so not found (run make)" >&2; exit 1; }
[ -x "$timecmd" ] ||
    { echo "preload_bench: $timecmd not found (Debian package time)" >&2; exit 1; }

dir=${BENCH_DIR:-}
if [ -z "$dir" ]; then
    dir=${TMPDIR:-/tmp}
    [ -d /dev/shm ] && [ -w /dev/shm ] && dir=/dev/shm
fi
work=$(mktemp -d "$dir/mk-bench-preload.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
out=${BENCH_OUT:-$work/results}
mkdir -p "$out" "$work/ours" "$work/pmem"
rm -f "$out"/*.glibc "$out"/*.ours:* "$out"/*.1.14:* "$out"/*.mimalloc "$out"/*.tcmalloc

# Our libraries, copied (symlinks kept) so that the run measures one build.
cp -P "$top_builddir"/.libs/libmemtier.so* "$top_builddir"/.libs/libmemkind.so* \
    "$work/ours/" || exit 1

# Debian's 1.14: MEMKIND_114_LIBDIR, else its package unpacked here.
ref=${MEMKIND_114_LIBDIR:-}
if [ -z "$ref" ]; then
    arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
    mkdir -p "$work/deb"
    if (cd "$work/deb" && apt-get download libmemkind0) > "$work/deb/apt.log" 2>&1 &&
        dpkg -x "$work"/deb/libmemkind0_*.deb "$work/deb/root"; then
        ref=$work/deb/root/usr/lib/$arch
        ref_version=$(dpkg-deb -f "$work"/deb/libmemkind0_*.deb Version)
    else
        echo "preload_bench: apt-get download libmemkind0 failed: $(tail -n 1 "$work/deb/apt.log")" >&2
    fi
fi
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
mimalloc_so=/usr/lib/$multiarch/libmimalloc.so.2.0
tcmalloc_so=/usr/lib/$multiarch/libtcmalloc_minimal.so.4
variants=glibc
for v in $want; do
    case $v in
        mimalloc | tcmalloc)
            so=$mimalloc_so
            [ "$v" = tcmalloc ] && so=$tcmalloc_so
            if [ ! -e "$so" ]; then
                echo "preload_bench: $so not found (make bench-peers installs it): $v left out" >&2
                continue
            fi ;;
        1.14:*)
            if [ -z "$ref" ] || [ ! -e "$ref/libmemtier.so.0" ] ||
                [ ! -e "$ref/libmemkind.so.0" ]; then
                echo "preload_bench: no memkind 1.14 libraries: $v left out" >&2
                continue
            fi ;;
        ours:DRAM | ours:FS_DAX) ;;
        *) echo "preload_bench: unknown variant $v" >&2; exit 2 ;;
    esac
    variants="$variants $v"
done

dram="KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO"
fsdax="KIND:FS_DAX,PATH:$work/pmem,RATIO:1;POLICY:STATIC_RATIO"

# run VARIANT NAME: one timed run; appends "wall kib cpu", "fail RC" or
# "diff" to $out/NAME.VARIANT.
run()
{
    v=$1 n=$2
    set -- sh -c '. "$1"; wl_run "$2" "$3"' sh \
        "$top_srcdir/test/preload/workloads.sh" "$n" "$work/$n"
    case $v in
        *:DRAM) tiers=$dram ;;
        *:FS_DAX) tiers=$fsdax ;;
    esac
    case $v in
        ours:*) set -- env LD_LIBRARY_PATH="$work/ours" \
                    LD_PRELOAD="$work/ours/libmemtier.so.0" MEMKIND_MEM_TIERS="$tiers" "$@" ;;
        1.14:*) set -- env LD_LIBRARY_PATH="$ref" \
                    LD_PRELOAD="$ref/libmemtier.so.0" MEMKIND_MEM_TIERS="$tiers" "$@" ;;
        mimalloc) set -- env LD_PRELOAD="$mimalloc_so" "$@" ;;
        tcmalloc) set -- env LD_PRELOAD="$tcmalloc_so" "$@" ;;
    esac
    "$timecmd" -f "%e %M %U %S" -o "$work/time" timeout -k 5 600 "$@" \
        > "$work/$n.$v.out" 2> "$work/$n.$v.err"
    rc=$?
    if [ $rc != 0 ]; then
        echo "preload_bench: $n [$v] failed (exit status $rc):" >&2
        grep -av '^Command exited' "$work/$n.$v.err" | head -n 3 | sed 's/^/    /' >&2
        echo "fail $rc" >> "$out/$n.$v"
    elif [ "$v" != glibc ] && ! cmp -s "$work/$n.glibc.out" "$work/$n.$v.out"; then
        echo "preload_bench: $n [$v]: output differs from glibc's" >&2
        echo "diff" >> "$out/$n.$v"
    else
        # The last line: "Command exited with..." precedes it on failure.
        tail -n 1 "$work/time" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' \
            >> "$out/$n.$v"
    fi
}

# cell FILE COLUMN SCALE FORMAT GLIBC_MEDIAN: the median of COLUMN over the
# successful runs of FILE, divided by SCALE, with the ratio to the glibc
# median; "FAIL rc=N" or "DIFF" when no run succeeded, with the count of
# bad runs otherwise.
cell()
{
    awk -v c="$2" -v s="$3" -v f="$4" -v g="$5" '
        $1 == "fail" { bad++; rc = $2; next }
        $1 == "diff" { bad++; diff = 1; next }
        { v[++n] = $c }
        END {
            if (n == 0) {
                if (diff) print "DIFF"; else print "FAIL rc=" rc
                exit
            }
            # insertion sort: a handful of values
            for (i = 2; i <= n; i++)
                for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
                    t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
                }
            m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
            x = sprintf(f, m / s)
            if (g != "" && g > 0) x = x sprintf(" (%.2fx)", m / g)
            if (bad) x = x " " bad "bad"
            print x
        }' "$1"
}

median_raw()
{
    awk -v c="$2" '$1 != "fail" && $1 != "diff" { print $c }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END {
            if (NR) print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

start=$(date +%s)
done_names=""
for n in $names; do
    for c in $(wl_need "$n"); do
        command -v "$c" >/dev/null 2>&1 ||
            { echo "preload_bench: $c missing: $n left out" >&2; continue 2; }
    done
    mkdir -p "$work/$n"
    wl_prepare "$n" "$work/$n"
    run glibc "$n" # warm-up (file cache) and reference output, not counted
    : > "$out/$n.glibc"
    for r in $(seq 1 "$rounds"); do
        # Rotate the order so that no variant always runs first or last.
        set -- $variants
        i=1
        while [ $i -lt "$r" ]; do
            first=$1
            shift
            set -- "$@" "$first"
            i=$((i + 1))
        done
        for v in "$@"; do
            run "$v" "$n"
        done
    done
    done_names="$done_names $n"
    echo "preload_bench: $n done ($(($(date +%s) - start)) s)" >&2
done

# table TITLE COLUMN SCALE FORMAT
table()
{
    echo
    printf '| %-8s |' "$1"
    for v in $variants; do printf ' %-20s |' "$v"; done
    echo
    printf '|----------|'
    for v in $variants; do printf '%s|' "----------------------"; done
    echo
    for n in $done_names; do
        g=$(median_raw "$out/$n.glibc" "$2")
        printf '| %-8s |' "$n"
        for v in $variants; do
            printf ' %-20s |' "$(cell "$out/$n.$v" "$2" "$3" "$4" "$g")"
        done
        echo
    done
}

echo "memtier preload benchmark: $rounds interleaved rounds, medians"
echo "DRAM tier: $dram"
echo "FS_DAX tier: KIND:FS_DAX,PATH:<$dir>,RATIO:1;POLICY:STATIC_RATIO ($(stat -f -c %T "$dir"))"
echo "ours: $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown);" \
     "1.14: ${ref:-none}${ref_version:+ (Debian libmemkind0 $ref_version)}"
echo "$(uname -m), $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$(date -u '+%Y-%m-%d %H:%M UTC'), $(($(date +%s) - start)) s"
table "wall s" 1 1 "%.2f"
table "CPU s" 3 1 "%.2f"
table "RSS MiB" 2 1024 "%.1f"
