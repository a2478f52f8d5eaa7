# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2154
# bench-libs.sh - sourced by run-bench.sh and bench-peers.sh: finds (or
# fetches) the other libraries the benchmarks measure.  The caller sets
# OUT (the output directory), arch (the multiarch triplet) and a note
# function (prints a line and keeps it with the results).

# Prints the directory holding Debian's 1.14 libmemkind.so.0, fetching the
# package into $OUT/debian if it is not cached there yet (apt-get download
# and dpkg -x: never installed).  BENCH_REF_LIBDIR=DIR uses DIR instead.
fetch_ref() {
    if [ -n "${BENCH_REF_LIBDIR:-}" ]; then
        echo "$BENCH_REF_LIBDIR"
        return
    fi
    local deb=$OUT/debian dir=$OUT/debian/root/usr/lib/$arch
    if [ ! -e "$dir/libmemkind.so.0" ]; then
        mkdir -p "$deb"
        rm -f "$deb"/libmemkind0_*.deb
        if ! (cd "$deb" && apt-get download libmemkind0) > "$deb/apt.log" 2>&1; then
            note "1.14: apt-get download libmemkind0 failed: $(tail -n 1 "$deb/apt.log")"
            return
        fi
        dpkg -x "$deb"/libmemkind0_*.deb "$deb/root" || return
    fi
    echo "$dir"
}

# find_installed PACKAGE SONAME: prints the path of SONAME as installed by
# PACKAGE (dpkg -L), or found in the multiarch directories.
find_installed() {
    local f
    f=$(dpkg -L "$1" 2>/dev/null | grep "/$2\$" | head -n 1)
    [ -n "$f" ] && [ -e "$f" ] && { echo "$f"; return; }
    for f in "/usr/lib/$arch/$2" "/lib/$arch/$2"; do
        [ -e "$f" ] && { echo "$f"; return; }
    done
}

# Prints the path of Debian's libjemalloc.so.2 (installed, or fetched).
find_jemalloc() {
    local f
    f=$(find_installed libjemalloc2 libjemalloc.so.2)
    [ -n "$f" ] && { echo "$f"; return; }
    f=$OUT/debian/root/usr/lib/$arch/libjemalloc.so.2
    if [ ! -e "$f" ]; then
        mkdir -p "$OUT/debian"
        (cd "$OUT/debian" && apt-get download libjemalloc2 && \
            dpkg -x libjemalloc2_*.deb root) > "$OUT/debian/apt-je.log" 2>&1
    fi
    [ -e "$f" ] && echo "$f"
}
