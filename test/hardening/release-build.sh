#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# release-build.sh: the libraries that `make install` installs carry no
# test hook (issue 15).  Fault injection exists only in the instrumented
# twin that make check builds (libmemkind_core_fi.la and
# test/fault/libmemkind.la, src/src.mk).  For libmemkind.so.0,
# libmemtier.so.0 and libautohbw.so.0 of this build it checks:
#   - no "mk_fault_sites" section (the failure points' records);
#   - no mk_fault_* symbol, local ones included (nm on the unstripped
#     library: the code of the points);
#   - no "MEMKIND_TEST_" string (no test-only variable is read).
# The same three checks must find each hook in the instrumented twin, so a
# check that could never fail (a tool that prints nothing) fails here.
# Also: configure's library probes leave LIBS alone (the Makefile's LIBS
# once held -ldl -lnuma -lpthread for every program and library of the
# tree; each target names what it links).
set -u
bld=${top_builddir:-.}
for tool in readelf nm strings; do
    command -v $tool >/dev/null 2>&1 ||
        { echo "SKIP: $tool not installed (Debian package binutils)"; exit 77; }
done

# hooks LIB: prints which of the three hooks LIB has (section symbol env).
hooks()
{
    h=
    readelf -SW "$1" | grep -q ' mk_fault_sites ' && h="$h section"
    nm "$1" 2>/dev/null | grep -q ' mk_fault_' && h="$h symbol"
    strings -a "$1" | grep -q 'MEMKIND_TEST_' && h="$h env"
    echo "$h"
}

rc=0
twin=$bld/test/fault/.libs/libmemkind.so.0
if [ ! -e "$twin" ]; then
    echo "FAIL: $twin (instrumented twin) not built"; rc=1
elif [ "$(hooks "$twin")" != " section symbol env" ]; then
    echo "FAIL: the checks do not see the hooks of $twin: '$(hooks "$twin")'"
    rc=1
fi
n=0
for lib in libmemkind.so.0 libmemtier.so.0 libautohbw.so.0; do
    f=$bld/.libs/$lib
    [ -e "$f" ] || { echo "FAIL: $f not built"; rc=1; continue; }
    h=$(hooks "$f")
    if [ -n "$h" ]; then
        echo "FAIL: $lib has test hooks:$h"; rc=1
    fi
    n=$((n + 1))
done
libs=$(sed -n 's/^LIBS = *//p' "$bld/Makefile" 2>/dev/null)
if [ ! -f "$bld/Makefile" ]; then
    echo "FAIL: $bld/Makefile not found"; rc=1
elif [ -n "$(echo $libs)" ]; then
    echo "FAIL: configure put '$libs' in LIBS: every target links it"; rc=1
fi
[ $rc = 0 ] && echo "PASS: $n installed libraries without failure points or MEMKIND_TEST_* reads; LIBS empty"
exit $rc
