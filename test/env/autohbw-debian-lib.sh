#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# autohbw-debian-lib.sh: our libautohbw.so over Debian's memkind 1.14
# libmemkind.so.0 (a mixed installation; issue 14).  1.14's
# memkind_detect_kind() crashes on pointers it does not own, and before
# its library is initialised: libnuma's constructor reallocates before
# libmemkind's runs, and every program frees C library blocks.  libautohbw
# must then ask memkind nothing before its own constructor and keep the set
# of its kind's blocks itself.  Also checks that the library is versioned
# as 1.14 built it (SONAME libautohbw.so.0).
#
# Downloads libmemkind0 with `apt-get download` into a temporary directory
# and unpacks it there with `dpkg -x` (never installed); skips, saying why,
# when that is impossible.  MK_LIBMEMKIND0_DEB=path/to/libmemkind0_1.14*.deb
# avoids the download.
. "$top_srcdir/test/env/env-lib.sh"
. "$top_srcdir/test/env/autohbw-lib.sh"
plain=$top_builddir/test/env/autohbw_plain_app
[ -x "$plain" ] || skip "$plain not built"

# SONAME and names, checked first: they need no package.
if command -v readelf >/dev/null 2>&1; then
    so=$(readelf -d "$preload" 2>/dev/null |
        sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
    check '[ "$so" = libautohbw.so.0 ]' \
        "libautohbw.so has SONAME '$so', not libautohbw.so.0"
    check '[ -e "$top_builddir/.libs/libautohbw.so.0" ]' \
        "no .libs/libautohbw.so.0 beside libautohbw.so"
fi

for tool in dpkg dpkg-deb; do
    command -v $tool >/dev/null 2>&1 ||
        skip "$tool not found (not a Debian system): Debian's libmemkind0 cannot be unpacked"
done
if [ -n "${MK_LIBMEMKIND0_DEB:-}" ]; then
    deb=$MK_LIBMEMKIND0_DEB
    [ -r "$deb" ] || skip "MK_LIBMEMKIND0_DEB=$deb is not readable"
else
    command -v apt-get >/dev/null 2>&1 || skip "apt-get not found"
    if ! (cd "$tmpd" && apt-get download libmemkind0) >"$tmpd/apt.log" 2>&1; then
        skip "apt-get download libmemkind0 failed: $(grep -v '^W:' "$tmpd/apt.log" | tail -n 1)"
    fi
    deb=
    for f in "$tmpd"/libmemkind0_*.deb; do
        [ -f "$f" ] && deb=$f
    done
    [ -n "$deb" ] || skip "apt-get download libmemkind0 produced no .deb"
fi
version=$(dpkg-deb -f "$deb" Version 2>/dev/null)
case $version in
1.14.*) ;;
*) skip "libmemkind0 is version '$version', not 1.14" ;;
esac
dpkg -x "$deb" "$tmpd/pkg" || skip "dpkg -x $deb failed"
debdir=$(dirname "$(find "$tmpd/pkg" -name libmemkind.so.0 | head -n 1)")
[ -e "$debdir/libmemkind.so.0" ] || skip "$deb holds no libmemkind.so.0"

# The pairing under test: libautohbw's libmemkind.so.0 is Debian's.
ctx="loader"
lib=$(LD_LIBRARY_PATH=$debdir ldd "$preload" 2>/dev/null |
    awk '$1 == "libmemkind.so.0" { print $3 }')
check '[ "$lib" = "$debdir/libmemkind.so.0" ]' \
    "$ctx: libautohbw.so would load libmemkind.so.0 from '$lib', not $debdir"

# run CTX VAR=VALUE... -- PROGRAM ARGS: libautohbw over Debian's library;
# the program must exit 0 (no crash).
run()
{
    ctx=$1
    shift
    autohbw LD_LIBRARY_PATH="$debdir" "$@"
    expect_rc 0
}

for p in /bin/true "/bin/ls /" "sort /etc/passwd" "sh -c exit"; do
    # shellcheck disable=SC2086  # $p is a command and its arguments
    run "$p" AUTO_HBW_LOG=-1 -- $p
done
if command -v python3 >/dev/null 2>&1; then
    run "python3" AUTO_HBW_LOG=-1 -- python3 -c 'print(sum(range(10**6)))'
fi

# Requests in range really go to the kind (Debian's MEMKIND_DEFAULT), and
# everything is routed back to its owner (the program checks contents,
# usable sizes and alignment, with threads).
run "malloc family" AUTO_HBW_SIZE=64K:4M AUTO_HBW_LOG=1 \
    AUTO_HBW_MEM_TYPE=MEMKIND_DEFAULT -- "$plain"
nchecks=$((nchecks + 1))
grep -qx ok "$out" || fail "malloc family: $(tail -n 3 "$err")"
n=$(grep -c 'from MEMKIND_DEFAULT$' "$err")
nchecks=$((nchecks + 1))
[ "$n" -ge 100 ] ||
    fail "malloc family: only $n allocations logged from MEMKIND_DEFAULT"

finish
