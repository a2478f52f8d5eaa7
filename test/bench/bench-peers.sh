#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench-peers.sh - this library against the other allocators (issue 17):
# `make bench-peers`, and a section of `make bench` (run-bench.sh).
#
# One program, test/bench/peer_bench, runs one allocation pattern of one
# size per process, for
#   ours        memkind_malloc/free(MEMKIND_DEFAULT), our libmemkind
#   pmem        a PMEM kind of ours in $BENCH_PMEM_DIR (default /dev/shm,
#               tmpfs)
#   pmem-ext4   the same in $BENCH_EXT4_DIR, when that names an ext4
#               directory
#   1.14        memkind_malloc/free(MEMKIND_DEFAULT), Debian's memkind 1.14
#               (libmemkind0, fetched into $BENCH_OUT/debian) swapped in with
#               LD_LIBRARY_PATH
#   glibc       malloc/free, nothing preloaded
#   jemalloc    malloc/free, LD_PRELOAD of Debian's libjemalloc2
#   mimalloc    malloc/free, LD_PRELOAD of Debian's libmimalloc2.0
#   tcmalloc    malloc/free, LD_PRELOAD of Debian's libtcmalloc-minimal4
# The peers' packages are installed with apt-get when missing and we are
# root; a peer that cannot be had is skipped with a counted SKIP line.  Each
# preloaded run is checked to really have that allocator (peer_bench which).
#
# Every round runs each allocator once per (pattern, size), in an order that
# rotates; the tables give medians over rounds.  Callgrind (if installed)
# counts instructions per pair once: deterministic.
#
# Options: --quick (1 round, 0.1 s per run, sizes 16 B, 4 KiB, 1 MiB),
#          --rounds N (default 3), --secs S (measured seconds per run,
#          default 0.25), --skip-ref (no 1.14), --no-callgrind.
# Environment: top_builddir, top_srcdir (set by make), BENCH_OUT,
#   BENCH_BIN, BENCH_PMEM_DIR, BENCH_EXT4_DIR, BENCH_REF_LIBDIR.
# Writes $BENCH_OUT/raw/peers.tsv (one row per run: round, allocator, then
# peer_bench's fields), raw/peers-callgrind.tsv, raw/peers-notes.txt and
# $BENCH_OUT/peers.md (the tables, also printed).
set -u
: "${top_builddir:?run through make bench-peers}" "${top_srcdir:?run through make bench-peers}"
OUT=${BENCH_OUT:-$top_builddir/bench-out}
BIN=${BENCH_BIN:-$top_builddir/test/bench}
RAW=$OUT/raw
rounds=3
secs=0.25
quick=0
skip_ref=0
callgrind=1
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1; rounds=1; secs=0.1 ;;
        --rounds) rounds=$2; shift ;;
        --secs) secs=$2; shift ;;
        --skip-ref) skip_ref=1 ;;
        --no-callgrind) callgrind=0 ;;
        *) echo "bench-peers.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

start=$(date +%s)
unset LD_PRELOAD MALLOC_CONF JEMK_MALLOC_CONF MIMALLOC_OPTIONS \
    TCMALLOC_RELEASE_RATE MEMKIND_ARENA_NUM_PER_KIND MEMKIND_HOG_MEMORY \
    MEMKIND_BACKGROUND_THREAD_LIMIT MEMKIND_DEBUG
mkdir -p "$RAW" "$OUT/lib" "$OUT/callgrind-peers"
rm -f "$RAW"/peers*.tsv "$RAW/peers-notes.txt" "$OUT"/callgrind-peers/*
skips=0
note() { echo "$*" | tee -a "$RAW/peers-notes.txt"; }
skip() {
    skips=$((skips + 1))
    note "SKIP $*"
}
log() { printf '[peers %3ds] %s\n' $(($(date +%s) - start)) "$*"; }

arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
cp -P "$top_builddir"/.libs/libmemkind.so* "$OUT/lib/" || {
    echo "bench-peers.sh: no $top_builddir/.libs/libmemkind.so (make first)" >&2
    exit 1
}
OURS=$OUT/lib
PB=$BIN/peer_bench
[ -x "$PB" ] || { echo "bench-peers.sh: no $PB (make test/bench/peer_bench)" >&2; exit 1; }
# shellcheck source=test/bench/bench-libs.sh
. "$top_srcdir/test/bench/bench-libs.sh"

# ------------------------------------------------------------- peers
# label:package:soname
peer_list="jemalloc:libjemalloc2:libjemalloc.so.2
mimalloc:libmimalloc2.0:libmimalloc.so.2
tcmalloc:libtcmalloc-minimal4:libtcmalloc_minimal.so.4"
missing=""
while IFS=: read -r label pkg so; do
    [ -n "$(find_installed "$pkg" "$so")" ] || missing="$missing $pkg"
done <<< "$peer_list"
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    log "installing$missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        $missing > "$RAW/peers-apt.log" 2>&1 ||
        note "apt-get install$missing failed: $(tail -n 1 "$RAW/peers-apt.log")"
fi
declare -A SO
peers=()
while IFS=: read -r label pkg so; do
    f=$(find_installed "$pkg" "$so")
    if [ -z "$f" ]; then
        skip "$label: $so not found (apt-get install $pkg, as root)"
    elif [ "$(LD_PRELOAD=$f LD_LIBRARY_PATH=$OURS "$PB" which 2>/dev/null)" != "$label" ]; then
        skip "$label: LD_PRELOAD=$f does not give $label's malloc"
    else
        SO[$label]=$f
        peers+=("$label")
    fi
done <<< "$peer_list"
[ "$(LD_LIBRARY_PATH=$OURS "$PB" which)" = glibc ] || {
    echo "bench-peers.sh: without LD_PRELOAD the malloc is not glibc's" >&2
    exit 1
}

REF=""
if [ $skip_ref = 1 ]; then
    skip "1.14: --skip-ref"
else
    REF=$(fetch_ref)
    if [ -z "$REF" ] || [ "$(LD_LIBRARY_PATH=$REF "$PB" version 2>/dev/null)" != 1014000 ]; then
        skip "1.14: no Debian libmemkind0 1.14 (apt-get download failed; set BENCH_REF_LIBDIR)"
        REF=""
    fi
fi

# PMEM directories: private, removed at exit.
fstype() { df --output=fstype "$1" 2>/dev/null | tail -n 1; }
pbase=${BENCH_PMEM_DIR:-}
if [ -z "$pbase" ]; then
    pbase=/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && pbase=/dev/shm
fi
PDIR=$(mktemp -d "$pbase/mk-peers.XXXXXX") || exit 1
EDIR=""
trap 'rm -rf "$PDIR" ${EDIR:+"$EDIR"}' EXIT
if [ -z "${BENCH_EXT4_DIR:-}" ]; then
    skip "PMEM on ext4: BENCH_EXT4_DIR not set (an ext4 directory)"
elif [ "$(fstype "$BENCH_EXT4_DIR")" != ext4 ]; then
    skip "PMEM on ext4: $BENCH_EXT4_DIR is on $(fstype "$BENCH_EXT4_DIR"), not ext4"
else
    EDIR=$(mktemp -d "$BENCH_EXT4_DIR/mk-peers.XXXXXX") || exit 1
fi

# Column order of the tables.
allocs=(ours pmem)
[ -n "$EDIR" ] && allocs+=(pmem-ext4)
[ -n "$REF" ] && allocs+=(1.14)
allocs+=(glibc "${peers[@]}")

# set_prog ALLOC: sets envs (the VAR=VALUE words of ALLOC's environment)
# and karg (peer_bench's allocator argument).
set_prog() {
    envs=("LD_LIBRARY_PATH=$OURS")
    karg=malloc
    case $1 in
        ours) karg=default ;;
        pmem) karg=pmem:$PDIR ;;
        pmem-ext4) karg=pmem:$EDIR ;;
        1.14) envs=("LD_LIBRARY_PATH=$REF"); karg=default ;;
        glibc) ;;
        *) envs+=("LD_PRELOAD=${SO[$1]}") ;;
    esac
}

{
    echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu	$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    echo "cpus	$(nproc)"
    echo "load	$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "ours	$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "pmem_dir	$pbase ($(fstype "$pbase"))"
    [ -n "$EDIR" ] && echo "ext4_dir	$BENCH_EXT4_DIR"
    [ -n "$REF" ] && echo "ref	$REF/libmemkind.so.0"
    for p in "${peers[@]}"; do
        echo "$p	${SO[$p]} ($(dpkg -S "${SO[$p]}" 2>/dev/null | cut -d: -f1) $(dpkg-query -W -f='${Version}' "$(dpkg -S "${SO[$p]}" 2>/dev/null | cut -d: -f1)" 2>/dev/null))"
    done
    echo "glibc	$(ldd --version | head -n 1 | sed 's/.* //')"
    echo "rounds	$rounds"
    echo "secs	$secs"
} > "$RAW/peers-machine.tsv"

# ------------------------------------------------------------- cases
sizes="16 256 1024 4096 16384 65536 262144 1048576 4194304"
[ $quick = 1 ] && sizes="16 4096 1048576"
cases=()
for p in pairs fifo lifo; do
    for s in $sizes; do cases+=("$p:$s"); done
done
cases+=(mix64k: mix4m:)
for p in xthread threads8; do
    for s in $sizes; do cases+=("$p:$s"); done
done

# rotate N ARRAY...: prints the elements starting at index N mod count.
rotate() {
    local n=$1
    shift
    local a=("$@") i
    for ((i = 0; i < ${#a[@]}; i++)); do
        echo "${a[(i + n) % ${#a[@]}]}"
    done
}

log "${allocs[*]}: ${#cases[@]} cases x $rounds rounds, $secs s each"
fails=0
for ((r = 0; r < rounds; r++)); do
    for ((c = 0; c < ${#cases[@]}; c++)); do
        IFS=: read -r pat size <<< "${cases[$c]}"
        while IFS= read -r a; do
            set_prog "$a"
            if out=$(env "${envs[@]}" timeout -k 5 120 "$PB" -t "$secs" "$karg" "$pat" ${size:+"$size"} 2> "$RAW/peers-last.err"); then
                printf '%s\t%s\t%s\n' "$r" "$a" "$out" >> "$RAW/peers.tsv"
            else
                rc=$?
                fails=$((fails + 1))
                printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$a" "$pat" "${size:-0}" "$rc" >> "$RAW/peers-failures.tsv"
                note "FAIL $a $pat ${size:-} (exit $rc): $(tail -n 1 "$RAW/peers-last.err")"
            fi
        done < <(rotate $((r + c)) "${allocs[@]}")
    done
    log "round $((r + 1)) of $rounds done"
done
rm -f "$RAW/peers-last.err"

# ------------------------------------- instructions per pair (callgrind)
if [ $callgrind = 0 ]; then
    note "callgrind: --no-callgrind"
elif ! command -v valgrind > /dev/null; then
    skip "callgrind: valgrind not installed (apt-get install valgrind)"
else
    cg_pats="pairs fifo lifo"
    [ $quick = 1 ] && cg_pats=pairs
    log "callgrind: $cg_pats at 64 B and 4 KiB"
    n=20000
    for a in "${allocs[@]}"; do
        for pat in $cg_pats; do
            for size in 64 4096; do
                f=$OUT/callgrind-peers/$a-$pat-$size.out
                set_prog "$a"
                if env "${envs[@]}" timeout -k 5 300 valgrind --tool=callgrind \
                    --callgrind-out-file="$f" --toggle-collect=peer_loop \
                    "$PB" -n "$n" "$karg" "$pat" "$size" > /dev/null 2> "$RAW/peers-last.err"; then
                    awk -v a="$a" -v p="$pat" -v s="$size" -v n="$n" '
                        /^summary:/ { ir = $2 }
                        END { printf "%s\t%s\t%s\t%.1f\n", a, p, s, ir / n }' \
                        "$f" >> "$RAW/peers-callgrind.tsv"
                else
                    note "FAIL callgrind $a $pat $size: $(tail -n 1 "$RAW/peers-last.err")"
                fi
            done
        done
    done
    rm -f "$RAW/peers-last.err"
fi

secs_total=$(($(date +%s) - start))
echo "$secs_total" > "$RAW/peers-seconds.txt"

# ------------------------------------------------------------ tables
# medians per (pattern, size, allocator) of the columns of peers.tsv
# (round alloc kindarg pattern size pairs cpu wall mcpu mwall hwm pmem)
tables() {
    awk -F'\t' -v order="${allocs[*]}" -v cases="${cases[*]}" \
        -v cgfile="$RAW/peers-callgrind.tsv" '
    function median(s,   a, n, i, j, t) {
        n = split(s, a, " ")
        for (i = 2; i <= n; i++) {
            t = a[i] + 0
            for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
                a[j + 1] = a[j]
            a[j + 1] = t
        }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function hsize(s) {
        if (s >= 1048576) return s / 1048576 " MiB"
        if (s >= 1024) return s / 1024 " KiB"
        return s " B"
    }
    function rowname(c,   p, s) {
        split(c, p, ":")
        s = hsize(p[2])
        if (p[1] == "pairs") return "pairs " s
        if (p[1] == "fifo") return "batch FIFO " s
        if (p[1] == "lifo") return "batch LIFO " s
        if (p[1] == "mix64k") return "mix 16 B-64 KiB"
        if (p[1] == "mix4m") return "mix 16 B-4 MiB"
        if (p[1] == "xthread") return "2 thr cross " s
        if (p[1] == "threads8") return "8 thr batch " s
        return c
    }
    function num(v) {
        if (v == "") return ""
        if (v >= 100) return sprintf("%.0f", v)
        if (v >= 10) return sprintf("%.1f", v)
        if (v >= 1) return sprintf("%.2f", v)
        return sprintf("%.3f", v)
    }
    function header(first, last,   i, h, u) {
        h = "| " first; u = "| ---"
        for (i = 1; i <= na; i++) { h = h " | " title[A[i]]; u = u " | ---:" }
        print h " | " last " |"
        print u " | ---: |"
    }
    # table KIND: 1 CPU throughput, 2 wall throughput
    function table(kind,   c, i, k, v, line, ours, best) {
        for (c = 1; c <= nc; c++) {
            line = "| " rowname(C[c]); ours = ""; best = ""
            for (i = 1; i <= na; i++) {
                k = C[c] SUBSEP A[i]
                v = ""
                if (k in val1)
                    v = median(kind == 1 ? val1[k] : val2[k])
                line = line " | " num(v)
                if (A[i] == "ours") ours = v
                if ((A[i] == "mimalloc" || A[i] == "tcmalloc") && v != "") {
                    if (best == "" || v + 0 > best + 0)
                        best = v
                }
            }
            if (ours != "" && best != "" && best > 0)
                line = line " | " sprintf("%.2f", ours / best) " |"
            else
                line = line " | - |"
            print line
        }
    }
    BEGIN {
        na = split(order, A, " ")
        nc = split(cases, C, " ")
        title["ours"] = "ours DEFAULT"; title["pmem"] = "ours PMEM tmpfs"
        title["pmem-ext4"] = "ours PMEM ext4"; title["1.14"] = "1.14 DEFAULT"
        title["glibc"] = "glibc"; title["jemalloc"] = "jemalloc"
        title["mimalloc"] = "mimalloc"; title["tcmalloc"] = "tcmalloc"
    }
    {
        c = $4 ":" ($4 ~ /^mix/ ? "" : $5)
        k = c SUBSEP $2
        val1[k] = val1[k] " " $9
        val2[k] = val2[k] " " $10
        val3[k] = val3[k] " " $11
        if ($12 >= 0) pm[k] = pm[k] " " $12
    }
    END {
        print "Million malloc+free pairs per CPU second (all threads), medians:"
        print ""
        header("pattern, size", "DEFAULT / best(mimalloc,tcmalloc)")
        table(1)
        print ""
        print "Million malloc+free pairs per wall second, medians:"
        print ""
        header("pattern, size", "DEFAULT / best(mimalloc,tcmalloc)")
        table(2)
        print ""
        print "Peak RSS (VmHWM, MiB) of the run, medians; PMEM file = allocated"
        print "blocks of the PMEM kind file with the objects live at the end:"
        print ""
        h = "| pattern, size"; u = "| ---"
        for (i = 1; i <= na; i++) { h = h " | " title[A[i]]; u = u " | ---:" }
        h = h " | DEFAULT / best(mimalloc,tcmalloc)"; u = u " | ---:"
        for (i = 1; i <= na; i++)
            if (A[i] ~ /^pmem/) { h = h " | file " A[i]; u = u " | ---:" }
        print h " |"; print u " |"
        for (c = 1; c <= nc; c++) {
            line = "| " rowname(C[c]); ours = ""; best = ""
            for (i = 1; i <= na; i++) {
                k = C[c] SUBSEP A[i]
                v = (k in val3) ? median(val3[k]) / 1024 : ""
                line = line " | " num(v)
                if (A[i] == "ours") ours = v
                if ((A[i] == "mimalloc" || A[i] == "tcmalloc") && v != "" &&
                    (best == "" || v + 0 < best + 0))
                    best = v
            }
            line = line " | " ((ours != "" && best != "" && best > 0) ? sprintf("%.2f", ours / best) : "-")
            for (i = 1; i <= na; i++) {
                if (A[i] !~ /^pmem/) continue
                k = C[c] SUBSEP A[i]
                line = line " | " ((k in pm) ? num(median(pm[k]) / 1048576) : "")
            }
            print line " |"
        }
        ncg = 0
        while ((getline l < cgfile) > 0) {
            split(l, f, "\t")
            ir[f[2] ":" f[3] SUBSEP f[1]] = f[4]
            if (!((f[2] ":" f[3]) in seen)) { seen[f[2] ":" f[3]] = 1; cg[++ncg] = f[2] ":" f[3] }
        }
        if (ncg == 0) exit
        print ""
        print "Instructions per malloc+free pair (callgrind, one run each):"
        print ""
        header("pattern, size", "DEFAULT / best(mimalloc,tcmalloc)")
        for (c = 1; c <= ncg; c++) {
            line = "| " rowname(cg[c]); ours = ""; best = ""
            for (i = 1; i <= na; i++) {
                k = cg[c] SUBSEP A[i]
                v = (k in ir) ? ir[k] : ""
                line = line " | " (v == "" ? "" : sprintf("%.0f", v))
                if (A[i] == "ours") ours = v
                if ((A[i] == "mimalloc" || A[i] == "tcmalloc") && v != "" &&
                    (best == "" || v + 0 < best + 0))
                    best = v
            }
            line = line " | " ((ours != "" && best != "" && best > 0) ? sprintf("%.2f", ours / best) : "-")
            print line " |"
        }
    }' "$RAW/peers.tsv"
}

{
    echo "Peer benchmark (test/bench/bench-peers.sh), $(sed -n 's/^date\t//p' "$RAW/peers-machine.tsv"),"
    echo "$(nproc) CPUs, load at start $(sed -n 's/^load\t//p' "$RAW/peers-machine.tsv"), $rounds rounds of $secs s, ${secs_total} s in all."
    echo "Ratio columns: above 1 is ours ahead for throughput, behind for RSS and instructions."
    echo ""
    if [ -s "$RAW/peers.tsv" ]; then
        tables
    else
        echo "(no results)"
    fi
    echo ""
    echo "$skips skipped, $fails failed runs"
    grep -h '^SKIP\|^FAIL' "$RAW/peers-notes.txt" 2>/dev/null
} > "$OUT/peers.md"
cat "$OUT/peers.md"
log "done: raw results in $RAW/peers.tsv, tables in $OUT/peers.md"
