#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# static-archive.sh OUT.a SHARED.so LINK-INPUT...
#
# Makes OUT.a, a static archive of ONE relocatable object: the partial link
# (ld -r) of LINK-INPUT (objects, archives, ld options; a libtool .lo name
# stands for the PIC object libtool put in .libs/ beside it) in which only
# the symbols that SHARED.so exports stay global.  Everything else (the
# private jemalloc's jemk_* functions, our hidden mk_* helpers) becomes
# local, so the archive can be linked next to another jemalloc or next to
# the other memkind archive without a clash.  See src/pkg/pkg.mk.
# Uses $NM, $LD, $OBJCOPY and $AR from the environment (configure's).
set -eu
out=$1 so=$2
shift 2
: "${NM:=nm}" "${LD:=ld}" "${OBJCOPY:=objcopy}" "${AR:=ar}"
fail() { echo "static-archive.sh: $*" >&2; exit 1; }

inputs=
for a in "$@"; do
    case $a in
        *.lo) a=$(dirname "$a")/.libs/$(basename "$a" .lo).o
              [ -f "$a" ] || fail "no PIC object $a" ;;
    esac
    inputs="$inputs $a"
done
tmp=$out.tmp
rm -f "$out" "$tmp.o" "$tmp.keep"
# The exports of the shared library: the symbols it defines in .dynsym.
$NM -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp.keep"
[ -s "$tmp.keep" ] || fail "$so exports nothing"
# shellcheck disable=SC2086
$LD -r -o "$tmp.o" $inputs
$OBJCOPY --keep-global-symbols="$tmp.keep" "$tmp.o"
# The member is named after the library, not the temporary file.
mv "$tmp.o" "$(dirname "$out")/$(basename "$out" .a).o"
$AR rcD "$out" "$(dirname "$out")/$(basename "$out" .a).o"
rm -f "$(dirname "$out")/$(basename "$out" .a).o" "$tmp.keep"
