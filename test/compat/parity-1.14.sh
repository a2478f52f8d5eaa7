#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# parity-1.14.sh: the differential test of issue #14 ("memkind 1.14
# parity").  test/compat/parity_app.c prints one line per behaviour the
# issue names (create_kind over every memtype x policy x flags, destroy of
# built-in kinds, size-0 malloc then memkind_thread_get_arena, small fixed
# kinds, defrag moves, memtier counters after slot reuse, stats_print
# options, errno across free, negative memtier_ctl_set values,
# memkind_create_pmem with huge max_size, struct layout).  This script
# builds it against Debian's libmemkind-dev 1.14 headers, runs the one
# binary on Debian's libmemkind.so.0 1.14 and on ours (LD_LIBRARY_PATH
# decides which; the app's "# library:" line proves it), plain and with
# MEMKIND_HBW_NODES=0 MEMKIND_DAX_KMEM_NODES=0, and requires identical
# output, except for the lines the list below allows to differ, each with
# its reason.  Lines starting with '#' are information, not compared.
#
# Debian's packages are fetched with `apt-get download` into a temporary
# directory under $TMPDIR and unpacked with `dpkg -x`, never installed;
# MK_LIBMEMKIND0_DEB and MK_LIBMEMKIND_DEV_DEB name local .deb files
# instead (offline runs).  PMEM kinds live in fresh directories there too.
#
# Environment: top_builddir, top_srcdir (make check), CC.
# Exit status: 0 identical, 1 differences (each printed, 1.14's line and
# ours), 77 when Debian's 1.14 cannot be had or run here.

. "$top_srcdir/test/compat/compat-lib.sh"

# Lines allowed to differ from 1.14: one extended regular expression per
# line, matched against whole output lines of both runs, each with its
# reason in a comment above it.  Every entry is a place where a program
# written for 1.14 sees other behaviour, so it needs a reason a user would
# accept (a 1.14 crash or corruption we do not reproduce).
deliberate='
'
# Not deliberate, pending: none (keep the variable for entries awaiting a
# fix, each with the issue that owns it).
pending='
'

compat_skip_if_sanitized "parity_app is built without the sanitizer runtime"
# The plain run must not inherit node overrides from the caller.
unset MEMKIND_HBW_NODES MEMKIND_DAX_KMEM_NODES
compat_need "$MK_LIB"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mk-parity-1.14.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# 1. Debian's 1.14: headers and library --------------------------------
pkg=$tmp/pkg
compat_debian_unpack libmemkind-dev "${MK_LIBMEMKIND_DEV_DEB:-}" "$tmp/dl" "$pkg"
dev_version=$compat_deb_version
compat_debian_unpack libmemkind0 "${MK_LIBMEMKIND0_DEB:-}" "$tmp/dl" "$pkg"
lib_version=$compat_deb_version
deblib=
for d in "$pkg"/usr/lib/*/ "$pkg"/usr/lib/; do
    if [ -e "$d/libmemkind.so.0" ]; then
        deblib=$(cd "$d" && pwd -P)
        break
    fi
done
if [ -z "$deblib" ] || [ ! -f "$pkg/usr/include/memkind.h" ]; then
    echo "FAIL: the unpacked packages have no libmemkind.so.0 or memkind.h"
    exit 1
fi
missing=$(ldd "$deblib/libmemkind.so.0" 2>&1 | awk '/not found/ { print $1 }' | tr '\n' ' ')
[ -z "$missing" ] ||
    compat_skip "Debian's libmemkind.so.0 needs libraries this machine lacks: $missing"
ours=$(cd "$top_builddir/.libs" && pwd -P)
echo "Debian libmemkind0 $lib_version and libmemkind-dev $dev_version unpacked (not installed) in $pkg"

# 2. The program, on 1.14's headers --------------------------------------
app=$tmp/parity_app
if ! $CC -std=gnu11 -O1 -g -Wall -I"$pkg/usr/include" \
        "$top_srcdir/test/compat/parity_app.c" -o "$app" \
        -L"$ours" -lmemkind -ldl -lpthread > "$tmp/cc.log" 2>&1; then
    echo "FAIL: parity_app.c does not build against Debian's 1.14 headers:"
    sed 's/^/    /' "$tmp/cc.log" | head -n 30
    exit 1
fi

to=
command -v timeout >/dev/null 2>&1 && to="timeout 300"

# run LABEL LIBDIR [VAR=VALUE...]: runs the app on LIBDIR's libmemkind.so.0
# into $tmp/LABEL.out (all lines) and $tmp/LABEL.cmp (compared lines).
run()
{
    label=$1 libdir=$2
    shift 2
    pmem=$(mktemp -d "$tmp/pmem.XXXXXX") || exit 1
    # shellcheck disable=SC2086  # $to is a word list
    env "$@" LD_LIBRARY_PATH="$libdir" $to "$app" "$pmem" \
        > "$tmp/$label.out" 2> "$tmp/$label.err"
    rc=$?
    rm -rf "$pmem"
    if [ $rc != 0 ]; then
        compat_fail "$label: parity_app exited with status $rc:"
        tail -n 15 "$tmp/$label.err" "$tmp/$label.out" | sed 's/^/    /'
    fi
    if ! grep -q "^# library: $libdir/libmemkind.so.0\$" "$tmp/$label.out"; then
        compat_fail "$label: not run on $libdir/libmemkind.so.0 ($(grep '^# library:' "$tmp/$label.out"))"
    fi
    grep -v '^#' "$tmp/$label.out" > "$tmp/$label.cmp"
}

# Drops the lines the deliberate list allows to differ.
filter()
{
    printf '%s\n' "$deliberate" "$pending" | grep -v '^[[:space:]]*$' \
        > "$tmp/deliberate"
    if [ -s "$tmp/deliberate" ]; then
        grep -v -E -f "$tmp/deliberate" "$1"
    else
        cat "$1"
    fi
}

# 3. Compare ---------------------------------------------------------------
# Both runs read the huge page pool (whether the hugetlb kinds are usable):
# hold the suite's pool lock so that no other test resizes it between them.
if command -v flock >/dev/null 2>&1 &&
    exec 9>/tmp/memkind-test-hugepages.lock; then
    flock 9 || echo "NOTE: cannot take /tmp/memkind-test-hugepages.lock"
fi
for setting in plain hbw0; do
    case $setting in
    plain) envs= ;;
    hbw0) envs="MEMKIND_HBW_NODES=0 MEMKIND_DAX_KMEM_NODES=0" ;;
    esac
    # shellcheck disable=SC2086  # $envs is a word list
    run "1.14-$setting" "$deblib" $envs
    # shellcheck disable=SC2086
    run "ours-$setting" "$ours" $envs
    filter "$tmp/1.14-$setting.cmp" > "$tmp/a"
    filter "$tmp/ours-$setting.cmp" > "$tmp/b"
    n=$(wc -l < "$tmp/a")
    if [ "$n" -lt 100 ]; then
        compat_fail "$setting: only $n lines from 1.14's run; the app did not get far"
    fi
    if diff "$tmp/a" "$tmp/b" > "$tmp/diff"; then
        compat_pass "$setting${envs:+ ($envs)}: $n lines identical to 1.14's"
    else
        compat_fail "$setting${envs:+ ($envs)}: $(grep -c '^<' "$tmp/diff") lines differ from 1.14's:"
        grep '^[<>]' "$tmp/diff" | sed 's/^< /    1.14: /; s/^> /    ours: /'
    fi
done
exit "$compat_status"
