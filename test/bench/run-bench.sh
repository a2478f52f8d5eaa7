#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run-bench.sh - runs the benchmark suite (make bench) and writes raw results
# to $BENCH_OUT/raw/*.tsv, which report.sh turns into report.md.
#
# Every workload runs against:
#   ours      $top_builddir/.libs/libmemkind.so.0 (copied to $BENCH_OUT/lib
#             first, so a rebuild during the run cannot mix two builds)
#   1.14      Debian's libmemkind0 1.14, fetched with `apt-get download` and
#             unpacked with `dpkg -x` into $BENCH_OUT/debian (never
#             installed; kept as a cache).  BENCH_REF_LIBDIR=DIR uses a
#             directory that holds its libmemkind.so.0 instead.
#   jemalloc  Debian's libjemalloc.so.2 through LD_PRELOAD (mallocx/dallocx)
#   glibc     malloc/free
# The binaries link libmemkind.so.0 normally; LD_LIBRARY_PATH chooses which.
# Each library's memkind_get_version() is checked before it is measured.
#
# The machines are noisy, so timed runs of the variants are interleaved
# (every round runs each variant once, in an order that rotates) and
# report.sh takes medians over rounds; ratios come from one run.
# Instruction counts under callgrind are deterministic and need one run.
#
# Options: --quick (fewer rounds, shorter timelines: a smoke test),
#          --rounds N (timed rounds, default 5; the 64 B pairs behind the
#          targets get 3N), --skip-ref (no 1.14), --skip-peers (no
#          bench-peers.sh section: mimalloc, tcmalloc and the others).
# Environment: top_builddir, top_srcdir (set by make), BENCH_OUT,
#   BENCH_PMEM_DIR (directory for PMEM kinds, default /dev/shm else /tmp),
#   BENCH_REF_LIBDIR, BENCH_BIN (the programs, default test/bench),
#   BENCH_EXT4_DIR (the peer section's PMEM kind on ext4 as well).
set -u
: "${top_builddir:?run through make bench}" "${top_srcdir:?run through make bench}"
OUT=${BENCH_OUT:-$top_builddir/bench-out}
BIN=${BENCH_BIN:-$top_builddir/test/bench}
RAW=$OUT/raw
rounds=5
quick=0
skip_ref=0
skip_peers=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1; rounds=3 ;;
        --rounds) rounds=$2; shift ;;
        --skip-ref) skip_ref=1 ;;
        --skip-peers) skip_peers=1 ;;
        *) echo "run-bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

key_rounds=$((rounds * 3))
start=$(date +%s)
# settings that would change what is measured
unset LD_PRELOAD MALLOC_CONF JEMK_MALLOC_CONF MEMKIND_ARENA_NUM_PER_KIND \
    MEMKIND_HOG_MEMORY MEMKIND_BACKGROUND_THREAD_LIMIT MEMKIND_DEBUG
mkdir -p "$RAW" "$OUT/lib" "$OUT/callgrind"
rm -f "$RAW"/* "$OUT"/callgrind/* "$OUT/peers.md"
note() { echo "$*" | tee -a "$RAW/notes.txt"; }
log() { printf '[bench %3ds] %s\n' $(($(date +%s) - start)) "$*"; }

# ------------------------------------------------------------ libraries
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
cp -P "$top_builddir"/.libs/libmemkind.so* "$OUT/lib/" || {
    echo "run-bench.sh: no $top_builddir/.libs/libmemkind.so (make first)" >&2
    exit 1
}
OURS=$OUT/lib

# fetch_ref, find_jemalloc
# shellcheck source=test/bench/bench-libs.sh
. "$top_srcdir/test/bench/bench-libs.sh"

REF=""
[ $skip_ref = 1 ] || REF=$(fetch_ref)
JE=$(find_jemalloc)

# run LIB PROGRAM ARGS...: LIB is ours, 1.14, jemalloc or glibc.  A run
# that hangs is killed after 5 minutes.
run() {
    local lib=$1
    shift
    case $lib in
        1.14) LD_LIBRARY_PATH=$REF timeout -k 5 300 "$@" ;;
        jemalloc) LD_PRELOAD=$JE LD_LIBRARY_PATH=$OURS timeout -k 5 300 "$@" ;;
        *) LD_LIBRARY_PATH=$OURS timeout -k 5 300 "$@" ;;
    esac
}

libs=(ours)
if [ -n "$REF" ] && [ "$(run 1.14 "$BIN/pair_bench" version 2>/dev/null)" = 1014000 ]; then
    libs+=(1.14)
else
    [ -n "$REF" ] && note "1.14: $REF/libmemkind.so.0 is not memkind 1.14.0; skipped"
    REF=""
    note "memkind 1.14 not measured (no Debian libmemkind0; set BENCH_REF_LIBDIR)"
fi
v=$(run ours "$BIN/pair_bench" version) || exit 1
others=(glibc)
if [ -n "$JE" ] && run jemalloc "$BIN/pair_bench" -n 10 -r 1 jemalloc 64 > /dev/null 2>&1; then
    others=(jemalloc glibc)
else
    note "raw jemalloc not measured (no libjemalloc.so.2)"
fi

# PMEM kinds live in a private directory, removed at exit.
pbase=${BENCH_PMEM_DIR:-}
if [ -z "$pbase" ]; then
    pbase=/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && pbase=/dev/shm
fi
PDIR=$(mktemp -d "$pbase/mk-bench.XXXXXX") || exit 1
trap 'rm -rf "$PDIR"' EXIT

# ------------------------------------------------------------- machine
{
    echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu	$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    echo "cpus	$(nproc)"
    echo "memory	$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "kernel	$(uname -r)"
    # shellcheck disable=SC1091
    echo "os	$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "load	$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "pmem_dir	$pbase ($(stat -f -c %T "$pbase"))"
    echo "ours	$v, $(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown)"
    [ -n "$REF" ] && echo "ref	$REF/libmemkind.so.0 (Debian libmemkind0 $(dpkg-deb -f "$OUT"/debian/libmemkind0_*.deb Version 2>/dev/null || echo 1.14))"
    [ -n "$JE" ] && echo "jemalloc	$JE"
    echo "glibc	$(ldd --version | head -n 1 | sed 's/.* //')"
    echo "rounds	$rounds"
    echo "key_rounds	$key_rounds"
} > "$RAW/machine.tsv"
log "libraries: ${libs[*]} ${others[*]}; PMEM dir $PDIR; $rounds rounds"

# record_fail LABEL RC: a crashed or failed run is recorded, not fatal
# (memkind 1.14's PMEM kinds crash with two threads).
record_fail() {
    printf '%s\t%s\n' "$1" "$2" >> "$RAW/failures.tsv"
}

# rotate N ARRAY...: prints the elements starting at index N mod count.
rotate() {
    local n=$1
    shift
    local a=("$@") i
    for ((i = 0; i < ${#a[@]}; i++)); do
        echo "${a[(i + n) % ${#a[@]}]}"
    done
}

# ------------------------------------------- malloc+free pairs (timed)
sizes="16 64 256 1024 4096 16384 65536 262144 1048576 4194304"
[ $quick = 1 ] && sizes="16 64 4096 65536 1048576"
# lib:target:batch:sizes
pair_variants=()
for l in "${libs[@]}"; do
    pair_variants+=("$l:default:1:$sizes" "$l:pmem:1:$sizes"
        "$l:pmem-conservative:1:4096"
        "$l:pmem:1000:64 4096" "$l:pmem-conservative:1000:64 4096")
done
for o in "${others[@]}"; do
    pair_variants+=("$o:$o:1:$sizes")
done
# The 64 B pairs behind the targets get more rounds of their own: their
# ratios are close to the limits and one disturbed round moves a median.
key_variants=()
for l in "${libs[@]}"; do
    for t in default default-nullfree dynamic pmem pmem-nullfree pmem-conservative; do
        key_variants+=("$l:$t:1:64")
    done
done
for o in "${others[@]}"; do
    key_variants+=("$o:$o:1:64")
done

# timed_pairs FILE ROUNDS VARIANT...: interleaved rounds of pair_bench.
timed_pairs() {
    local file=$1 nr=$2 r v lib target batch vsizes out
    shift 2
    for ((r = 0; r < nr; r++)); do
        while IFS= read -r v; do
            IFS=: read -r lib target batch vsizes <<< "$v"
            # shellcheck disable=SC2086
            if out=$(run "$lib" "$BIN/pair_bench" -b "$batch" -d "$PDIR" "$target" $vsizes 2> "$RAW/last.err"); then
                echo "$out" | awk -v r="$r" -v l="$lib" -v b="$batch" \
                    '{print r "\t" l "\t" $1 "\t" b "\t" $2 "\t" $3}' >> "$file"
            else
                record_fail "pair $lib $target -b $batch" "$?"
            fi
        done < <(rotate "$r" "$@")
    done
}
log "malloc+free pairs by size: ${#pair_variants[@]} variants x $rounds rounds"
timed_pairs "$RAW/pair.tsv" "$rounds" "${pair_variants[@]}"
log "64 B malloc+free pairs: ${#key_variants[@]} variants x $key_rounds rounds"
timed_pairs "$RAW/pair64.tsv" "$key_rounds" "${key_variants[@]}"

# ------------------------------------ instruction counts (callgrind)
if command -v valgrind > /dev/null; then
    cg_sizes="16 64 256 1024 4096 16384"
    cg_variants=()
    for l in "${libs[@]}"; do
        cg_variants+=("$l:none:1:64" "$l:default:1:$cg_sizes" "$l:pmem:1:$cg_sizes"
            "$l:default-nullfree:1:64" "$l:dynamic:1:64" "$l:pmem-nullfree:1:64"
            "$l:pmem-conservative:1:64" "$l:pmem:1000:64" "$l:pmem-conservative:1000:64")
    done
    for o in "${others[@]}"; do
        cg_variants+=("$o:$o:1:$cg_sizes")
    done
    log "callgrind: ${#cg_variants[@]} variants"
    # One process per variant; --dump-after writes one profile part per
    # size (FILE.1, FILE.2, ... in the order of the sizes).
    for v in "${cg_variants[@]}"; do
        IFS=: read -r lib target batch vsizes <<< "$v"
        n=20000
        f=$OUT/callgrind/$lib-$target-b$batch
        # shellcheck disable=SC2086
        if run "$lib" valgrind --tool=callgrind --callgrind-out-file="$f" \
            --toggle-collect=bench_loop --dump-after=bench_loop \
            "$BIN/pair_bench" -n "$n" -r 1 -b "$batch" -d "$PDIR" "$target" \
            $vsizes > /dev/null 2> "$RAW/last.err"; then
            i=0
            for sz in $vsizes; do
                i=$((i + 1))
                mv "$f.$i" "$f-$sz.out"
                # instructions and function calls per pair
                awk -v l="$lib" -v t="$target" -v b="$batch" -v s="$sz" -v n="$n" '
                    /^calls=/ { split($1, c, "="); calls += c[2] }
                    /^summary:/ { ir = $2 }
                    END { printf "%s\t%s\t%s\t%s\t%.1f\t%.1f\n", l, t, b, s, ir / n, calls / n }' \
                    "$f-$sz.out" >> "$RAW/callgrind.tsv"
            done
            rm -f "$f"
        else
            record_fail "callgrind $lib $target -b $batch" "$?"
        fi
    done
else
    note "valgrind not installed: no instruction counts (apt-get install valgrind)"
fi

# ----------------------- system calls per pair, usage policies (strace)
# What callgrind cannot see: the kernel work of giving file blocks back
# (CONSERVATIVE) and getting them again.
if command -v strace > /dev/null; then
    log "system calls per pair (strace -c)"
    for l in "${libs[@]}"; do
        for t in pmem pmem-conservative; do
            for sz in 64 4096; do
                # 20000 measured pairs + 2000 of warm-up
                if run "$l" strace -f -c -o "$RAW/strace.txt" \
                    -e trace=fallocate,madvise,mmap,munmap \
                    "$BIN/pair_bench" -n 20000 -r 1 -b 1000 -d "$PDIR" "$t" "$sz" \
                    > /dev/null 2> "$RAW/last.err"; then
                    awk -v l="$l" -v t="$t" -v s="$sz" '
                        $NF ~ /^(fallocate|madvise|mmap|munmap)$/ { c[$NF] = $4 }
                        END { printf "%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\n", l, t, s,
                              c["fallocate"] / 22000, c["madvise"] / 22000,
                              c["mmap"] / 22000, c["munmap"] / 22000 }' \
                        "$RAW/strace.txt" >> "$RAW/syscalls.tsv"
                else
                    record_fail "strace $l $t $sz" "$?"
                fi
            done
        done
    done
    rm -f "$RAW/strace.txt"
else
    note "strace not installed: no system call counts (apt-get install strace)"
fi

# ------------------------------------------ mixed workload, threads
mixed_targets=()
for l in "${libs[@]}"; do
    mixed_targets+=("$l:default" "$l:pmem")
done
for o in "${others[@]}"; do
    mixed_targets+=("$o:$o")
done
mixed_variants=()
for t in "${mixed_targets[@]}"; do
    mixed_variants+=("$t:1:" "$t:2:" "$t:2:-s")
done
mrounds=$rounds
log "mixed workload: ${#mixed_variants[@]} variants x $mrounds rounds"
for ((r = 0; r < mrounds; r++)); do
    while IFS= read -r v; do
        IFS=: read -r lib target threads shared <<< "$v"
        # shellcheck disable=SC2086
        if out=$(run "$lib" "$BIN/mixed_bench" -t "$threads" $shared -d "$PDIR" "$target" 2> "$RAW/last.err"); then
            echo "$out" | awk -v r="$r" -v l="$lib" \
                '{print r "\t" l "\t" $1 "\t" $2 "\t" $3 "\t" $4 "\t" $5}' >> "$RAW/mixed.tsv"
        else
            record_fail "mixed $lib $target -t $threads $shared" "$?"
        fi
    done < <(rotate "$r" "${mixed_variants[@]}")
done

# --------------------------------------------------- PMEM footprint
secs=3
[ $quick = 1 ] && secs=1.5
log "PMEM footprint: 1 GiB, free 90 %, ${secs} s timelines"
# Sizes log-uniform (most objects small) with both policies, and uniform
# (most bytes in large objects; this reproduces the figures issue 3 quotes
# for memkind 1.14) with the DEFAULT policy.
for l in "${libs[@]}"; do
    for c in "" -c -u; do
        pol=default
        [ "$c" = -c ] && pol=conservative
        [ "$c" = -u ] && pol=uniform
        total=1G
        [ $quick = 1 ] && total=256M
        # shellcheck disable=SC2086
        if out=$(run "$l" "$BIN/pmem_bench" footprint $c -T $total -s "$secs" -i 100 "$PDIR" 2> "$RAW/last.err"); then
            echo "$out" | awk -v l="$l" -v p="$pol" \
                '{print l "\t" p "\t" $1 "\t" $2 "\t" $3 "\t" $4 "\t" $5}' >> "$RAW/footprint.tsv"
        else
            record_fail "footprint $l $pol" "$?"
        fi
    done
done

# -------------------------------------------------------- PMEM fill
log "PMEM fill, create+destroy, RSS per kind, most live kinds"
for l in "${libs[@]}"; do
    for m in 16M 64M; do
        for o in 64 4K 1M; do
            if out=$(run "$l" "$BIN/pmem_bench" fill "$PDIR" $m $o 2> "$RAW/last.err"); then
                echo "$out" | awk -v l="$l" '{print l "\t" $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6}' >> "$RAW/fill.tsv"
            else
                record_fail "fill $l $m $o" "$?"
            fi
        done
    done
done

# ------------------------------------- kind create+destroy, RSS, count
crounds=3
[ $quick = 1 ] && crounds=1
for ((r = 0; r < crounds; r++)); do
    for l in $(rotate "$r" "${libs[@]}"); do
        if out=$(run "$l" "$BIN/pmem_bench" create -n 200 "$PDIR" 2> "$RAW/last.err"); then
            echo "$out" | awk -v r="$r" -v l="$l" '{print r "\t" l "\t" $1 "\t" $2 "\t" $3}' >> "$RAW/create.tsv"
        else
            record_fail "create $l" "$?"
        fi
    done
done
for l in "${libs[@]}"; do
    if out=$(run "$l" "$BIN/pmem_bench" rss -n 100 "$PDIR" 2> "$RAW/last.err"); then
        echo "$out" | awk -v l="$l" '{print l "\t" $2 "\t" $3}' >> "$RAW/rss.tsv"
    else
        record_fail "rss $l" "$?"
    fi
done
# The most live kinds: as is (4 arenas per CPU in 1.14), and with
# MEMKIND_ARENA_NUM_PER_KIND=256, which 1.14 honours: what it reserves on a
# 64-CPU host.  Ours caps a kind at 64 arenas and grows them on demand.
for l in "${libs[@]}"; do
    for a in "" 64 256; do
        envs=()
        [ -n "$a" ] && envs=(env "MEMKIND_ARENA_NUM_PER_KIND=$a")
        if out=$(run "$l" "${envs[@]}" "$BIN/pmem_bench" maxkinds "$PDIR" 2> "$RAW/last.err"); then
            echo "$out" | awk -v l="$l" -v a="${a:-unset}" \
                '{m = $0; sub(/^maxkinds [0-9]+ /, "", m); print l "\t" a "\t" $2 "\t" m}' >> "$RAW/maxkinds.tsv"
        else
            record_fail "maxkinds $l $a" "$?"
        fi
    done
done

# ------------------------------------------- LD_PRELOAD (issue 5)
if [ -f "$top_srcdir/test/bench/preload_bench.sh" ]; then
    prounds=2
    [ $quick = 1 ] && prounds=1
    log "LD_PRELOAD real programs: test/bench/preload_bench.sh, $prounds rounds"
    mkdir -p "$OUT/preload"
    # The DRAM tiers only (the 1.05x target is for DRAM), to stay within
    # make bench-report's time; make bench-preload runs FS_DAX too.
    if ! env BENCH_OUT="$OUT/preload" BENCH_ROUNDS=$prounds MEMKIND_114_LIBDIR="${REF:-$OUT/no-1.14}" \
        BENCH_VARIANTS="ours:DRAM 1.14:DRAM" \
        sh "$top_srcdir/test/bench/preload_bench.sh" > "$RAW/preload.txt" 2> "$RAW/preload.err"; then
        record_fail "preload_bench.sh" "$?"
    fi
else
    note "LD_PRELOAD wall time: test/bench/preload_bench.sh (issue 5) does not exist yet"
fi

# ------------------------------- other allocators (issue 17, bench-peers.sh)
if [ $skip_peers = 1 ]; then
    note "peer benchmark skipped (--skip-peers; make bench-peers runs it alone)"
else
    log "peers: mimalloc, tcmalloc, jemalloc, glibc (test/bench/bench-peers.sh)"
    pargs=()
    [ $quick = 1 ] && pargs+=(--quick)
    [ $skip_ref = 1 ] && pargs+=(--skip-ref)
    # the 1.14 found above (an empty BENCH_REF_LIBDIR makes it fetch its own)
    if ! BENCH_REF_LIBDIR=$REF bash "$top_srcdir/test/bench/bench-peers.sh" "${pargs[@]}" \
        > "$RAW/peers.txt" 2> "$RAW/peers.err"; then
        record_fail "bench-peers.sh" "$?"
    fi
    log "peers: tables in $OUT/peers.md"
fi

rm -f "$RAW/last.err"
echo "$(($(date +%s) - start))" > "$RAW/seconds.txt"
log "done; raw results in $RAW"
bash "$top_srcdir/test/bench/report.sh" --summary
