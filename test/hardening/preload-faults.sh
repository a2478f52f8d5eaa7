#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# preload-faults.sh: fault injection over libmemtier's start-up (the
# constructor that parses MEMKIND_MEM_TIERS, creates an FS_DAX PMEM kind
# and builds the tiers; src/memtier_preload/interpose.c).  For N = 0, 1, ...
# MEMKIND_TEST_FAULT_AT=N makes the N-th failure point of the process fail
# (memkind_fault.h) until a run reaches no armed point.  Each run must:
# exit 0 with its blocks intact; either load the tiers (the fault was
# absorbed) or print one warning and run on the C library's malloc; and,
# when it did not load, hold no more descriptors than a run without the
# preload and no mapping of the tier's directory (nothing half-built is
# left).  Skips when libmemtier is not built or under sanitizers.
# libmemtier.so runs over the instrumented twin of libmemkind.so.0
# (test/fault/.libs, src/src.mk; found first through LD_LIBRARY_PATH): the
# library that is installed has no failure point.
set -u
bld=${top_builddir:-.}
lib=$bld/.libs/libmemtier.so
app=$bld/test/hardening/preload_fault_app
if [ "${MK_SANITIZED:-0}" = 1 ]; then
    echo "SKIP: sanitizer build: the sanitizer runtime owns malloc"
    exit 77
fi
[ -e "$lib" ] || { echo "SKIP: $lib not built"; exit 77; }
[ -x "$app" ] || { echo "FAIL: $app not built"; exit 1; }
fi_dir=$bld/test/fault/.libs
[ -e "$fi_dir/libmemkind.so.0" ] ||
    { echo "FAIL: $fi_dir/libmemkind.so.0 (instrumented twin) not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mk-pfault.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dir=$tmp/pmem
mkdir "$dir"
unset MEMKIND_MEM_TIERS MEMKIND_MEM_THRESHOLDS MEMKIND_MEM_TIERING_LOG_LEVEL LD_PRELOAD
tiers="KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:$dir,PMEM_SIZE_LIMIT:64M,RATIO:2;POLICY:DYNAMIC_THRESHOLD"

base=$("$app" "$dir") || { echo "FAIL: the program fails without the preload"; exit 1; }
base_fds=${base#fds }
base_fds=${base_fds%% *}
rc=0 n=0 failed=0 absorbed=0
while [ $n -lt 500 ]; do
    out=$(MEMKIND_TEST_FAULT_AT=$n MEMKIND_MEM_TIERS=$tiers \
          MEMKIND_MEM_TIERS_LOG_LEVEL=1 LD_LIBRARY_PATH=$fi_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
          LD_PRELOAD=$lib "$app" "$dir" 2>"$tmp/err")
    st=$?
    if [ $st != 0 ]; then
        echo "FAIL: step $n: exit $st"; cat "$tmp/err"; rc=1; break
    fi
    grep -q "fault injected" "$tmp/err" || break
    if grep -q "libmemtier: loaded" "$tmp/err"; then
        absorbed=$((absorbed + 1))
    elif grep -q "C library's malloc" "$tmp/err"; then
        failed=$((failed + 1))
        fds=${out#fds }
        fds=${fds%% *}
        maps=${out##* }
        if [ "$fds" != "$base_fds" ] || [ "$maps" != 0 ]; then
            echo "FAIL: step $n: $out after a failed start-up (without preload: $base)"
            grep "fault injected" "$tmp/err"
            rc=1
        fi
    else
        echo "FAIL: step $n: neither loaded nor a fallback warning"
        cat "$tmp/err"; rc=1
    fi
    if [ "$(ls "$dir" | wc -l)" != 0 ]; then
        echo "FAIL: step $n: files left in $dir"; rc=1
    fi
    n=$((n + 1))
done
# No point reached at all: the instrumented library was not the one loaded.
[ $n -gt 0 ] || { echo "FAIL: no failure point reached (libmemkind.so.0 not instrumented?)"; rc=1; }
grep -q "libmemtier: loaded" "$tmp/err" || { echo "FAIL: does not load once faults stop"; cat "$tmp/err"; rc=1; }
[ $rc = 0 ] && echo "PASS: libmemtier start-up: $n failure points; $failed ran on the C library's malloc cleanly, $absorbed absorbed by a fallback"
exit $rc
