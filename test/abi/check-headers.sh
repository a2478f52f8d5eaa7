#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# check-headers.sh: every public header compiles alone (CONVENTIONS.md 8):
# no config.h, no -D_GNU_SOURCE, only -I include/, included twice (include
# guard), with warnings as errors:
#   - C headers as C11 and C99:  -Wall -Wextra -Werror -pedantic-errors
#   - every header as C++11 and C++17, same flags, and the internal
#     memkind/internal/memkind_allocator_base.h the C++ allocator headers
#     include (installed, so it must compile alone too);
#   - hbw_allocator.h and that base also as C++98: hbw_allocator.h compiles
#     as C++03, as 1.14's did, so the base's part it uses must too;
#   - the C++ allocator templates also explicitly instantiated (every member
#     compiled), which memkind 1.14's headers fail (-Wunused-parameter in
#     deallocate) and ours must not.
# The flag set is one memkind 1.14's own headers pass, so compatibility
# never forces a failure here.  memkind_deprecated.h is not self-contained
# in 1.14 (it needs memkind_t from memkind.h, which includes it), so it is
# compiled after memkind.h, as 1.14 programs see it.
#
# Environment: top_srcdir (set by make check), CC, CXX.
# Exit status: 0 pass, 1 fail.

set -u

top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
inc=$top_srcdir/include
WARN="-Wall -Wextra -Werror -pedantic-errors"

C_HEADERS="memkind.h hbwmalloc.h memkind_memtier.h"
CXX_ONLY_HEADERS="memkind_allocator.h fixed_allocator.h pmem_allocator.h hbw_allocator.h"
CXX_INTERNAL_HEADERS="memkind/internal/memkind_allocator_base.h"
CXX98_HEADERS="hbw_allocator.h memkind/internal/memkind_allocator_base.h"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-headers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

status=0
npass=0

# try LABEL COMPILER STD EXT: compile $tmp/src (not from a pipe: the
# counters must survive), report.
try()
{
    label=$1 comp=$2 std=$3 ext=$4
    cp "$tmp/src" "$tmp/t.$ext"
    # shellcheck disable=SC2086  # $comp and $WARN are word lists
    if $comp -std="$std" $WARN -I"$inc" -fsyntax-only "$tmp/t.$ext" \
        > "$tmp/err" 2>&1; then
        npass=$((npass + 1))
    else
        echo "FAIL: $label as $std:"
        sed 's/^/    /' "$tmp/err" | head -n 30
        status=1
    fi
}

if ! command -v "${CC%% *}" >/dev/null 2>&1; then
    echo "FAIL: C compiler '$CC' not found"
    exit 1
fi
if ! command -v "${CXX%% *}" >/dev/null 2>&1; then
    echo "FAIL: C++ compiler '$CXX' not found"
    exit 1
fi

for h in $C_HEADERS memkind_deprecated.h $CXX_ONLY_HEADERS $CXX_INTERNAL_HEADERS; do
    if [ ! -f "$inc/$h" ]; then
        echo "FAIL: $inc/$h missing"
        status=1
    fi
done
[ "$status" = 0 ] || exit 1

# One source per header: included twice; memkind_deprecated.h after
# memkind.h (see above).
src_for()
{
    case $1 in
    memkind_deprecated.h)
        printf '#include <memkind.h>\n#include <memkind_deprecated.h>\n#include <memkind_deprecated.h>\n' ;;
    *)
        printf '#include <%s>\n#include <%s>\n' "$1" "$1" ;;
    esac
    echo 'int mk_header_check_dummy;'
}

for h in $C_HEADERS memkind_deprecated.h; do
    for std in c11 c99; do
        src_for "$h" > "$tmp/src"
        try "$h" "$CC" "$std" c
    done
done

for h in $C_HEADERS memkind_deprecated.h $CXX_ONLY_HEADERS $CXX_INTERNAL_HEADERS; do
    for std in c++11 c++17; do
        src_for "$h" > "$tmp/src"
        try "$h" "$CXX" "$std" cpp
    done
done

for h in $CXX98_HEADERS; do
    src_for "$h" > "$tmp/src"
    try "$h" "$CXX" c++98 cpp
done

# The allocator templates, every member instantiated.  An explicit
# instantiation does not reach base classes, so the base from
# memkind_allocator_base.h that holds an allocator's members is instantiated
# too (SPEC is header@class@base template).
base=libmemkind::mk_detail
for spec in memkind_allocator.h@libmemkind::static_kind::allocator@$base::kind_allocator \
            pmem_allocator.h@libmemkind::pmem::allocator@$base::kind_allocator \
            fixed_allocator.h@libmemkind::fixed::allocator@$base::kind_allocator \
            hbw_allocator.h@hbw::allocator@$base::allocator_types; do
    h=${spec%%@*}
    rest=${spec#*@}
    cls=${rest%%@*}
    bcls=${rest#*@}
    for std in c++11 c++17; do
        {
            printf '#include <%s>\n' "$h"
            for t in int 'long double'; do
                printf 'template class %s<%s>;\ntemplate class %s<%s, %s>;\n' \
                    "$cls" "$t" "$bcls" "$t" "$cls"
            done
        } > "$tmp/src"
        try "$h ($cls instantiated)" "$CXX" "$std" cpp
    done
done

if [ "$status" = 0 ]; then
    echo "PASS: $npass compilations: C headers ($C_HEADERS, memkind_deprecated.h via memkind.h) as C11/C99, all headers and $CXX_INTERNAL_HEADERS as C++11/C++17, $CXX98_HEADERS as C++98, with $WARN; allocator templates instantiated"
fi
exit $status
