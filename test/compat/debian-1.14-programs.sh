#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# debian-1.14-programs.sh: programs compiled against Debian's libmemkind-dev
# 1.14 headers run on our libmemkind.so.0 (DESIGN.md 1).  Downloads the
# package with `apt-get download` into a temporary directory and unpacks it
# there with `dpkg -x` (it is never installed), compiles the C and C++
# examples it ships (usr/share/doc/libmemkind-dev/examples/) with
# -I<unpacked>/usr/include only, links them with our library (rpath to our
# .libs; ldd must show it), and runs them.  One line per program:
#   PASS  built and exited 0;
#   SKIP  needs hardware or a library this machine or build lacks, and
#         failed gracefully (an error exit, not a signal);
#   FAIL  does not compile or link against 1.14's headers, crashed, or
#         exited non-zero although it needs nothing special.
# PMEM examples get a fresh mkdtemp directory as their argument.
#
# Environment: top_builddir, top_srcdir (make check), CC, CXX;
# MK_LIBMEMKIND_DEV_DEB=path/to/libmemkind-dev_1.14*.deb avoids the download.
# Exit status: 0 pass (possibly with SKIP lines), 1 fail, 77 when the
# package cannot be obtained.

. "$top_srcdir/test/compat/compat-lib.sh"
CXX=${CXX:-c++}

compat_skip_if_sanitized "the examples are built without the sanitizer runtime"
compat_need "$MK_LIB"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mk-debian-1.14.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# 1. The package --------------------------------------------------------
pkg=$tmp/pkg
compat_debian_unpack libmemkind-dev "${MK_LIBMEMKIND_DEV_DEB:-}" "$tmp" "$pkg"
version=$compat_deb_version
inc=$pkg/usr/include
ex=$pkg/usr/share/doc/libmemkind-dev/examples
if [ ! -f "$inc/memkind.h" ] || [ ! -d "$ex" ]; then
    echo "FAIL: libmemkind-dev $version has no usr/include/memkind.h or no examples directory"
    exit 1
fi
echo "libmemkind-dev $version unpacked (not installed); headers: $inc"

# 2. Build and run -------------------------------------------------------
npass=0 nskip=0 nfail=0
# --no-as-needed: autohbw_candidates.c only defines hooks, yet must load us.
libs="-L$top_builddir/.libs -Wl,-rpath,$top_builddir/.libs -Wl,--no-as-needed -lmemkind -lpthread"
# Every optional part of the C++ examples.
cxx_tests="-DSTL_FWLIST_TEST -DSTL_DEQUE_TEST -DSTL_MULTISET_TEST \
-DSTL_VECTOR_TEST -DSTL_LIST_TEST -DSTL_VEC_STRING_TEST -DSTL_MAP_INT_STRING_TEST"
to=
command -v timeout >/dev/null 2>&1 && to="timeout 120"

result()
{
    echo "$1: $2: $3"
    case $1 in
    PASS) npass=$((npass + 1)) ;;
    SKIP) nskip=$((nskip + 1)) ;;
    *) nfail=$((nfail + 1)) ;;
    esac
}

show()
{
    sed 's/^/    /' "$1" | tail -n "${2:-15}"
}

# build NAME SOURCES...: compiles into $tmp/bin/NAME; 0 on success.
build()
{
    name=$1
    shift
    case $1 in
    *.cpp) comp="$CXX -std=c++11 $cxx_tests" ;;
    *) comp="$CC -std=gnu11" ;;
    esac
    # shellcheck disable=SC2086  # $comp and $libs are word lists
    if ! $comp -O1 -g -I"$inc" "$@" -o "$tmp/bin/$name" $libs \
            > "$tmp/$name.cc.log" 2>&1; then
        result FAIL "$name" "does not build against Debian's 1.14 headers"
        show "$tmp/$name.cc.log" 30
        return 1
    fi
    if ! ldd "$tmp/bin/$name" | grep -q "libmemkind\.so\.0 => $top_builddir/\.libs/libmemkind\.so\.0"; then
        result FAIL "$name" "ldd does not show our libmemkind.so.0:"
        ldd "$tmp/bin/$name" | sed 's/^/    /'
        return 1
    fi
    return 0
}

# The shell cannot tell "killed by signal N" from "exit 128+N" (the 1.14
# examples exit with -errno), so a small runner of ours reports which.
cat > "$tmp/runner.c" <<'EOF'
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    int st;
    FILE *f;
    pid_t pid;
    if (argc < 3)
        return 2;
    pid = fork();
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !(f = fopen(argv[1], "w")))
        return 2;
    if (WIFSIGNALED(st))
        fprintf(f, "signal %d\n", WTERMSIG(st));
    else
        fprintf(f, "exit %d\n", WEXITSTATUS(st));
    return fclose(f) != 0;
}
EOF
if ! $CC -o "$tmp/runner" "$tmp/runner.c" > "$tmp/runner.log" 2>&1; then
    echo "FAIL: cannot build the runner with $CC:"
    show "$tmp/runner.log"
    exit 1
fi

# run NAME NEEDS [ENV...] -- ARGS...: runs $tmp/bin/NAME.
#   NEEDS: "-" for nothing special, else what the program needs (HBW, ...),
#   under which a graceful error exit is a SKIP.
run()
{
    name=$1 needs=$2
    shift 2
    envs=
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        envs="$envs $1"
        shift
    done
    [ $# -gt 0 ] && shift
    # shellcheck disable=SC2086  # $to and $envs are word lists
    env $envs "$tmp/runner" "$tmp/$name.status" $to "$tmp/bin/$name" "$@" \
        > "$tmp/$name.out" 2> "$tmp/$name.err"
    how=$(cat "$tmp/$name.status" 2>/dev/null)
    # Last words: stderr's last line, else stdout's.
    why=$(grep -v '^[[:space:]]*$' "$tmp/$name.err" | tail -n 1)
    [ -n "$why" ] || why=$(grep -v '^[[:space:]]*$' "$tmp/$name.out" | tail -n 1)
    cat "$tmp/$name.err" >> "$tmp/$name.out"
    case $how in
    "exit 0")
        what="exit 0"
        [ "$needs" != - ] && what="exit 0 (uses $needs)"
        result PASS "$name" "$what" ;;
    "exit 124")
        result FAIL "$name" "timed out (120 s)"
        show "$tmp/$name.out" ;;
    signal*)
        result FAIL "$name" "killed by $how"
        show "$tmp/$name.out" ;;
    exit*)
        if [ "$needs" != - ]; then
            result SKIP "$name" "needs $needs; failed gracefully ($how): $why"
        else
            result FAIL "$name" "$how"
            show "$tmp/$name.out"
        fi ;;
    *)
        result FAIL "$name" "the runner failed"
        show "$tmp/$name.out" ;;
    esac
}

mkdir -p "$tmp/bin"
for src in "$ex"/*.c "$ex"/*.cpp; do
    [ -f "$src" ] || continue
    file=${src##*/}
    name=${file%.*}
    case $file in
    memkind_decorator_debug.c)
        # Decorator hooks without main(): link them with a small program
        # of ours; our library must call the application's hooks.
        cat > "$tmp/decorator_main.c" <<'EOF'
#include <memkind.h>
#include <stdio.h>
int main(void)
{
    void *p = memkind_malloc(MEMKIND_DEFAULT, 100);
    void *q = memkind_calloc(MEMKIND_DEFAULT, 10, 10);
    p = memkind_realloc(MEMKIND_DEFAULT, p, 200);
    memkind_free(MEMKIND_DEFAULT, p);
    memkind_free(MEMKIND_DEFAULT, q);
    return p && q ? 0 : 1;
}
EOF
        build "$name" "$src" "$tmp/decorator_main.c" || continue
        "$tmp/bin/$name" > "$tmp/$name.out" 2>&1
        rc=$?
        missing=
        for f in memkind_malloc memkind_calloc memkind_realloc memkind_free; do
            grep -q "DEBUG.*func=$f " "$tmp/$name.out" || missing="$missing $f"
        done
        if [ $rc != 0 ]; then
            result FAIL "$name" "exit status $rc"
            show "$tmp/$name.out"
        elif [ -n "$missing" ]; then
            result FAIL "$name" "the application's decorator hooks were not called for:$missing"
            show "$tmp/$name.out"
        else
            result PASS "$name" "exit 0; the application's memkind_*_pre/post hooks were called"
        fi
        continue ;;
    memkind_allocated_example.cpp)
        if [ ! -f "$ex/memkind_allocated.hpp" ]; then
            result SKIP "$name" "memkind_allocated.hpp (an upstream examples/ helper) is not shipped in libmemkind-dev; the example also needs MEMKIND_HBW and MEMKIND_HBW_HUGETLB"
            continue
        fi ;;
    esac

    build "$name" "$src" || continue
    case $file in
    pmem_and_dax_kmem_kind.c)
        d=$(mktemp -d "$tmp/pmem.XXXXXX")
        run "$name" "a DAX KMEM NUMA node (MEMKIND_DAX_KMEM)" -- "$d" ;;
    pmem_*)
        d=$(mktemp -d "$tmp/pmem.XXXXXX")
        run "$name" - -- "$d" ;;
    hello_memkind_example.c)
        run "$name" "huge pages and HBW memory (MEMKIND_HUGETLB, MEMKIND_HBW*)" -- ;;
    hello_hbw_example.c | filter_example.c)
        run "$name" "HBW memory" -- ;;
    memkind_allocated_example.cpp)
        run "$name" "HBW memory and huge pages" -- ;;
    autohbw_candidates.c)
        # It checks that malloc() reaches memkind: only under libautohbw.
        if [ -e "$top_builddir/.libs/libautohbw.so" ]; then
            run "$name" "HBW memory (under libautohbw)" \
                LD_PRELOAD="$top_builddir/.libs/libautohbw.so" --
        else
            result SKIP "$name" "runs only under LD_PRELOAD=libautohbw.so, not built yet"
        fi ;;
    *)
        run "$name" - -- ;;
    esac
done

echo "$npass passed, $nskip skipped, $nfail failed"
[ $nfail = 0 ] || exit 1
[ $npass -gt 0 ] || exit 77
exit 0
