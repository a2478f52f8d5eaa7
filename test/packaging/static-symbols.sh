#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# static-symbols.sh (make check): the static archives of this build
# (src/pkg/pkg.mk) keep their jemalloc private.
#  - the defined global symbols of libmemkind.a and libmemtier.a are
#    exactly the dynamic exports of libmemkind.so.0 and libmemtier.so.0;
#  - libmemkind.a has no global je_*, jemk_* or jemalloc* symbol;
#  - a program linking libmemkind.a next to Debian's static libjemalloc
#    (whose malloc is then the program's) links and runs both allocators;
#  - a program linking libmemtier.a and libmemkind.a (malloc replaced at
#    link time instead of by LD_PRELOAD) builds its tiers and runs: the
#    constructors of the two archives run in one list there, so this checks
#    that libmemkind's runs first (src/registry.c).
# The packaging lane (check-packaging.sh) repeats the first two on the
# installed packages.
set -u
b=${top_builddir:-.}
s=${top_srcdir:-.}
fail() { echo "FAIL: $*"; exit 1; }
syms() { nm "$@" --defined-only | awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ { print $3 }' | sort -u; }
t=${TMPDIR:-/tmp}/static-symbols.$$
mkdir -p "$t" || exit 99
trap 'rm -rf "$t"' EXIT

for l in libmemkind libmemtier; do
    [ -f "$b/src/pkg/$l.a" ] || fail "no $b/src/pkg/$l.a (make all builds it)"
    syms -D "$b/.libs/$l.so" > "$t/so" || fail "nm $l.so"
    syms "$b/src/pkg/$l.a" > "$t/a" || fail "nm $l.a"
    [ -s "$t/so" ] || fail "$l.so exports nothing?"
    cmp -s "$t/so" "$t/a" || { diff "$t/so" "$t/a" | head -n 20; fail "$l.a globals != $l.so exports"; }
    echo "$l.a: $(wc -l < "$t/a") global symbols = $l.so exports"
done
syms "$b/src/pkg/libmemkind.a" | grep -E '^(je_|jemk_|jemalloc)' && fail "global jemalloc symbols"
n=$(nm "$b/src/pkg/libmemkind.a" | grep -c ' [a-z] jemk_')
[ "$n" -gt 100 ] || fail "only $n local jemk_ symbols: is the jemalloc inside?"
echo "libmemkind.a: $n jemk_ symbols, all local"

# A sanitizer or coverage build's objects need their runtime, which a
# -static link of this plain program does not bring: the symbol checks
# above hold there too; the link is a skip.
if nm -u "$b/src/pkg/libmemkind.a" | grep -qE ' (__asan_|__tsan_|__ubsan_|__gcov_|__sanitizer_)'; then
    echo "SKIP: instrumented build (sanitizer/coverage runtime needed): no static link test"
    exit 77
fi
ls /usr/lib/*/libjemalloc.a > /dev/null 2>&1 ||
    { echo "SKIP: no libjemalloc.a (libjemalloc-dev) for the link test"; exit 77; }
cat > "$t/both.c" <<'C'
#include <jemalloc/jemalloc.h>
#include <memkind.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    const char *v = NULL;
    size_t len = sizeof(v);
    if (mallctl("version", &v, &len, NULL, 0) != 0)
        return 2;
    void *a = malloc(100), *b = memkind_malloc(MEMKIND_DEFAULT, 100000);
    void *c = mallocx(1 << 20, 0);
    if (!a || !b || !c || memkind_detect_kind(b) != MEMKIND_DEFAULT)
        return 3;
    memset(a, 1, 100);
    memset(b, 2, 100000);
    free(a);
    memkind_free(NULL, b);
    dallocx(c, 0);
    printf("libjemalloc %s and libmemkind.a in one static program\n", v);
    return 0;
}
C
${CC:-cc} -static -I"$s/include" -o "$t/both" "$t/both.c" "$b/src/pkg/libmemkind.a" \
    -ljemalloc -lpthread -ldl -lm 2> "$t/err" || { cat "$t/err"; fail "static link"; }
"$t/both" || fail "the static program exited $?"

# libmemtier.a: its constructor builds the tiers through libmemkind.a.
cat > "$t/tier.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *p = malloc(1000);
    if (!p)
        return 2;
    memset(p, 1, 1000);
    p = realloc(p, 1 << 20);
    if (!p)
        return 3;
    free(p);
    puts("libmemtier.a: tiered malloc in a program linked with the archives");
    return 0;
}
C
${CC:-cc} -o "$t/tier" "$t/tier.c" "$b/src/pkg/libmemtier.a" "$b/src/pkg/libmemkind.a" \
    -lpthread -ldl || fail "link with libmemtier.a"
MEMKIND_MEM_TIERS='KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO' MEMKIND_MEM_TIERS_LOG_LEVEL=1 \
    "$t/tier" > "$t/tier.out" 2>&1 || { cat "$t/tier.out"; fail "the libmemtier.a program exited $?"; }
cat "$t/tier.out"
grep -q 'libmemtier: loaded' "$t/tier.out" || fail "libmemtier.a did not build its tiers"
