#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench-kinds.sh: what one kind costs and what create/destroy cycles leave
# behind (issue 16), ours next to Debian's memkind 1.14 in the same run
# (test/bench/kind_bench, one binary, LD_LIBRARY_PATH picks the library).
# Prints a markdown table.  Not a test.
#   BENCH_PMEM_DIR     directory of the PMEM kinds (default /dev/shm, else /tmp)
#   BENCH_REF_LIBDIR   directory holding 1.14's libmemkind.so.0 (default:
#                      apt-get download libmemkind0, unpacked with dpkg -x
#                      into a temporary directory, never installed)
set -u
b=${top_builddir:-.}
bin=$b/test/bench/kind_bench
[ -x "$bin" ] || { echo "build $bin first (make test/bench/kind_bench)"; exit 1; }
dir=${BENCH_PMEM_DIR:-}
[ -n "$dir" ] || { [ -d /dev/shm ] && dir=/dev/shm || dir=/tmp; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mk-kind-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT HUP INT TERM
ref=${BENCH_REF_LIBDIR:-}
if [ -z "$ref" ]; then
    arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
    if (cd "$work" && apt-get download libmemkind0 >/dev/null 2>&1) &&
        dpkg -x "$work"/libmemkind0_*.deb "$work/root"; then
        ref=$work/root/usr/lib/$arch
    fi
fi
pdir=$(mktemp -d "$dir/mk-kind-bench.XXXXXX") || exit 1
trap 'rm -rf "$work" "$pdir"' EXIT HUP INT TERM
get() { echo "$1" | sed -n "s/.* $2=\([-0-9.]*\).*/\1/p"; }
echo "PMEM directory: $dir ($(stat -f -c %T "$dir"))"
echo
echo "| kind | library | create+destroy µs | + one 100 B object µs | virtual KiB per empty kind | RSS KiB per empty kind | RSS KiB with one object | mappings with one object | after 2000 cycles: mappings / RSS KiB / virtual KiB / fds |"
echo "|---|---|---|---|---|---|---|---|---|"
for t in pmem pmem64 fixed; do
    for lib in ours 1.14; do
        if [ $lib = ours ]; then l=$b/.libs
        elif [ -n "$ref" ]; then l=$ref
        else echo "| $t | 1.14 | (libmemkind0 not available) ||||||"; continue; fi
        r=$(LD_LIBRARY_PATH=$l "$bin" $t "$pdir" 2>&1 | tail -n 1)
        case $r in type=*) ;; *) echo "| $t | $lib | failed: $r ||||||"; continue ;; esac
        echo "| $t | $lib | $(get "$r" create_destroy_us) | $(get "$r" cycle_us) | $(get "$r" empty_vsz_kib) | $(get "$r" empty_rss_kib) | $(get "$r" one_rss_kib) | $(get "$r" one_maps) | $(get "$r" soak_maps) / $(get "$r" soak_rss_kib) / $(get "$r" soak_vsz_kib) / $(get "$r" soak_fds) |"
    done
done
