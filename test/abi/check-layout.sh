#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# check-layout.sh: the structs kind authors read through the installed
# memkind/internal headers keep memkind 1.14's layout (issue #14 item 10).
# Compiles src/abi_layout.c, whose static assertions hold the 1.14 field
# names, types and offsets (measured from Debian's 1.14.0-2 on x86_64; see
# the file), against include/ alone, as a program built on the installed
# headers sees them: no config.h, no -D_GNU_SOURCE, warnings as errors,
#   - as C11 and GNU C11, and with -D_FILE_OFFSET_BITS=64;
#   - as C++11 and C++17 (memkind/internal headers are used from C++ too);
# and proves the assertions are live: with -DMK_LAYOUT_SELF_TEST the file
# adds one false assertion, and that compilation must fail on it.
# (The library build compiles the same file, so a build with a layout
# change fails too.)
#
# Environment: top_srcdir (set by make check), CC, CXX.
# Exit status: 0 pass, 1 fail.

set -u

top_srcdir=${top_srcdir:-.}
CC=${CC:-cc}
CXX=${CXX:-c++}
inc=$top_srcdir/include
src=$top_srcdir/src/abi_layout.c
WARN="-Wall -Wextra -Werror -pedantic-errors"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-layout.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

status=0
npass=0

if [ ! -f "$src" ]; then
    echo "FAIL: $src missing"
    exit 1
fi

# try LABEL COMMAND...: the compilation must succeed.
try()
{
    label=$1
    shift
    if "$@" > "$tmp/err" 2>&1; then
        npass=$((npass + 1))
    else
        echo "FAIL: $label:"
        sed 's/^/    /' "$tmp/err" | head -n 30
        status=1
    fi
}

# shellcheck disable=SC2086  # $WARN is a word list
{
    try "C11" $CC -std=c11 $WARN -I"$inc" -fsyntax-only "$src"
    try "GNU C11" $CC -std=gnu11 $WARN -I"$inc" -fsyntax-only "$src"
    try "C11, -D_FILE_OFFSET_BITS=64" $CC -std=c11 $WARN \
        -D_FILE_OFFSET_BITS=64 -I"$inc" -fsyntax-only "$src"
    try "C++11" $CXX -x c++ -std=c++11 $WARN -I"$inc" -fsyntax-only "$src"
    try "C++17" $CXX -x c++ -std=c++17 $WARN -I"$inc" -fsyntax-only "$src"

    # Negative control: the false assertion must stop the compilation.
    for lang in c c++; do
        comp=$CC
        [ $lang = c++ ] && comp=$CXX
        if $comp -x $lang -DMK_LAYOUT_SELF_TEST -I"$inc" -fsyntax-only \
                "$src" > "$tmp/err" 2>&1; then
            echo "FAIL: $lang: -DMK_LAYOUT_SELF_TEST compiled: the layout assertions are not checked"
            status=1
        elif ! grep -q "self test: this assertion must fail" "$tmp/err"; then
            echo "FAIL: $lang: -DMK_LAYOUT_SELF_TEST failed for another reason:"
            sed 's/^/    /' "$tmp/err" | head -n 30
            status=1
        else
            npass=$((npass + 1))
        fi
    done
}

case $($CC -dumpmachine 2>/dev/null) in
x86_64-*) abi="portable checks and the x86_64 offsets" ;;
*) abi="portable checks (the x86_64 offsets apply only there)" ;;
esac
if [ "$status" = 0 ]; then
    echo "PASS: $npass compilations of src/abi_layout.c against include/ alone ($abi); the self-test assertion fails as it must"
fi
exit $status
