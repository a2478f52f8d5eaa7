#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# jemalloc-linked.sh: test/compat/mixed_app.c linked with -ljemalloc
# (Debian's libjemalloc-dev): the application's jemalloc and ours are
# separate copies, configured by MALLOC_CONF and JEMK_MALLOC_CONF
# respectively, and our kinds never create arenas in the application's.
. "$top_srcdir/test/compat/compat-lib.sh"

compat_skip_if_sanitized "a -ljemalloc program cannot run beside the sanitizer's malloc"
compat_need "$MK_LIB"
je=$(compat_find_jemalloc)
if [ -z "$je" ]; then
    compat_skip "libjemalloc.so.2 not installed (apt-get install libjemalloc-dev)"
fi
# -ljemalloc needs the libjemalloc.so link of libjemalloc-dev; the runtime
# package alone is enough when named in full.
case $($CC -print-file-name=libjemalloc.so 2>/dev/null) in
/*) link=-ljemalloc ;;
*) link=$je ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mk-compat.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM
app=$tmp/mixed_app_jemalloc
if ! $CC -std=c11 -D_GNU_SOURCE -O2 -I"$top_srcdir/include" \
        "$top_srcdir/test/compat/mixed_app.c" -o "$app" \
        -L"$top_builddir/.libs" -Wl,-rpath,"$top_builddir/.libs" -lmemkind \
        "$link" -lpthread -ldl > "$tmp/cc.log" 2>&1; then
    echo "FAIL: cannot build mixed_app.c with $link:"
    sed 's/^/    /' "$tmp/cc.log"
    exit 1
fi
deps=$(ldd "$app")
if ! echo "$deps" | grep -q 'libjemalloc\.so\.2'; then
    echo "FAIL: $app does not load libjemalloc.so.2:"
    echo "$deps"
    exit 1
fi
if ! echo "$deps" | grep -q "libmemkind\.so\.0 => $top_builddir/\.libs/"; then
    echo "FAIL: $app does not load our libmemkind.so.0:"
    echo "$deps"
    exit 1
fi
compat_mixed_suite "linked with $link" "$app" "" 1
exit $compat_status
