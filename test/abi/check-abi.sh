#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# check-abi.sh: the dynamic symbols of the built libraries against memkind
# 1.14's (CONVENTIONS.md 11, DESIGN.md 1 and 3).  For libmemkind.so:
#   - SONAME is exactly libmemkind.so.0;
#   - every name in memkind-1.14.abi is exported with the same type
#     (func / object): the export list is a superset of 1.14's;
#   - every other exported name starts with memkind_, hbw_, memtier_ or
#     MEMKIND_, or is listed in added.txt;
#   - no jemalloc-looking name is exported (je_*, jemk_*, mallocx, mallctl,
#     malloc, free, ...): the private jemalloc stays hidden and the
#     application's malloc stays its own;
#   - no jemalloc-only name is left undefined (it would bind to an
#     application's jemalloc at run time);
#   - no initial-exec TLS (DF_STATIC_TLS): it moves the whole TLS block,
#     jemalloc's included, into static TLS and dlopen() of the library from
#     a bare process fails;
#   - it needs only libc (and what libtool adds of the C runtime, and the
#     sanitizer runtimes of the sanitizer lanes): libnuma,
#     libhwloc and libdaxctl cost every process that loads the library
#     their start-up (libnuma: 0.5-1 ms of CPU per process here, issue 17);
#     the library calls mbind(2) and move_pages(2) itself and dlopen()s the
#     other two when their features are used;
#   - the fork page (src/fork_page.ld) is one aligned page holding every
#     lock fork() takes.
# libmemtier.so, when built, gets the same checks against memtier-1.14.abi,
# except that it must export the malloc family (it interposes it).
#
# Environment: top_builddir, top_srcdir (set by make check), NM, READELF.
# Exit status: 0 pass, 1 fail (automake test protocol).

set -u

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
NM=${NM:-nm}
READELF=${READELF:-readelf}
abidir=$top_srcdir/test/abi
libdir=$top_builddir/.libs

for tool in "$NM" "$READELF"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "check-abi: $tool not found (install binutils)"
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-abi.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

status=0

fail()
{
    echo "FAIL: $*"
    status=1; libfail=1
}

# "func NAME" / "object NAME" lines of a reference list or added.txt,
# without comments and blank lines, sorted by name.
list_of()
{
    sed -e 's/#.*//' "$1" | awk 'NF >= 2 { print $1, $2 }' | sort -k2,2 -u
}

# The defined dynamic symbols of $1 as "func NAME" / "object NAME" lines.
# nm types: T W i = code (W: weak), D B R V G S u = data (V: weak object).
# A = version nodes, skipped.
exports_of()
{
    "$NM" -D --defined-only "$1" | awk '
        NF >= 3 {
            t = $2; n = $3; sub(/@.*/, "", n)
            if (t == "A") next
            if (t ~ /^[TtWwiI]$/) k = "func"
            else if (t ~ /^[DdBbRrVvGgSsu]$/) k = "object"
            else k = "type-" t
            print k, n
        }' | sort -k2,2 -u
}

# Names of jemalloc's public API (any prefix-less build), the malloc
# family, and jemalloc-internal modules that leak without a private
# namespace.  Anchored; memkind_arena_* etc. do not match.
JEMALLOC_RE='^(je_|jemk_|_rjem_|jemalloc|JEMALLOC)|^(mallctl|mallctlnametomib|mallctlbymib|mallocx|rallocx|xallocx|sallocx|dallocx|sdallocx|nallocx|smallocx_[0-9a-f]*|malloc_stats_print|malloc_usable_size|malloc_conf|malloc_conf_2_conf_harder|malloc_message|malloc|calloc|realloc|reallocarray|free|free_sized|free_aligned_sized|cfree|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|__libc_(malloc|calloc|realloc|free|memalign|valloc|pvalloc)|__(malloc|free|realloc|memalign)_hook)$|^(arena_|arenas_|tsd_|tcache_|extent_|extents_|ehooks_|emap_|edata_|rtree_|malloc_mutex_|malloc_tsd_|background_thread|base_|pages_|sz_|nstime_|witness_|prof_|hpa_|pac_|sec_|san_|bin_|large_|ctl_|stats_|ckh_|hook_|tsd_|opt_|b0_)'

# Symbols sanitizer and coverage instrumentation export ("func NAME" lines;
# mangle_path is libgcov's).
INSTRUMENT_RE=' (__odr_asan|__asan_|__ubsan_|__tsan_|__lsan_|__msan_|__sanitizer_|__gcov_|__llvm_)| mangle_path$'

# jemalloc-only API (not libc's malloc family): must not even be undefined.
JEMALLOC_ONLY_RE='^(je_|jemk_|_rjem_)|^(mallctl|mallctlnametomib|mallctlbymib|mallocx|rallocx|xallocx|sallocx|dallocx|sdallocx|nallocx|smallocx_[0-9a-f]*|malloc_stats_print|malloc_conf|malloc_message)$'

# check_lib LIB SONAME ABI_FILE EXTRA_OK_RE NAME
#   EXTRA_OK_RE: extra exported names this library may have besides the
#   prefixed ones and added.txt (e.g. the malloc family for libmemtier).
check_lib()
{
    lib=$1 want_soname=$2 abi=$3 extra_ok=$4 name=$5
    libfail=0

    soname=$("$READELF" -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
    if [ "$soname" != "$want_soname" ]; then
        fail "$name: SONAME is '${soname:-none}', want $want_soname"
    fi

    # Names instrumentation adds (--enable-sanitizers: __odr_asan.<global>;
    # --enable-gcov: __gcov_*) are not ours: left out, and counted.
    exports_of "$lib" > "$tmp/all" || { fail "$name: $NM -D failed"; return; }
    grep -vE "$INSTRUMENT_RE" "$tmp/all" > "$tmp/exports"
    ninstr=$(grep -cE "$INSTRUMENT_RE" "$tmp/all")
    list_of "$abi" > "$tmp/ref"
    list_of "$abidir/added.txt" > "$tmp/added"

    # 1. Superset of 1.14, same types.
    nref=$(wc -l < "$tmp/ref")
    awk 'FILENAME == ARGV[1] { have[$2] = $1; next }
         !($2 in have) { print "missing " $1 " " $2; next }
         have[$2] != $1 { print "type " $2 ": 1.14 has " $1 ", ours " have[$2] }' \
        "$tmp/exports" "$tmp/ref" > "$tmp/missing"
    if [ -s "$tmp/missing" ]; then
        fail "$name: $(wc -l < "$tmp/missing") of $nref 1.14 names missing or of another type:"
        sed 's/^/    /' "$tmp/missing"
    fi

    # 2. No jemalloc-looking export (names in the 1.14 list are ABI: the
    #    malloc family and je_* of libmemtier 1.14; EXTRA_OK_RE names are
    #    this library's business).
    awk -v jre="$JEMALLOC_RE" -v extra="$extra_ok" '
        FILENAME == ARGV[1] { ref[$2] = 1; next }
        ($2 in ref) || (extra != "" && $2 ~ extra) { next }
        $2 ~ jre { print $2 }' "$tmp/ref" "$tmp/exports" > "$tmp/jemalloc"
    if [ -s "$tmp/jemalloc" ]; then
        fail "$name: exports jemalloc or malloc-family names (the private jemalloc must stay hidden):"
        sed 's/^/    /' "$tmp/jemalloc"
    fi

    # 3. New names: prefixed, or listed in added.txt with their type
    #    (jemalloc names were reported above and are never allowed).
    awk 'FILENAME == ARGV[1] { known[$2] = 1; next } !($2 in known)' \
        "$tmp/ref" "$tmp/exports" > "$tmp/new"
    awk -v jre="$JEMALLOC_RE" -v extra="$extra_ok" '
        FILENAME == ARGV[1] { ok[$1 " " $2] = 1; next }
        $2 ~ /^(memkind_|hbw_|memtier_|MEMKIND_)/ { next }
        (extra != "" && $2 ~ extra) || (($1 " " $2) in ok) { next }
        $2 ~ jre { next }
        { print }' "$tmp/added" "$tmp/new" > "$tmp/stray"
    if [ -s "$tmp/stray" ]; then
        fail "$name: exported names outside memkind_/hbw_/memtier_/MEMKIND_ and not in test/abi/added.txt:"
        sed 's/^/    /' "$tmp/stray"
    fi

    # 4. jemalloc API left undefined would bind to the application's.
    "$NM" -D --undefined-only "$lib" | awk '{ n = $NF; sub(/@.*/, "", n); print n }' |
        grep -E "$JEMALLOC_ONLY_RE" > "$tmp/undef"
    if [ -s "$tmp/undef" ]; then
        fail "$name: undefined jemalloc names (would resolve to the application's jemalloc):"
        sed 's/^/    /' "$tmp/undef"
    fi

    nexp=$(wc -l < "$tmp/exports")
    nnew=$(wc -l < "$tmp/new")
    if [ "$libfail" = 0 ]; then
        echo "PASS: $name: SONAME $soname; $nexp exported names cover all $nref of 1.14 with the same types; $nnew new names, all allowed; no jemalloc symbol"
        [ "$ninstr" = 0 ] || echo "      ($ninstr instrumentation names ignored)"
    fi
}

# libmemkind.so ------------------------------------------------------------
lib=$libdir/libmemkind.so
if [ ! -e "$lib" ]; then
    echo "FAIL: $lib not found (build the library first: make)"
    exit 1
fi
check_lib "$lib" libmemkind.so.0 "$abidir/memkind-1.14.abi" "" libmemkind.so

# Initial-exec TLS in libmemkind makes dlopen() fail in processes with
# little spare static TLS (python3 ctypes: "cannot allocate memory in static
# TLS block"); DESIGN.md 3 builds jemalloc with --disable-initial-exec-tls
# for that reason.
if "$READELF" -d "$lib" | grep -q 'FLAGS.*STATIC_TLS'; then
    tls=$("$READELF" -lW "$lib" | awk '$1 == "TLS" { print $6 }')
    fail "libmemkind.so: DF_STATIC_TLS is set (initial-exec TLS model somewhere); the whole TLS block (memsz $tls) must then fit in static TLS and dlopen() from a bare process fails. Relocations:"
    "$READELF" -rW "$lib" | grep -E 'TPOFF' | sed 's/^/    /'
fi

needed=$("$READELF" -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
    grep -v -E '^(libc|libm|libpthread|libdl|ld-linux.*|libgcc_s|libasan|libubsan|libtsan|liblsan)\.so' |
    tr '\n' ' ')
[ -z "$needed" ] ||
    fail "libmemkind.so: needs $needed(every process that loads it would pay their start-up)"

# The fork page (src/fork_page.ld): what fork() writes, on one page.
libfail=0
fp=$("$READELF" -SW "$lib" | sed -n 's/.* mk_fork_page  *[A-Z]*  *\([0-9a-f]*\) [0-9a-f]* \([0-9a-f]*\) .*/\1 \2/p')
if [ -z "$fp" ]; then
    fail "libmemkind.so: no mk_fork_page section (src/fork_page.ld not linked)"
else
    set -- $fp
    fpaddr=$((0x$1)); fpsize=$((0x$2))
    [ $((fpaddr % 4096)) = 0 ] ||
        fail "libmemkind.so: mk_fork_page at $1 is not 4 KiB-aligned"
    [ "$fpsize" -le 4096 ] ||
        fail "libmemkind.so: mk_fork_page holds $fpsize bytes, more than one page"
    if "$NM" "$lib" 2>/dev/null | grep -q ' registry_lock$'; then
        for v in registry_lock mk_default_set purger_lock sync_fds ctl_mtx \
                 tcaches_mtx jemk_je_arenas_lock jemk_je_background_thread_lock \
                 tsd_nominal_tsds_lock background_thread_enabled_at_fork; do
            a=$("$NM" "$lib" | awk -v n="$v" '$3 == n { print $1; exit }')
            if [ -z "$a" ]; then
                fail "libmemkind.so: $v not found (renamed? update src/fork_page.ld)"
            elif [ $((0x$a)) -lt "$fpaddr" ] ||
                 [ $((0x$a)) -ge $((fpaddr + fpsize)) ]; then
                fail "libmemkind.so: $v (at $a) is not on the fork page"
            fi
        done
        [ "$libfail" = 1 ] ||
            echo "PASS: libmemkind.so: the fork page is one 4 KiB-aligned page of $fpsize bytes with every lock fork() takes"
    else
        echo "SKIP: libmemkind.so has no symbol table (stripped): fork page contents not checked"
    fi
fi

# libmemtier.so ------------------------------------------------------------
tier=$libdir/libmemtier.so
if [ -e "$tier" ]; then
    # It interposes the whole malloc family (CONVENTIONS.md 9).
    check_lib "$tier" libmemtier.so.0 "$abidir/memtier-1.14.abi" \
        '^(malloc|calloc|realloc|reallocarray|free|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|malloc_usable_size)$' \
        libmemtier.so
else
    echo "SKIP: libmemtier.so not built yet ($tier): not checked against memtier-1.14.abi"
fi

exit $status
