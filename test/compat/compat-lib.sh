# SPDX-License-Identifier: BSD-2-Clause
# compat-lib.sh: shell functions shared by the test/compat/*.sh drivers
# (sourced, not run).  The drivers get top_builddir and top_srcdir from
# make check (test/test.mk), CC from test/compat/compat.mk, and follow the
# automake protocol: exit 0 pass, 1 fail, 77 skip, saying why.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
MK_LIB=$top_builddir/.libs/libmemkind.so.0
compat_status=0

compat_pass() { echo "PASS: $*"; }
compat_fail() { echo "FAIL: $*"; compat_status=1; }
compat_skip() { echo "SKIP: $*"; exit 77; }

# The driver cannot do its job: a missing build product is a failure.
compat_need()
{
    if [ ! -e "$1" ]; then
        echo "FAIL: $1 not found (make check builds it)"
        exit 1
    fi
}

# Preloading or linking another malloc beside an ASan/TSan runtime (which
# owns malloc itself), or dlopen()ing a sanitized library into a process
# without the runtime, cannot work: skip (CONVENTIONS.md 11).
compat_skip_if_sanitized()
{
    if [ "${MK_SANITIZED:-0}" = 1 ]; then
        compat_skip "built with --enable-sanitizers: $1"
    fi
}

# compat_debian_unpack PACKAGE DEB WORKDIR DESTDIR
#   Unpacks Debian's memkind 1.14 package PACKAGE (libmemkind0,
#   libmemkind-dev) into DESTDIR with `dpkg -x`; it is never installed.
#   The .deb is DEB when that is non-empty (offline runs), else what
#   `apt-get download PACKAGE` puts into WORKDIR.  Sets compat_deb_version.
#   Skips the test (exit 77) saying why when the package cannot be had or
#   is not 1.14; a package that does not unpack is a failure.
compat_debian_unpack()
{
    cdu_pkg=$1 cdu_deb=$2 cdu_work=$3 cdu_dest=$4
    for tool in dpkg dpkg-deb; do
        command -v $tool >/dev/null 2>&1 ||
            compat_skip "$tool not found (not a Debian system)"
    done
    if [ -n "$cdu_deb" ]; then
        [ -r "$cdu_deb" ] || compat_skip "$cdu_deb ($cdu_pkg) is not readable"
    else
        command -v apt-get >/dev/null 2>&1 || compat_skip "apt-get not found"
        mkdir -p "$cdu_work" || exit 1
        if ! (cd "$cdu_work" && apt-get download "$cdu_pkg") \
                > "$cdu_work/apt-$cdu_pkg.log" 2>&1; then
            compat_skip "apt-get download $cdu_pkg failed: $(grep -v '^W:' "$cdu_work/apt-$cdu_pkg.log" | tail -n 1)"
        fi
        for f in "$cdu_work/${cdu_pkg}"_*.deb; do
            [ -f "$f" ] && cdu_deb=$f
        done
        [ -n "$cdu_deb" ] ||
            compat_skip "apt-get download $cdu_pkg produced no .deb"
    fi
    compat_deb_version=$(dpkg-deb -f "$cdu_deb" Version 2>/dev/null)
    case $compat_deb_version in
    1.14.*) ;;
    *) compat_skip "$cdu_pkg is version '$compat_deb_version', not 1.14" ;;
    esac
    if ! dpkg -x "$cdu_deb" "$cdu_dest"; then
        echo "FAIL: dpkg -x $cdu_deb"
        exit 1
    fi
}

# Prints the absolute, canonical path of Debian's libjemalloc.so.2 (package
# libjemalloc2), or nothing.
compat_find_jemalloc()
{
    for p in $($CC -print-file-name=libjemalloc.so.2 2>/dev/null) \
             /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 \
             /usr/lib64/libjemalloc.so.2 /usr/lib/libjemalloc.so.2 \
             $(ldconfig -p 2>/dev/null | awk '$1 == "libjemalloc.so.2" { print $NF }'); do
        case $p in
        /*) if [ -e "$p" ]; then
                (cd "${p%/*}" && echo "$(pwd -P)/${p##*/}")
                return
            fi ;;
        esac
    done
}

# compat_mixed_suite LABEL APP PRELOAD EXPECT_JEMALLOC
#   Runs test/compat/mixed_app (or a build of it) and checks that our
#   jemalloc and the application's malloc are separate:
#   1. the threaded interleaved stress run passes;
#   2. MALLOC_CONF (the application's jemalloc's variable) does not
#      configure our copy; with a jemalloc application it does configure
#      the application's (so the setting was effective);
#   3. JEMK_MALLOC_CONF configures our copy (positive control of 2) and not
#      the application's jemalloc.
#   PRELOAD: value for LD_PRELOAD, or empty.  EXPECT_JEMALLOC: 1 when the
#   application's malloc must be jemalloc.
compat_mixed_suite()
{
    label=$1 app=$2 preload=$3 expect_je=$4
    set -- env
    if [ -n "$preload" ]; then
        set -- env LD_PRELOAD="$preload"
    fi
    # The application's jemalloc and ours must not see each other's
    # settings from the caller's environment.
    unset MALLOC_CONF JEMK_MALLOC_CONF

    if out=$("$@" MK_EXPECT_JEMALLOC="$expect_je" "$app" run 2>&1); then
        compat_pass "$label: $(echo "$out" | tail -n 1 | sed 's/^PASS: //')"
    else
        compat_fail "$label: stress run failed:"
        echo "$out" | sed 's/^/    /' | head -n 40
    fi

    base=$("$@" "$app" narenas 2>&1)
    ours0=$(echo "$base" | sed -n 's/^ours=\([0-9-]*\) app=.*/\1/p')
    app0=$(echo "$base" | sed -n 's/^ours=.* app=\(.*\)$/\1/p')
    case $ours0 in
    '' | -*)
        compat_fail "$label: cannot read our opt.narenas through memkind_stats_print(): $base"
        return ;;
    esac
    x=$((ours0 + 3))

    # 2. MALLOC_CONF is the application's.
    got=$("$@" MALLOC_CONF="narenas:$x" "$app" narenas 2>&1)
    ours=$(echo "$got" | sed -n 's/^ours=\([0-9-]*\) app=.*/\1/p')
    appn=$(echo "$got" | sed -n 's/^ours=.* app=\(.*\)$/\1/p')
    if [ "$ours" != "$ours0" ]; then
        compat_fail "$label: MALLOC_CONF=narenas:$x changed our jemalloc's opt.narenas $ours0 -> $ours (we must read JEMK_MALLOC_CONF only)"
    elif [ "$expect_je" = 1 ] && [ "$appn" != "$x" ]; then
        compat_fail "$label: MALLOC_CONF=narenas:$x did not reach the application's jemalloc (opt.narenas $appn)"
    else
        compat_pass "$label: MALLOC_CONF=narenas:$x leaves our opt.narenas at $ours0 (the application: $appn)"
    fi
    if [ "$expect_je" = 1 ]; then
        if out=$("$@" MALLOC_CONF="narenas:$x" MK_EXPECT_JEMALLOC=1 \
                 MK_EXPECT_APP_NARENAS="$x" "$app" run 2>&1); then
            compat_pass "$label: stress run with the application's MALLOC_CONF=narenas:$x"
        else
            compat_fail "$label: stress run with MALLOC_CONF=narenas:$x failed:"
            echo "$out" | sed 's/^/    /' | head -n 40
        fi
    else
        # An option glibc ignores and jemalloc rejects: ours must not see it.
        out=$("$@" MALLOC_CONF="mk_no_such_option:1" "$app" narenas 2>&1)
        if echo "$out" | grep -q "Invalid conf"; then
            compat_fail "$label: our jemalloc parsed MALLOC_CONF: $out"
        else
            compat_pass "$label: MALLOC_CONF=mk_no_such_option:1 draws no complaint from our jemalloc"
        fi
    fi

    # 3. JEMK_MALLOC_CONF is ours.
    got=$("$@" JEMK_MALLOC_CONF="narenas:$x" "$app" narenas 2>&1)
    ours=$(echo "$got" | sed -n 's/^ours=\([0-9-]*\) app=.*/\1/p')
    appn=$(echo "$got" | sed -n 's/^ours=.* app=\(.*\)$/\1/p')
    if [ "$ours" != "$x" ]; then
        compat_fail "$label: JEMK_MALLOC_CONF=narenas:$x did not configure our jemalloc (opt.narenas $ours)"
    elif [ "$appn" != "$app0" ]; then
        compat_fail "$label: JEMK_MALLOC_CONF=narenas:$x changed the application's jemalloc (opt.narenas $app0 -> $appn)"
    else
        compat_pass "$label: JEMK_MALLOC_CONF=narenas:$x configures our jemalloc only"
    fi
}
