#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# vm-suite.sh CONFIG BUILDDIR SRCDIR STAGE: the test suite run inside the
# emulated-NVDIMM VM by test/dax/check-dax.sh, one VM boot per CONFIG.
# Runs under the guest's busybox sh, as root, with $PMEM_DIR on a DAX mount,
# $DAX_DEVICE (Device DAX) and, with --kmem, $DAX_KMEM_NODE set by
# test/dax/vm/mk-dax-vm.  Test programs are the real binaries in .libs/
# (libtool wrappers need bash); LD_LIBRARY_PATH points at the copied library.
#
# For each program it prints its output between "--- BEGIN name" and
# "--- END name" (check-dax.sh turns them into .log/.trs files), then one
# line "PASS|FAIL|SKIP: CONFIG/name (N passed, N failed, N skipped) Ts".
# It ends with "CONFIG: N passed, N failed, N skipped" and exits 1 when
# anything failed.  googletest programs count their cases; others count 1.
set -u
cfg=$1 B=$2 S=$3 STAGE=$4
pass=0 fail=0 skip=0
tmp=/tmp/dax-suite
mkdir -p "$tmp"

uptime_s() { cut -d. -f1 /proc/uptime; }

# report NAME RC LOGFILE [REASON]: prints the log between markers and the
# result line, and adds the counts.  A skip reason makes it a skip.
report()
{
    name=$1 rc=$2 log=$3 why=${4:-}
    echo "--- BEGIN $name"
    cat "$log"
    [ -z "$(tail -c 1 "$log")" ] || echo # the marker starts a line
    echo "--- END $name"
    # A script's own closing "N passed, N failed, N skipped" line, or the
    # last googletest counts.
    tot=$(tail -n 1 "$log" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p')
    if [ -n "$tot" ]; then
        set -- $tot
        gp=$1 gf=$2 gs=$3
    else
        gp=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
        gs=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
        gf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    fi
    p=${gp:-0} s=${gs:-0} f=${gf:-0}
    if [ -n "$why" ]; then
        res=SKIP s=1
    elif [ "$rc" = 0 ] && [ "$f" = 0 ]; then
        res=PASS
        [ -z "$gp$gs" ] && p=1
    else
        res=FAIL
        [ "$f" = 0 ] && f=1 # crashed, timed out, or not a gtest program
    fi
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    line="$res: $cfg/$name ($p passed, $f failed, $s skipped) ${el:-0}s"
    [ -n "$why" ] && line="$line: $why"
    [ "$res" = FAIL ] && line="$line, exit status $rc"
    echo "$line"
}

# run NAME PROGRAM ARGS...: runs one program (at most 300 s) and reports.
run()
{
    name=$1
    shift
    if [ "${1#*/}" != "$1" ] && [ ! -x "$1" ]; then
        echo "$1 is missing from the VM" >"$tmp/$name.log"
        el=0 report "$name" 1 "$tmp/$name.log"
        return
    fi
    t0=$(uptime_s)
    timeout 300 "$@" >"$tmp/$name.log" 2>&1
    rc=$?
    el=$(($(uptime_s) - t0))
    [ $rc = 143 ] && echo "killed after 300 s" >>"$tmp/$name.log"
    report "$name" $rc "$tmp/$name.log"
}

# skip NAME REASON...
skip()
{
    n=$1
    shift
    echo "$*" >"$tmp/$n.log"
    el=0 report "$n" 0 "$tmp/$n.log" "$*"
}

echo "=== dax-vm suite $cfg: PMEM_DIR=$PMEM_DIR ($(grep " $PMEM_DIR " /proc/mounts | cut -d' ' -f1,3,4))" \
    "DAX_DEVICE=${DAX_DEVICE:-none} DAX_KMEM_NODE=${DAX_KMEM_NODE:-none}"
G="--pmem-dir=$PMEM_DIR"

# 1. DAX detection (memkind_check_dax_path on $PMEM_DIR, /tmp, the device)
#    and the Device DAX kind.
run dax_test "$B/test/dax/.libs/dax_test" "$G"
# 2. The PMEM test set on the DAX file system.
run pmem_test "$B/test/kinds/.libs/pmem_test" "$G"
run kind_api_test "$B/test/api/.libs/kind_api_test" "$G" \
    --gtest_filter='FileBacked/*:DeviceDax/*'
run negative_test "$B/test/api/.libs/negative_test" "$G" \
    --gtest_filter='CreatePmem*:Misc.CheckDaxPath'
run detect_kind_test "$B/test/api/.libs/detect_kind_test" "$G"
# Every failure point of creating a Device DAX kind (white box).
run devdax_fault_test "$B/test/dax/devdax_fault_test"
# The compat driver, unchanged: fork_app --pmem in a directory of $PMEM_DIR.
run fork-pmem env top_srcdir="$S" top_builddir="$B" TMPDIR="$PMEM_DIR" \
    sh "$S/test/compat/fork-pmem.sh"
# The same program on the Device DAX device.
if [ -n "${DAX_DEVICE:-}" ]; then
    run fork-devdax "$B/test/compat/fork_app" --pmem "$DAX_DEVICE"
fi

# 3. DAX_KMEM kinds on the KMEM DAX node (configurations with --kmem).
if [ -n "${DAX_KMEM_NODE:-}" ]; then
    run kind_api_test-daxkmem "$B/test/api/.libs/kind_api_test" \
        --gtest_filter='DaxKmem/*'
    # HOOK(issue 4): its KMEM DAX suite (test/kinds/dax-kmem-vm-inner.sh:
    # discovery through libdaxctl, page placement, hbwmalloc, the tools),
    # the same that make check-dax-kmem runs in a boot of its own.
    inner=$S/test/kinds/dax-kmem-vm-inner.sh
    if [ -f "$inner" ] && [ -x "$B/test/kinds/placement_test" ]; then
        run dax-kmem-vm-inner env MK_BUILDDIR="$B" sh "$inner"
    else
        skip dax-kmem-vm-inner "issue 4's KMEM DAX suite is not built" \
            "(test/kinds/dax-kmem-vm-inner.sh, test/kinds/placement_test)"
    fi
fi

# 4. libmemtier with an FS_DAX tier running real programs (HOOK(issue 5)).
memtier()
{
    tiers=$1
    shift
    env LD_PRELOAD="$MT" MEMKIND_MEM_TIERS="$tiers" "$@"
}
# check_same NAME CMD: the program's output and exit status with the
# preloaded tiers equal those of a plain run ("cmd" reads $tmp/in.txt).
check_same()
{
    name=$1 tiers=$2 cmd=$3
    t0=$(uptime_s)
    log=$tmp/$name.log
    : >"$log"
    sh -c "$cmd" >"$tmp/plain.out" 2>>"$log"
    prc=$?
    LD_PRELOAD="$MT" MEMKIND_MEM_TIERS="$tiers" sh -c "$cmd" >"$tmp/tier.out" 2>>"$log"
    trc=$?
    el=$(($(uptime_s) - t0))
    echo "tiers: $tiers; command: $cmd" >>"$log"
    echo "exit status plain $prc, with libmemtier $trc" >>"$log"
    if [ $prc = $trc ] && cmp "$tmp/plain.out" "$tmp/tier.out" >>"$log" 2>&1; then
        echo "same output ($(wc -c <"$tmp/tier.out") bytes)" >>"$log"
        report "$name" 0 "$log"
    else
        report "$name" 1 "$log"
    fi
}
# (The VM has the library under its real name, libmemtier.so.0.0.0.)
MT=
for f in "$B"/.libs/libmemtier.so.0*; do [ -f "$f" ] && MT=$f; done
if [ -n "$MT" ]; then
    FSDAX="KIND:FS_DAX,PATH:$PMEM_DIR,PMEM_SIZE_LIMIT:512M,RATIO:1;POLICY:STATIC_RATIO"
    MIXED="KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:$PMEM_DIR,PMEM_SIZE_LIMIT:512M,RATIO:1;POLICY:STATIC_RATIO"
    X=$STAGE/bin
    # The heap really lives in the DAX file: its mapping shows in the maps.
    log=$tmp/memtier-maps.log
    t0=$(uptime_s)
    memtier "$FSDAX" "$X/cat" /proc/self/maps >"$log" 2>&1
    rc=$?
    el=$(($(uptime_s) - t0))
    if [ $rc = 0 ] && grep -q " $PMEM_DIR/" "$log"; then
        echo "a file of $PMEM_DIR is mapped: the FS_DAX tier serves the heap" >>"$log"
        report memtier-maps 0 "$log"
    else
        echo "no mapping of a file in $PMEM_DIR (exit status $rc)" >>"$log"
        report memtier-maps 1 "$log"
    fi
    # Input: 200000 pseudo-random lines (about 5 MB).
    awk 'BEGIN { srand(6); for (i = 0; i < 200000; i++)
                 printf "%08d %s line %d\n", int(rand() * 1e8), rand(), i }' \
        >"$tmp/in.txt"
    check_same memtier-sort "$FSDAX" "$X/sort $tmp/in.txt"
    check_same memtier-sort-mixed "$MIXED" "$X/sort -r -k2 $tmp/in.txt"
    check_same memtier-gzip "$FSDAX" \
        "$X/gzip -c $tmp/in.txt | $X/gzip -dc | $X/sort | $X/cksum"
    if [ -x "$X/perl" ]; then
        check_same memtier-perl "$FSDAX" \
            "$X/perl -e 'my %h; while (<>) { my @f = split; \$h{\$f[0]} .= \$f[1]; }
                         my \$n = 0; \$n += length(\$h{\$_}) for keys %h;
                         print scalar(keys %h), \" \$n\n\"' $tmp/in.txt"
    fi
    if [ -x "$X/sqlite3" ]; then
        awk -v q="'" 'BEGIN { print "create table t(k, v); begin;" }
            NR <= 20000 { print "insert into t values(" $1 ", " q $2 q ");" }
            END { print "commit; select count(*), sum(k % 1000) from t;";
                  print "select k from t order by v limit 3;" }' \
            "$tmp/in.txt" >"$tmp/in.sql"
        check_same memtier-sqlite3 "$MIXED" \
            "rm -f $tmp/db.\$\$; $X/sqlite3 $tmp/db.\$\$ <$tmp/in.sql"
    fi
else
    skip memtier "libmemtier.so.0 is not built (issue 5: src/memtier_preload)"
fi

# 5. Device DAX alignments besides the default 2 MiB (configuration xfs,
#    whose devdax NVDIMM is large enough for 1 GiB): the namespace is made
#    again with ndctl and the Device DAX tests run on it.  Last, since it
#    replaces $DAX_DEVICE.
if [ "$cfg" = xfs ] && [ -n "${DAX_DEVICE:-}" ]; then
    region=$(readlink -f "/sys/bus/dax/devices/${DAX_DEVICE#/dev/}" |
             sed -n 's#.*/region\([0-9]*\)/.*#\1#p')
    for a in 4K 1G; do
        log=$tmp/devdax-align-$a.ndctl
        ndctl create-namespace -f -e "namespace$region.0" -m devdax -a $a \
            >"$log" 2>&1
        dev=$(sed -n 's/.*"chardev":"\([^"]*\)".*/\1/p' "$log" | head -n 1)
        if [ -z "$dev" ] || [ ! -c "/dev/$dev" ]; then
            echo "ndctl could not make a devdax namespace aligned to $a" >>"$log"
            el=0 report "devdax-align-$a" 1 "$log"
            continue
        fi
        export DAX_DEVICE=/dev/$dev
        run "devdax-align-$a" "$B/test/dax/.libs/dax_test" --gtest_filter='Devdax.*'
    done
fi

echo "$cfg: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
