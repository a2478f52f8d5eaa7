#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# report.sh - turns the raw results of run-bench.sh ($BENCH_OUT/raw/*.tsv)
# into $BENCH_OUT/report.md with PNG plots made by gnuplot (make
# bench-report).  With --summary it prints only the headline and target
# tables to stdout (the end of make bench).
#
# Timed figures are medians over the interleaved rounds of one run; every
# ratio compares figures of the same run.  Instruction counts come from
# callgrind and do not depend on machine noise.  Plain bash and awk (mawk
# is enough); gnuplot-nox draws the plots and is installed with apt-get when
# missing and we are root, otherwise the report says how to get it.
set -u
: "${top_builddir:?run through make bench-report}"
OUT=${BENCH_OUT:-$top_builddir/bench-out}
RAW=$OUT/raw
M=$OUT/medians
P=$OUT/plots
summary=0
[ "${1:-}" = --summary ] && summary=1
[ -f "$RAW/pair.tsv" ] || { echo "report.sh: no results in $RAW (make bench)" >&2; exit 1; }
mkdir -p "$M" "$P"

# ------------------------------------------------------------ helpers
# median_of KEYCOLS VALCOL FILE: one row per distinct key (the first KEYCOLS
# columns after the round column 1 when SKIP=1), its median value last.
median_of() {
    local skip=$1 nkeys=$2 vcol=$3 file=$4
    [ -f "$file" ] || return 0
    awk -F'\t' -v skip="$skip" -v nk="$nkeys" -v vc="$vcol" '
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
        {
            k = $(skip + 1)
            for (i = skip + 2; i <= skip + nk; i++)
                k = k "\t" $i
            if (!(k in v))
                order[++n] = k
            v[k] = v[k] " " $vc
            cnt[k]++
        }
        END {
            for (i = 1; i <= n; i++)
                printf "%s\t%d\t%s\n", order[i], cnt[order[i]], median(v[order[i]])
        }' "$file"
}

# get FILE KEY...: the last column of the first row that starts with KEYs.
get() {
    local f=$1
    shift
    [ -f "$f" ] || return 0
    local k
    k=$(IFS=$'\t'; echo "$*")
    awk -F'\t' -v k="$k" 'index($0, k "\t") == 1 { print $NF; exit }' "$f"
}

# calc EXPR with $a $b...: awk arithmetic; prints nothing if an input is
# empty.  fmt FORMAT VALUE likewise.
calc() {
    local expr=$1
    shift
    local x
    for x in "$@"; do [ -n "$x" ] || return 0; done
    awk -v a="${1:-}" -v b="${2:-}" -v c="${3:-}" "BEGIN { print ($expr) }"
}
fmt() { [ -n "$2" ] && awk -v v="$2" "BEGIN { printf \"$1\", v }"; }
or_na() { if [ -n "$1" ]; then echo "$1"; else echo "n/a"; fi; }

# verdict RATIO OP LIMIT: "met" or "**missed**" (or "n/a").
verdict() {
    [ -n "$1" ] || { echo "n/a"; return; }
    if awk -v r="$1" -v l="$3" "BEGIN { exit !(r $2 l) }"; then
        echo "met"
    else
        echo "**missed**"
    fi
}

mval() { awk -F'\t' -v k="$1" '$1 == k { sub(/^[^\t]*\t/, ""); print; exit }' "$RAW/machine.tsv"; }

# ------------------------------------------------------------ medians
median_of 1 4 6 "$RAW/pair.tsv" > "$M/pair.tsv"         # lib target batch size n ns
median_of 1 4 6 "$RAW/pair64.tsv" > "$M/pair64.tsv"     # the same, 64 B only
median_of 1 4 6 "$RAW/mixed.tsv" > "$M/mixed.tsv"       # lib target threads mode n ops
median_of 1 4 7 "$RAW/mixed.tsv" > "$M/cross.tsv"       # ... cross-free %
median_of 1 2 4 "$RAW/create.tsv" > "$M/create.tsv"     # lib what n median_us
CG=$RAW/callgrind.tsv
has_je=0
grep -q '^jemalloc	' "$M/pair.tsv" && has_je=1

# ns LIB TARGET SIZE [BATCH]: median ns per pair; 64 B pairs from the
# rounds of their own when there are any.
ns() {
    local v=""
    [ "$3" = 64 ] && [ "${4:-1}" = 1 ] && v=$(get "$M/pair64.tsv" "$1" "$2" 1 64)
    [ -n "$v" ] || v=$(get "$M/pair.tsv" "$1" "$2" "${4:-1}" "$3")
    echo "$v"
}
ir() { awk -F'\t' -v l="$1" -v t="$2" -v s="$3" -v b="${4:-1}" '$1 == l && $2 == t && $3 == b && $4 == s { print $5; exit }' "$CG" 2> /dev/null; }
calls() { awk -F'\t' -v l="$1" -v t="$2" -v s="$3" -v b="${4:-1}" '$1 == l && $2 == t && $3 == b && $4 == s { print $6; exit }' "$CG" 2> /dev/null; }
mops() { calc 'a / 1e6' "$(get "$M/mixed.tsv" "$1" "$2" "$3" "$4")"; }
pair_cell() {
    local n i
    n=$(ns "$@")
    i=$(ir "$@")
    [ -n "$n" ] || { echo "n/a"; return; }
    echo "$(fmt %.1f "$n") ns${i:+ · $(fmt %.0f "$i") Ir}"
}
# footprint value: lib policy phase t_ms -> file bytes, live bytes
fp() { awk -F'\t' -v l="$1" -v p="$2" -v ph="$3" -v t="$4" \
    '$1 == l && $2 == p && $3 == ph && $4 == t { print $5 "\t" $6 "\t" $7; exit }' \
    "$RAW/footprint.tsv" 2> /dev/null; }
# fp_stat lib policy phase -> allocated, active, resident (MiB, tab-separated)
fp_stat() { awk -F'\t' -v l="$1" -v p="$2" -v ph="stat:$3" \
    '$1 == l && $2 == p && $3 == ph { printf "%.1f\t%.1f\t%.1f\n", $5 / 1048576, $6 / 1048576, $7 / 1048576; exit }' \
    "$RAW/footprint.tsv" 2> /dev/null; }
sc() { awk -F'\t' -v l="$1" -v t="$2" -v s="$3" -v c="$4" '$1 == l && $2 == t && $3 == s { print $c; exit }' "$RAW/syscalls.tsv" 2> /dev/null; }
fp_ratio() { fp "$@" | awk -F'\t' '$2 > 0 { printf "%.2f", $1 / $2 }'; }
fp_mib() { fp "$@" | awk -F'\t' '{ printf "%.1f", $1 / 1048576 }'; }
rss() { awk -F'\t' -v l="$1" '$1 == l { print $2; exit }' "$RAW/rss.tsv" 2> /dev/null; }
# mixed_failed LIB TARGET: "none", or which runs failed, of how many.
mixed_failed() {
    local f
    f=$(awk -F'\t' -v p="mixed $1 $2 " -v r="$(mval rounds)" 'index($1, p) == 1 {
            c = substr($1, length(p) + 1)
            sub(/^-t 1 *$/, "1 thread", c); sub(/^-t 2 -s$/, "2 threads shared", c)
            sub(/^-t 2 *$/, "2 threads private", c)
            n[c]++; s[c] = $2 }
        END { for (c in n) printf "%s%s: %d of %d (%s)", (k++ ? "; " : ""), c, n[c], r,
                  (s[c] == 139 ? "SIGSEGV" : (s[c] == 134 ? "SIGABRT" : "exit status " s[c])) }' \
        "$RAW/failures.tsv" 2> /dev/null)
    echo "${f:-none}"
}
maxk() { awk -F'\t' -v l="$1" -v a="$2" '$1 == l && $2 == a { print $3; exit }' "$RAW/maxkinds.tsv" 2> /dev/null; }

# ------------------------------------------------------- headline table
headline() {
    local je_default="n/a" gl_default je_mix gl_mix je_mix2 gl_mix2
    [ $has_je = 1 ] && je_default="$(pair_cell jemalloc jemalloc 64) (mallocx)"
    gl_default="$(pair_cell glibc glibc 64) (malloc)"
    je_mix=$(or_na "$(fmt %.2f "$(mops jemalloc jemalloc 1 private)")")
    gl_mix=$(or_na "$(fmt %.2f "$(mops glibc glibc 1 private)")")
    je_mix2=$(or_na "$(fmt %.2f "$(mops jemalloc jemalloc 2 shared)")")
    gl_mix2=$(or_na "$(fmt %.2f "$(mops glibc glibc 2 shared)")")
    local sp_d sp_p sp_n
    sp_d=$(calc 'b / a' "$(ns ours default 64)" "$(ns 1.14 default 64)")
    sp_p=$(calc 'b / a' "$(ns ours pmem 64)" "$(ns 1.14 pmem 64)")
    sp_n=$(calc 'b / a' "$(ns ours default-nullfree 64)" "$(ns 1.14 default-nullfree 64)")
    echo "| workload | ours | memkind 1.14 | raw jemalloc 5.3 | glibc 2.36 | 1.14 / ours |"
    echo "| --- | --- | --- | --- | --- | --- |"
    echo "| 64 B malloc+free, MEMKIND_DEFAULT | $(pair_cell ours default 64) | $(pair_cell 1.14 default 64) | $je_default | $gl_default | $(or_na "$(fmt %.2f× "$sp_d")") |"
    echo "| 64 B malloc+free, PMEM kind | $(pair_cell ours pmem 64) | $(pair_cell 1.14 pmem 64) | | | $(or_na "$(fmt %.2f× "$sp_p")") |"
    echo "| 64 B, memkind_free(NULL, p), DEFAULT | $(pair_cell ours default-nullfree 64) | $(pair_cell 1.14 default-nullfree 64) | | | $(or_na "$(fmt %.2f× "$sp_n")") |"
    local a b
    for v in "1 private:1 thread" "2 shared:2 threads, cross-thread frees"; do
        # shellcheck disable=SC2086
        set -- ${v%%:*}
        for t in default pmem; do
            a=$(mops ours $t "$1" "$2")
            b=$(mops 1.14 $t "$1" "$2")
            local kn=MEMKIND_DEFAULT
            [ $t = pmem ] && kn="PMEM kind"
            if [ $t = default ]; then
                if [ "$1" = 1 ]; then ja=$je_mix gb=$gl_mix; else ja=$je_mix2 gb=$gl_mix2; fi
            else
                ja="" gb=""
            fi
            echo "| mixed 16 B–64 KiB, ${v#*:}, $kn (M ops/s) | $(or_na "$(fmt %.2f "$a")") | $(or_na "$(fmt %.2f "$b")") | $ja | $gb | $(or_na "$(fmt %.2f× "$(calc 'a / b' "$a" "$b")")") |"
        done
    done
    echo "| PMEM file after freeing 90 % of 1 GiB, 1 s idle (× live bytes): log-uniform / uniform sizes | $(or_na "$(fp_ratio ours default partial 1000)")× / $(or_na "$(fp_ratio ours uniform partial 1000)")× | $(or_na "$(fp_ratio 1.14 default partial 1000)")× / $(or_na "$(fp_ratio 1.14 uniform partial 1000)")× | | | |"
    echo "| PMEM file with nothing live, 1 s idle | $(or_na "$(fp_mib ours default empty 1000)") MiB | $(or_na "$(fp_mib 1.14 default empty 1000)") MiB | | | |"
    a=$(get "$M/create.tsv" ours create)
    b=$(get "$M/create.tsv" 1.14 create)
    echo "| PMEM kind create+destroy | $(or_na "$(fmt '%.0f µs' "$a")") | $(or_na "$(fmt '%.0f µs' "$b")") | | | $(or_na "$(fmt %.1f× "$(calc 'b / a' "$a" "$b")")") |"
    echo "| RSS per empty PMEM kind | $(or_na "$(fmt '%.0f KiB' "$(rss ours)")") | $(or_na "$(fmt '%.0f KiB' "$(rss 1.14)")") | | | |"
    echo "| most live PMEM kinds: this host / 64 CPUs simulated | $(or_na "$(maxk ours unset)") / $(or_na "$(maxk ours 256)") | $(or_na "$(maxk 1.14 unset)") / $(or_na "$(maxk 1.14 256)") | | | |"
    local f1 f2
    f1=$(awk -F'\t' '$1 == "ours" && $2 == 16777216 && $3 == 64 { print $5 }' "$RAW/fill.tsv" 2> /dev/null)
    f2=$(awk -F'\t' '$1 == "ours" && $2 == 67108864 && $3 == 1048576 { print $5 }' "$RAW/fill.tsv" 2> /dev/null)
    a=$(awk -F'\t' '$1 == "1.14" && $2 == 16777216 && $3 == 64 { print $5 }' "$RAW/fill.tsv" 2> /dev/null)
    b=$(awk -F'\t' '$1 == "1.14" && $2 == 67108864 && $3 == 1048576 { print $5 }' "$RAW/fill.tsv" 2> /dev/null)
    echo "| fill: 16 MiB kind with 64 B / 64 MiB kind with 1 MiB objects | $(or_na "$f1") % / $(or_na "$f2") % | $(or_na "$a") % / $(or_na "$b") % | | | |"
}

# ---------------------------------------------------------- targets
targets() {
    local r r2 i1 i2
    echo "| target | measured (this run) | verdict |"
    echo "| --- | --- | --- |"
    r=$(calc 'b / a' "$(ns ours pmem 64)" "$(ns 1.14 pmem 64)")
    i1=$(calc 'b / a' "$(ir ours pmem 64)" "$(ir 1.14 pmem 64)")
    echo "| PMEM 64 B malloc+free ≥ 3× memkind 1.14 | $(or_na "$(fmt %.1f× "$r")") faster (instructions: $(or_na "$(fmt %.1f× "$i1")") fewer) | $(verdict "$r" '>=' 3) |"
    r=$(calc 'a / b' "$(ns ours pmem 64)" "$(ns ours default 64)")
    i1=$(calc 'a / b' "$(ir ours pmem 64)" "$(ir ours default 64)")
    echo "| PMEM 64 B within 1.25× of our MEMKIND_DEFAULT | $(or_na "$(fmt %.2f× "$r")") (instructions $(or_na "$(fmt %.2f× "$i1")")) | $(verdict "$r" '<=' 1.25) |"
    r=$(calc 'a / b' "$(ns ours default 64)" "$(ns jemalloc jemalloc 64)")
    i1=$(calc 'a / b' "$(ir ours default 64)" "$(ir jemalloc jemalloc 64)")
    echo "| MEMKIND_DEFAULT 64 B within 1.10× of raw jemalloc mallocx | $(or_na "$(fmt %.2f× "$r")") (instructions $(or_na "$(fmt %.2f× "$i1")")) | $(verdict "$r" '<=' 1.10) |"
    r=$(calc 'a / b' "$(ns ours default-nullfree 64)" "$(ns ours default 64)")
    r2=$(calc 'a / b' "$(ns ours pmem-nullfree 64)" "$(ns ours pmem 64)")
    i1=$(calc 'a / b' "$(ir ours default-nullfree 64)" "$(ir ours default 64)")
    i2=$(calc 'a / b' "$(ir ours pmem-nullfree 64)" "$(ir ours pmem 64)")
    echo "| memkind_free(NULL, p) within 1.15× of memkind_free(kind, p) | DEFAULT $(or_na "$(fmt %.2f× "$r")") (instr. $(or_na "$(fmt %.2f× "$i1")")), PMEM $(or_na "$(fmt %.2f× "$r2")") (instr. $(or_na "$(fmt %.2f× "$i2")")) | $(verdict "$(calc 'a > b ? a : b' "$r" "$r2")" '<=' 1.15) |"
    r=$(fp_ratio ours uniform partial 1000)
    echo "| PMEM file ≤ 1.25× live bytes 1 s after freeing 90 % (DEFAULT policy), sizes uniform 16 B–64 KiB | $(or_na "$r")× (immediately $(or_na "$(fp_ratio ours uniform partial 0)")×; bound for these addresses: $(or_na "$(fp ours uniform partial 1000 | awk -F'\t' '$2 > 0 { printf "%.2f", $3 / $2 }')")×) | $(verdict "$r" '<=' 1.25) |"
    r=$(fp_ratio ours default partial 1000)
    echo "| the same, sizes log-uniform | $(or_na "$r")× (immediately $(or_na "$(fp_ratio ours default partial 0)")×; bound for these addresses: $(or_na "$(fp ours default partial 1000 | awk -F'\t' '$2 > 0 { printf "%.2f", $3 / $2 }')")×) | $(verdict "$r" '<=' 1.25) |"
    r=$(calc 'a / b' "$(ns ours pmem-conservative 64)" "$(ns ours pmem 64)")
    r2=$(calc 'a / b' "$(ns ours pmem-conservative 64 1000)" "$(ns ours pmem 64 1000)")
    local r3
    r3=$(calc 'a / b' "$(ns ours pmem-conservative 4096 1000)" "$(ns ours pmem 4096 1000)")
    echo "| CONSERVATIVE ≤ 2× DEFAULT cost on small objects | 64 B pairs $(or_na "$(fmt %.2f× "$r")"), 64 B batches of 1000 $(or_na "$(fmt %.2f× "$r2")"), 4 KiB batches $(or_na "$(fmt %.2f× "$r3")") | $(verdict "$(calc 'a > b ? (a > c ? a : c) : (b > c ? b : c)' "$r" "$r2" "$r3")" '<=' 2) |"
    r=$(awk -F'\t' '$1 == "ours" { if (m == "" || $5 < m) m = $5 } END { print m }' "$RAW/fill.tsv" 2> /dev/null)
    r2=$(awk -F'\t' '$1 == "ours" && $6 > $2 { n++ } END { print n + 0 }' "$RAW/fill.tsv" 2> /dev/null)
    echo "| fill ≥ 90 % (16 and 64 MiB kinds; 64 B, 4 KiB, 1 MiB objects); file ≤ max_size | lowest $(or_na "$r") %; file over max_size in $r2 of 6 | $(verdict "$(calc 'b > 0 ? 0 : a' "$r" "$r2")" '>=' 90) |"
    r=$(calc 'b / a' "$(get "$M/create.tsv" ours create)" "$(get "$M/create.tsv" 1.14 create)")
    echo "| kind create+destroy ≥ 10× faster than 1.14 | $(or_na "$(fmt %.1f× "$r")") | $(verdict "$r" '>=' 10) |"
    r=$(rss ours)
    echo "| < 64 KiB RSS per empty PMEM kind | $(or_na "$(fmt '%.1f KiB' "$r")") | $(verdict "$r" '<' 64) |"
    local k0 k64 k256 msg
    k0=$(maxk ours unset)
    k64=$(maxk ours 64)
    k256=$(maxk ours 256)
    msg=$(awk -F'\t' '$1 == "ours" && $2 == "unset" { print $4 }' "$RAW/maxkinds.tsv" 2> /dev/null)
    r=0
    [ -n "$k0" ] && [ "$k0" = "$k64" ] && [ "$k0" = "$k256" ] && case $msg in *maximum*) r=1 ;; esac
    echo "| every kind slot usable by live PMEM kinds whatever the CPU count | $(or_na "$k0") kinds (MEMKIND_ARENA_NUM_PER_KIND=64: $(or_na "$k64"), =256: $(or_na "$k256")); stops at: $(or_na "$msg") | $(verdict "$r" '==' 1) |"
    if [ -s "$RAW/preload.txt" ]; then
        echo "| LD_PRELOAD ≤ 1.05× glibc wall time (issue 5) | see the LD_PRELOAD section | see there |"
    else
        echo "| LD_PRELOAD ≤ 1.05× glibc wall time (issue 5) | not measured: test/bench/preload_bench.sh does not exist yet | n/a |"
    fi
}

# ------------------------------------------ what limits missed targets
# Prints, for each missed target, what the measurements say limits it.
limits() {
    local out="" r x y
    r=$(calc 'a / b' "$(ns ours default-nullfree 64)" "$(ns ours default 64)")
    x=$(calc 'a - b' "$(ir ours default-nullfree 64)" "$(ir ours default 64)")
    if [ "$(verdict "$r" '<=' 1.15)" != met ] && [ -n "$x" ]; then
        out="$out- **memkind_free(NULL, p)**: the address-to-kind lookup (src/lookup.h, inlined"
        out="$out into memkind_free: a 16-bit entry of the 2 MiB-granule map, then the registry slot,"
        out="$out two dependent loads and their checks) adds $(fmt %.0f "$x") instructions to a"
        out="$out MEMKIND_DEFAULT pair of only $(fmt %.0f "$(ir ours default 64)"), so the ratio is"
        out="$out $(fmt %.2f "$(calc 'a / b' "$(ir ours default-nullfree 64)" "$(ir ours default 64)")")×"
        out="$out in instructions and $(fmt %.2f "$r")× in time. Staying within 1.15× needs the lookup"
        out="$out below about $(fmt %.0f "$(calc 'a * 0.15' "$(ir ours default 64)")") instructions;"
        out="$out the callgrind profiles below show where each pair's instructions go."$'\n'
    fi
    r=$(calc 'a / b' "$(ns ours default 64)" "$(ns jemalloc jemalloc 64)")
    if [ "$(verdict "$r" '<=' 1.10)" != met ] && [ -n "$r" ]; then
        out="$out- **MEMKIND_DEFAULT against raw jemalloc** ($(fmt %.2f "$r")× in time): ours executes"
        out="$out $(fmt %.0f "$(ir ours default 64)") instructions per pair against mallocx/dallocx's"
        out="$out $(fmt %.0f "$(ir jemalloc jemalloc 64)"), but makes $(fmt %.1f "$(calls ours default 64)") function"
        out="$out calls against $(fmt %.1f "$(calls jemalloc jemalloc 64)") (memkind_malloc, the kind's ops"
        out="$out table, memkind_default_malloc, jemk_malloc and two TLS-descriptor calls, and the same"
        out="$out on the free side). A pair takes about 30 cycles either way and is bound by that"
        out="$out chain of calls and dependent loads, not by instruction count; the difference is"
        out="$out about $(fmt %.1f "$(calc 'a - b' "$(ns ours default 64)" "$(ns jemalloc jemalloc 64)")") ns and"
        out="$out the ratio moves with machine noise (per-round figures: bench-out/raw/pair64.tsv)."$'\n'
    fi
    r=$(fp_ratio ours default partial 1000)
    if [ "$(verdict "$r" '<=' 1.25)" != met ] && [ -n "$r" ]; then
        local a1 a2 a3 e1 e2 e3 live bound
        IFS=$'\t' read -r a1 a2 a3 <<< "$(fp_stat ours default partial)"
        IFS=$'\t' read -r e1 e2 e3 <<< "$(fp_stat ours default empty)"
        live=$(fp ours default partial 1000 | awk -F'\t' '{ printf "%.1f", $2 / 1048576 }')
        bound=$(fp ours default partial 1000 | awk -F'\t' '{ printf "%.1f", $3 / 1048576 }')
        out="$out- **PMEM footprint, log-uniform sizes** ($r× live at 1 s; uniform sizes:"
        out="$out $(or_na "$(fp_ratio ours uniform partial 1000)")×): the purger has given back every free"
        out="$out extent by then (the file, $(fp_mib ours default partial 1000) MiB, equals jemalloc's active"
        out="$out pages, $a2 MiB, and stays flat), and has emptied the idle thread's caches (allocated:"
        out="$out $a1 MiB against $live MiB live, the difference being size-class rounding); what"
        out="$out remains is fragmentation. The live objects ($live MiB) touch $bound MiB of distinct"
        out="$out pages, so even page-exact purging could not go below"
        out="$out $(calc 'a / b' "$bound" "$live" | awk '{ printf "%.2f", $1 }')× for these addresses;"
        out="$out jemalloc purges whole extents, and a slab (up to 7 pages for classes such as 1792 B)"
        out="$out with one live object keeps all of its pages. Minimal slabs"
        out="$out (JEMK_MALLOC_CONF=slab_sizes:1-16384:1, memkind_pmem(3)) bring it to about 1.24×, but"
        out="$out jemalloc's slab sizes are global, and that costs MEMKIND_DEFAULT 16 % on the mixed"
        out="$out workload, so it is not the default. With nothing live the file keeps"
        out="$out $(fp_mib ours default empty 1000) MiB (allocated $e1 MiB, active $e2 MiB)."$'\n'
    fi
    local r1 r2 r3
    r1=$(calc 'a / b' "$(ns ours pmem-conservative 64)" "$(ns ours pmem 64)")
    r2=$(calc 'a / b' "$(ns ours pmem-conservative 64 1000)" "$(ns ours pmem 64 1000)")
    r3=$(calc 'a / b' "$(ns ours pmem-conservative 4096 1000)" "$(ns ours pmem 4096 1000)")
    r=$(calc 'a > b ? (a > c ? a : c) : (b > c ? b : c)' "$r1" "$r2" "$r3")
    if [ "$(verdict "$r" '<=' 2)" != met ] && [ -n "$r" ]; then
        x=$(calc 'a / b' "$(ir ours pmem-conservative 64 1000)" "$(ir ours pmem 64 1000)")
        out="$out- **CONSERVATIVE policy**: with single malloc+free pairs, which the thread cache"
        out="$out absorbs, it costs $(fmt %.2f "$r1")× DEFAULT; once objects go back to the arena"
        out="$out (batches of 1000) it costs $(fmt %.2f "$r2")× at 64 B and $(fmt %.2f "$r3")× at 4 KiB,"
        out="$out while user-space instructions differ by only $(or_na "$(fmt %.2f "$x")")× (callgrind),"
        out="$out so the cost is in the kernel: CONSERVATIVE gives every emptied extent back at once"
        out="$out (decay 0), which punches a hole in the file, and the next allocation allocates the"
        out="$out blocks again (tmpfs zeroes them): $(or_na "$(sc ours pmem-conservative 4096 4)") fallocate"
        out="$out calls per 4 KiB pair against $(or_na "$(sc ours pmem 4096 4)") with DEFAULT"
        out="$out (64 B: $(or_na "$(sc ours pmem-conservative 64 4)") against $(or_na "$(sc ours pmem 64 4)")). memkind"
        out="$out 1.14 pays the same way ($(or_na "$(fmt %.1f "$(calc 'a / b' "$(ns 1.14 pmem-conservative 4096 1000)" "$(ns 1.14 pmem 4096 1000)")")")×"
        out="$out at 4 KiB). Staying within 2× needs hysteresis: keep a small amount of freed file"
        out="$out space (for example one chunk per arena, or a few milliseconds of decay) instead of"
        out="$out punching every emptied extent at once."$'\n'
    fi
    r=$(calc 'b / a' "$(get "$M/create.tsv" ours create)" "$(get "$M/create.tsv" 1.14 create)")
    if [ "$(verdict "$r" '>=' 10)" != met ] && [ -n "$r" ]; then
        out="$out- **create+destroy**: $(fmt %.0f "$(get "$M/create.tsv" ours create)") µs against"
        out="$out $(fmt %.0f "$(get "$M/create.tsv" 1.14 create)") µs for 1.14 in this run; the figure is"
        out="$out a median of 200 and moves with the machine's load (see the creation section)."$'\n'
    fi
    x=$(calc 'a / b' "$(ir ours pmem 1024)" "$(ir ours default 1024)")
    y=$(calc 'a / b' "$(ir ours pmem 64)" "$(ir ours default 64)")
    if [ -n "$x" ] && [ "$(verdict "$x" '<=' 1.5)" != met ]; then
        out="$out- Not a target, seen on the way: PMEM pairs of 1 KiB cost $(fmt %.1f "$x")× the"
        out="$out instructions of MEMKIND_DEFAULT ($(fmt %.0f "$(ir ours pmem 1024)") against"
        out="$out $(fmt %.0f "$(ir ours default 1024)"); 64 B: $(fmt %.2f "$y")×), and"
        out="$out $(or_na "$(fmt %.1f "$(calc 'a / b' "$(ns ours pmem 1024)" "$(ns ours default 1024)")")")× the time;"
        out="$out bench-out/callgrind/ours-pmem-b1-1024.out shows where."$'\n'
    fi
    if [ -n "$out" ]; then
        echo "## What limits the missed targets"
        echo
        printf '%s\n' "$out"
    fi
    echo "Creating a kind is cheap, its first allocation is not: create, one 64 B"
    echo "malloc+free and destroy take $(or_na "$(fmt %.0f "$(get "$M/create.tsv" ours create-use)")") µs"
    echo "(1.14: $(or_na "$(fmt %.0f "$(get "$M/create.tsv" 1.14 create-use)")") µs), mostly the kernel"
    echo "allocating and zeroing the first file chunk (fallocate of 2 MiB) and freeing it at close."
    echo
}

if [ $summary = 1 ]; then
    echo
    echo "Headline ($(mval date), $(mval cpus) CPUs; medians of $(mval key_rounds) (64 B pairs) or $(mval rounds) interleaved rounds)"
    headline
    echo
    targets
    echo
    echo "Full report: make bench-report (writes $OUT/report.md)"
    exit 0
fi

# ------------------------------------------------------------ gnuplot
have_gp=0
if ! command -v gnuplot > /dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        echo "report.sh: installing gnuplot-nox for the plots"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            gnuplot-nox > "$OUT/apt-gnuplot.log" 2>&1 ||
            { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends gnuplot-nox; } >> "$OUT/apt-gnuplot.log" 2>&1
    fi
fi
command -v gnuplot > /dev/null && have_gp=1
[ $have_gp = 1 ] || echo "report.sh: no gnuplot, so no plots (apt-get install gnuplot-nox)" >&2

series_pairs=("ours:default:ours MEMKIND_DEFAULT" "ours:pmem:ours PMEM"
    "1.14:default:1.14 MEMKIND_DEFAULT" "1.14:pmem:1.14 PMEM"
    "jemalloc:jemalloc:jemalloc mallocx" "glibc:glibc:glibc malloc")
rm -f "$P"/*.dat
# throughput by size: one .dat per series, "size Mpairs/s"
i=0
plot_tp=""
colors=("#1f77b4" "#2ca02c" "#d62728" "#ff7f0e" "#7f7f7f" "#9467bd")
dashes=(1 1 2 2 3 3)
for sp in "${series_pairs[@]}"; do
    IFS=: read -r lib target title <<< "$sp"
    awk -F'\t' -v l="$lib" -v t="$target" '$1 == l && $2 == t && $3 == 1 { print $4, 1000 / $6 }' \
        "$M/pair.tsv" | sort -n > "$P/tp-$lib-$target.dat"
    [ -s "$P/tp-$lib-$target.dat" ] || continue
    plot_tp="$plot_tp${plot_tp:+, }'$P/tp-$lib-$target.dat' with linespoints lw 2 dt ${dashes[$i]} lc rgb '${colors[$i]}' title '$title'"
    i=$((i + 1))
done

# footprint over time: partial phase, then empty phase shifted by secs + 0.5
secs=$(awk -F'\t' '$3 == "partial" { if ($4 > m) m = $4 } END { print m / 1000 }' "$RAW/footprint.tsv" 2> /dev/null)
plot_fp=""
i=0
for s in "ours:default" "ours:conservative" "1.14:default" "1.14:conservative"; do
    lib=${s%%:*}
    pol=${s#*:}
    awk -F'\t' -v l="$lib" -v p="$pol" -v off="$secs" '
        $1 == l && $2 == p && $3 == "partial" { print $4 / 1000, $5 / 1048576 }
        $1 == l && $2 == p && $3 == "empty" { if (!e++) print ""; print off + 0.5 + $4 / 1000, ($5 > 0 ? $5 : 4096) / 1048576 }
    ' "$RAW/footprint.tsv" > "$P/fp-$lib-$pol.dat" 2> /dev/null
    if [ -s "$P/fp-$lib-$pol.dat" ]; then
        plot_fp="$plot_fp${plot_fp:+, }'$P/fp-$lib-$pol.dat' with lines lw 2 dt ${dashes[$i]} lc rgb '${colors[$i]}' title '$lib $pol'"
    fi
    i=$((i + 1))
done
live_mib=$(awk -F'\t' '$1 == "ours" && $3 == "partial" { printf "%.1f", $6 / 1048576; exit }' "$RAW/footprint.tsv" 2> /dev/null)
[ -n "$live_mib" ] && plot_fp="$plot_fp, (x <= $secs ? $live_mib : 1/0) with lines lw 1 lc rgb 'black' dt 4 title 'live bytes'"

# mixed workload: rows = configuration, columns = series
{
    for c in "1 private:1-thread" "2 private:2-threads-private" "2 shared:2-threads-shared"; do
        # shellcheck disable=SC2086
        set -- ${c%%:*}
        row=${c#*:}
        for s in "ours default" "ours pmem" "1.14 default" "1.14 pmem" "jemalloc jemalloc" "glibc glibc"; do
            # shellcheck disable=SC2086
            v=$(mops $s "$1" "$2")
            row="$row ${v:-0}"
        done
        echo "$row"
    done
} > "$P/mixed.dat"

gp_common="set terminal pngcairo noenhanced size 820,460 font 'sans,10'; set grid; set key top right font 'sans,9'"
gp_sizes="set xtics ('16' 16, '64' 64, '256' 256, '1K' 1024, '4K' 4096, '16K' 16384, '64K' 65536, '256K' 262144, '1M' 1048576, '4M' 4194304)"
if [ $have_gp = 1 ]; then
    gnuplot <<EOF 2> "$P/gnuplot.log" || echo "report.sh: gnuplot failed (see $P/gnuplot.log)" >&2
$gp_common
set output '$OUT/throughput.png'
set title 'malloc+free pairs of one size (median of $(mval rounds) rounds)'
set logscale x 2
set xlabel 'object size (bytes)'
set ylabel 'million pairs per second'
$gp_sizes
set logscale y 10
set format y '%g'
plot $plot_tp
unset logscale
set output '$OUT/footprint.png'
set title 'PMEM backing file: 1 GiB allocated, 90 % freed at t=0, rest freed at t=$(calc 'a + 0.5' "$secs") s'
set xlabel 'seconds (process idle)'
set ylabel 'file blocks (MiB)'
set xtics auto
set logscale y 10
set key top right
plot $plot_fp
unset logscale
set output '$OUT/threads.png'
set title 'mixed 16 B-64 KiB workload with a live working set'
set ylabel 'million operations per second'
set xlabel ''
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set key top left font 'sans,9'
plot '$P/mixed.dat' using 2:xtic(1) title 'ours DEFAULT' lc rgb '#1f77b4', \
     '' using 3 title 'ours PMEM' lc rgb '#2ca02c', \
     '' using 4 title '1.14 DEFAULT' lc rgb '#d62728', \
     '' using 5 title '1.14 PMEM' lc rgb '#ff7f0e', \
     '' using 6 title 'jemalloc' lc rgb '#7f7f7f', \
     '' using 7 title 'glibc' lc rgb '#9467bd'
reset
set terminal pngcairo noenhanced size 1000,380 font 'sans,9'
set output '$OUT/headline.png'
set multiplot layout 1,2
set grid
set title '64 B-4 MiB malloc+free (million pairs/s)'
set logscale x 2
set logscale y 10
$gp_sizes
set key bottom left font 'sans,8'
set xlabel 'object size'
plot $plot_tp
unset logscale
set title 'PMEM file after freeing 90 % of 1 GiB (MiB)'
set logscale y 10
set xtics auto
set key top right font 'sans,8'
set xlabel 'seconds idle'
plot $plot_fp
unset multiplot
EOF
fi

# ------------------------------------------------------------ report
R=$OUT/report.md
img() { [ $have_gp = 1 ] && [ -s "$OUT/$1" ] && printf '![%s](%s)\n\n' "$2" "$1"; }
{
    echo "# memkind benchmark report"
    echo
    echo "$(mval date) on $(mval cpu), $(mval cpus) CPUs, $(mval memory), Linux $(mval kernel), $(mval os)."
    echo "Load average at start: $(mval load). PMEM kinds in $(mval pmem_dir)."
    echo "Libraries: ours $(mval ours); memkind 1.14: $(or_na "$(mval ref)"); jemalloc: $(or_na "$(mval jemalloc)"); glibc $(mval glibc)."
    echo "The run took $(cat "$RAW/seconds.txt" 2> /dev/null || echo '?') s."
    echo "Timed figures are medians of $(mval rounds) rounds ($(mval key_rounds) for the 64 B pairs behind"
    echo "the targets) in which every variant ran once, in rotating order, interleaved with the"
    echo "others; each run reports the fastest of 15 batches of about 2 ms. Ratios compare"
    echo "figures of this run."
    echo "Ir: instructions per operation under callgrind (deterministic; includes"
    echo "$(or_na "$(fmt %.0f "$(ir ours none 64)")") of loop overhead)."
    echo
    echo "## Headline"
    echo
    headline
    echo
    img headline.png "throughput by size and PMEM footprint over time"
    echo "## Targets"
    echo
    targets
    echo
    limits
    echo "## malloc+free pairs by size"
    echo
    echo "Nanoseconds per malloc+free pair (objects are not touched: the allocator's own cost)."
    echo
    hdr="| size |"
    sep="| --- |"
    cols=()
    for s in "ours default" "ours pmem" "ours dynamic" "1.14 default" "1.14 pmem" "1.14 dynamic" "jemalloc jemalloc" "glibc glibc"; do
        # shellcheck disable=SC2086
        set -- $s
        grep -q "^$1	$2	1	" "$M/pair.tsv" || continue
        cols+=("$s")
        hdr="$hdr $1 $2 |"
        sep="$sep --- |"
    done
    echo "$hdr"
    echo "$sep"
    for sz in $(awk -F'\t' '$3 == 1 { print $4 }' "$M/pair.tsv" | sort -n | uniq); do
        row="| $(awk -v s="$sz" 'BEGIN { if (s >= 1048576) printf "%d MiB", s / 1048576; else if (s >= 1024) printf "%d KiB", s / 1024; else printf "%d B", s }') |"
        for s in "${cols[@]}"; do
            # shellcheck disable=SC2086
            set -- $s
            row="$row $(or_na "$(fmt %.1f "$(ns "$1" "$2" "$sz")")") |"
        done
        echo "$row"
    done
    echo
    img throughput.png "throughput by size"
    echo "64 B variants (ns per pair; batch: allocate N objects, then free them, which"
    echo "overflows the thread cache so that the arenas and the usage policy are exercised):"
    echo
    echo "| variant | ours | 1.14 |"
    echo "| --- | --- | --- |"
    for v in "default 64 1:MEMKIND_DEFAULT" "default-nullfree 64 1:MEMKIND_DEFAULT, memkind_free(NULL, p)" \
        "dynamic 64 1:memkind_create_kind() kind" "pmem 64 1:PMEM" "pmem-nullfree 64 1:PMEM, memkind_free(NULL, p)" \
        "pmem-conservative 64 1:PMEM CONSERVATIVE" "pmem-conservative 4096 1:PMEM CONSERVATIVE, 4 KiB" \
        "pmem 64 1000:PMEM, batches of 1000" "pmem-conservative 64 1000:PMEM CONSERVATIVE, batches of 1000" \
        "pmem 4096 1000:PMEM, 4 KiB, batches of 1000" "pmem-conservative 4096 1000:PMEM CONSERVATIVE, 4 KiB, batches of 1000"; do
        # shellcheck disable=SC2086
        set -- ${v%%:*}
        echo "| ${v#*:} | $(pair_cell ours "$1" "$2" "$3") | $(pair_cell 1.14 "$1" "$2" "$3") |"
    done
    echo
    if [ -s "$RAW/syscalls.tsv" ]; then
        echo "System calls per pair in batches of 1000 (strace -c; the kernel work callgrind does"
        echo "not count):"
        echo
        echo "| library, kind, size | fallocate | madvise | mmap | munmap |"
        echo "| --- | --- | --- | --- | --- |"
        awk -F'\t' '{ printf "| %s %s, %s B | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$RAW/syscalls.tsv"
        echo
    fi
    echo "## Instructions per malloc+free pair (callgrind)"
    echo
    if [ -s "$CG" ]; then
        echo "| size | $(awk -F'\t' '$3 == 1 && $2 != "none" { k = $1 " " $2; if (!(k in s)) { s[k]; o = o (o ? " | " : "") k } } END { print o }' "$CG") |"
        echo "| --- |$(awk -F'\t' '$3 == 1 && $2 != "none" { k = $1 " " $2; if (!(k in s)) { s[k]; o = o " --- |" } } END { print o }' "$CG")"
        for sz in $(awk -F'\t' '$3 == 1 && $2 != "none" { print $4 }' "$CG" | sort -n | uniq); do
            awk -F'\t' -v sz="$sz" '
                $3 == 1 && $2 != "none" { k = $1 " " $2; if (!(k in s)) { s[k]; ord[++n] = k } if ($4 == sz) v[k] = $5 }
                END { row = "| " sz " B |"; for (i = 1; i <= n; i++) row = row " " (ord[i] in v ? v[ord[i]] : "") " |"; print row }' "$CG"
        done
        awk -F'\t' '
            $3 == 1 && $2 != "none" { k = $1 " " $2; if (!(k in s)) { s[k]; ord[++n] = k } if ($4 == 64) v[k] = $6 }
            END { row = "| function calls per 64 B pair |"; for (i = 1; i <= n; i++) row = row " " (ord[i] in v ? v[ord[i]] : "") " |"; print row }' "$CG"
        echo
        echo "Where the instructions of a 64 B pair go (self cost per pair, top functions;"
        echo "inlined jemalloc code is counted under the function it was inlined into):"
        echo
        for prof in ours-default-b1-64 ours-pmem-b1-64 ours-default-nullfree-b1-64 jemalloc-jemalloc-b1-64; do
            f=$OUT/callgrind/$prof.out
            [ -f "$f" ] || continue
            # pairs measured: the -n of the profiled command line
            n=$(awk '/^cmd:/ { for (i = 1; i < NF; i++) if ($i == "-n") print $(i + 1) }' "$f")
            echo "- \`$prof\`: $(callgrind_annotate --threshold=100 --auto=no "$f" 2> /dev/null |
                sed -n '/file:function/,$p' | awk -v n="${n:-1}" '
                    /^ *[0-9,]+ / {
                        ir = $1; gsub(",", "", ir)
                        fn = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", fn); sub(/ \[.*$/, "", fn); sub(/^.*:/, "", fn)
                        if (fn ~ /below main|^0x|libc_start|^main$/) next
                        c[fn] += ir; if (!(fn in seen)) { seen[fn]; o[++k] = fn }
                    }
                    END { for (i = 1; i <= k; i++) if (c[o[i]] / n >= 0.5) { s = s (s ? ", " : "") o[i] " " sprintf("%.1f", c[o[i]] / n) } print s }')"
        done
        echo
    else
        echo "Not measured (no valgrind)."
        echo
    fi
    echo "## Mixed workload, 1 and 2 threads"
    echo
    echo "Each operation replaces a random slot of a working set of 8192 objects with a new"
    echo "object of a log-uniform size in 16 B–64 KiB (first and last byte written) and frees"
    echo "the old one. \"shared\": both threads replace any slot, so about half the frees are"
    echo "cross-thread frees. Million operations per second (all threads), median of $(mval rounds) rounds."
    echo
    echo "| target | 1 thread | 2 threads, private | 2 threads, shared | cross-thread frees | runs that crashed or failed |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for s in "ours default" "ours pmem" "1.14 default" "1.14 pmem" "jemalloc jemalloc" "glibc glibc"; do
        # shellcheck disable=SC2086
        set -- $s
        grep -q "^$1	$2	" "$M/mixed.tsv" || continue
        echo "| $1 $2 | $(or_na "$(fmt %.2f "$(mops "$1" "$2" 1 private)")") | $(or_na "$(fmt %.2f "$(mops "$1" "$2" 2 private)")") | $(or_na "$(fmt %.2f "$(mops "$1" "$2" 2 shared)")") | $(or_na "$(fmt %.0f "$(get "$M/cross.tsv" "$1" "$2" 2 shared)")") % | $(mixed_failed "$1" "$2") |"
    done
    echo
    img threads.png "mixed workload throughput by threads"
    echo "## PMEM file footprint"
    echo
    echo "1 GiB of log-uniform 16 B–64 KiB objects (each written in full), then a random 90 %"
    echo "freed (\"uniform\": sizes uniform over 16 B–64 KiB instead, DEFAULT policy); the backing file's allocated blocks (found through /proc/self/fd, st_blocks × 512)"
    echo "sampled every 100 ms with the process idle; then the rest freed. \"bound\": the distinct"
    echo "pages the live objects touch, which no allocator that does not move objects can go below."
    echo
    echo "| library, policy | full | 90 % freed: at once | 0.5 s | 1 s | $(fmt %g "$secs") s | bound | nothing live: at once | 1 s | $(fmt %g "$secs") s |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    fp_rows=""
    send=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')
    for s in "ours default" "ours conservative" "ours uniform" "1.14 default" "1.14 conservative" "1.14 uniform"; do
        # shellcheck disable=SC2086
        set -- $s
        [ -n "$(fp "$1" "$2" full 0)" ] || continue
        rel() { fp "$1" "$2" "$3" "$4" | awk -F'\t' '$2 > 0 { printf "%.0f MiB (%.2f×)", $1 / 1048576, $1 / $2 }'; }
        echo "| $1 $2 | $(rel "$1" "$2" full 0) | $(rel "$1" "$2" partial 0) | $(rel "$1" "$2" partial 500) | $(rel "$1" "$2" partial 1000) | $(rel "$1" "$2" partial "$send") | $(fp "$1" "$2" partial 0 | awk -F'\t' '$2 > 0 { printf "%.0f MiB (%.2f×)", $3 / 1048576, $3 / $2 }') | $(fp_mib "$1" "$2" empty 0) MiB | $(fp_mib "$1" "$2" empty 1000) MiB | $(fp_mib "$1" "$2" empty "$send") MiB |"
        IFS=$'\t' read -r a1 a2 a3 <<< "$(fp_stat "$1" "$2" partial)"
        IFS=$'\t' read -r e1 e2 e3 <<< "$(fp_stat "$1" "$2" empty)"
        fp_rows="$fp_rows| $1 $2 | $(or_na "$a1") | $(or_na "$a2") | $(or_na "$a3") | $(or_na "$e1") | $(or_na "$e2") | $(or_na "$e3") |"$'\n'
    done
    echo
    echo "The kind's own figures at the end of each timeline (memkind_get_stat, MiB): allocated"
    echo "above the live bytes is freed objects that thread caches hold; active is the pages of"
    echo "extents that hold objects, which jemalloc cannot give back (it purges whole free extents"
    echo "only, so a slab keeps all its pages while one object in it lives)."
    echo
    echo "| library, policy | 10 % live: allocated | active | resident | nothing live: allocated | active | resident |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    printf '%s' "$fp_rows"
    echo
    echo "Live bytes after the 90 % free: $(or_na "$live_mib") MiB."
    echo
    img footprint.png "PMEM footprint over time"
    echo "## PMEM fill"
    echo
    echo "Objects of one size allocated (and written) until malloc fails; the file's blocks sampled."
    echo
    echo "| library | kind size | object | objects | filled | largest file |"
    echo "| --- | --- | --- | --- | --- | --- |"
    awk -F'\t' '{ printf "| %s | %d MiB | %s | %d | %.1f %% | %.1f MiB |\n", $1, $2 / 1048576,
        ($3 >= 1048576 ? ($3 / 1048576) " MiB" : ($3 >= 1024 ? ($3 / 1024) " KiB" : $3 " B")), $4, $5, $6 / 1048576 }' "$RAW/fill.tsv" 2> /dev/null
    echo
    echo "## PMEM kinds: creation, memory, count"
    echo
    echo "| | ours | 1.14 |"
    echo "| --- | --- | --- |"
    echo "| create+destroy, empty (median µs) | $(or_na "$(get "$M/create.tsv" ours create)") | $(or_na "$(get "$M/create.tsv" 1.14 create)") |"
    echo "| create, one 64 B malloc+free, destroy (median µs) | $(or_na "$(get "$M/create.tsv" ours create-use)") | $(or_na "$(get "$M/create.tsv" 1.14 create-use)") |"
    echo "| RSS per empty kind (KiB, over 100 kinds) | $(or_na "$(awk -F'\t' '$1 == "ours" { print $2 }' "$RAW/rss.tsv" 2> /dev/null)") | $(or_na "$(awk -F'\t' '$1 == "1.14" { print $2 }' "$RAW/rss.tsv" 2> /dev/null)") |"
    echo "| RSS per kind holding one 64 B object (KiB) | $(or_na "$(awk -F'\t' '$1 == "ours" { print $3 }' "$RAW/rss.tsv" 2> /dev/null)") | $(or_na "$(awk -F'\t' '$1 == "1.14" { print $3 }' "$RAW/rss.tsv" 2> /dev/null)") |"
    for a in unset 64 256; do
        case $a in
            unset) what="most live kinds, MEMKIND_ARENA_NUM_PER_KIND unset ($(mval cpus) CPUs)" ;;
            64) what="most live kinds, MEMKIND_ARENA_NUM_PER_KIND=64 (1.14: a 16-CPU host)" ;;
            256) what="most live kinds, MEMKIND_ARENA_NUM_PER_KIND=256 (1.14: a 64-CPU host)" ;;
        esac
        echo "| $what | $(or_na "$(maxk ours $a)") | $(or_na "$(maxk 1.14 $a)") |"
    done
    echo
    echo "Why creation stopped: $(awk -F'\t' '$2 == "unset" { printf "%s%s: %s", (n++ ? "; " : ""), $1, $4 }' "$RAW/maxkinds.tsv" 2> /dev/null)."
    echo "memkind 1.14 creates 4 arenas per CPU for every kind (MEMKIND_ARENA_NUM_PER_KIND"
    echo "overrides the count) and jemalloc has 4095 arena indices; ours creates a kind's arenas"
    echo "as threads use it, at most min(CPUs, 64, MEMKIND_ARENA_NUM_PER_KIND), so only the"
    echo "registry's MEMKIND_MAX_KIND (512, less the static kinds) limits live kinds."
    echo
    echo "## LD_PRELOAD real programs (issue 5)"
    echo
    if [ -s "$RAW/preload.txt" ]; then
        echo "Output of test/bench/preload_bench.sh (issue 5's benchmark), run by make bench:"
        echo
        echo '```'
        cat "$RAW/preload.txt"
        echo '```'
        if [ -s "$RAW/preload.err" ]; then
            echo
            echo "Its messages:"
            echo
            echo '```'
            sort "$RAW/preload.err" | uniq -c | sort -rn | head -n 20
            echo '```'
        fi
    else
        echo "Not measured: test/bench/preload_bench.sh (issue 5) does not exist yet."
    fi
    echo
    echo "## Other allocators (issue 17)"
    echo
    if [ -s "$OUT/peers.md" ]; then
        echo "Output of test/bench/bench-peers.sh (make bench-peers alone):"
        echo
        cat "$OUT/peers.md"
    else
        echo "Not measured (make bench --skip-peers; make bench-peers runs it alone)."
    fi
    echo
    if [ -s "$RAW/failures.tsv" ] || [ -s "$RAW/notes.txt" ]; then
        echo "## Failed runs and notes"
        echo
        [ -s "$RAW/failures.tsv" ] && awk -F'\t' '{ printf "- %s: exit status %s%s\n", $1, $2, ($2 >= 128 ? " (signal " $2 - 128 ")" : "") }' "$RAW/failures.tsv"
        [ -s "$RAW/notes.txt" ] && sed 's/^/- /' "$RAW/notes.txt"
        echo
    fi
    echo "## Method"
    echo
    echo "Programs: test/bench/pair_bench.c, mixed_bench.c, pmem_bench.c, peer_bench.c; runner"
    echo "test/bench/run-bench.sh; this report test/bench/report.sh. The programs link"
    echo "libmemkind.so.0 normally and LD_LIBRARY_PATH selects ours (a copy of .libs taken at the"
    echo "start of the run) or Debian's 1.14 (apt-get download libmemkind0, dpkg -x, cached in"
    echo "bench-out/debian); raw jemalloc is Debian's libjemalloc.so.2 through LD_PRELOAD."
    echo "Raw data: bench-out/raw/*.tsv; medians: bench-out/medians/; callgrind profiles:"
    echo "bench-out/callgrind/ (callgrind_annotate FILE)."
} > "$R"
echo "report.sh: wrote $R"
