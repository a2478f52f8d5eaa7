#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# launcher.sh: the memtier(1) script - options, the environment it passes
# to the program, its error messages and exit statuses.
. "$top_srcdir/test/preload/preload-lib.sh"
pl_init
memtier=$top_builddir/src/memtier_preload/memtier
app=$top_builddir/test/preload/mt_ratio
pl_need "$memtier"
pl_need "$app"
unset MEMKIND_DAX_KMEM_NODES

# check LABEL WANT_RC WANT_TEXT CMD...: CMD's exit status is WANT_RC and
# its output (stdout and stderr) contains WANT_TEXT.
check()
{
    label=$1 want_rc=$2 want=$3
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" != "$want_rc" ]; then
        pl_fail "$label: exit status $rc, want $want_rc; output: $out"
    elif ! printf '%s\n' "$out" | grep -qF -- "$want"; then
        pl_fail "$label: output lacks '$want': $out"
    else
        pl_pass "$label"
    fi
}

check "-h" 0 "memtier [options] program [args]" sh "$memtier" -h
check "--help" 0 "-t, --threshold SPEC" sh "$memtier" --help
check "no program" 1 "Usage: memtier [options] command [args]" sh "$memtier"
check "-r without colon" 1 "memtier: --ratio must have a colon between values." \
    sh "$memtier" -r 1 true
check "-r with three values" 1 \
    "memtier: --ratio must have exactly two values in this version of memtier." \
    sh "$memtier" -r 1:2:3 true
check "-r not numbers" 1 "memtier: --ratio expects integers." \
    sh "$memtier" -r a:1 true
check "-r too big" 1 "memtier: the number to --ratio doesn't seem to be plausible." \
    sh "$memtier" -r 99999999999:1 true
check "-r 0:0" 1 "memtier: empty ratio would disallow using any memory." \
    sh "$memtier" -r 0:0 true
check "-t with one tier" 1 \
    "memtier: --threshold requires multiple tiers with non-zero ratios." \
    sh "$memtier" -r 1:0 -t INIT_VAL:64 true
check "unknown option" 1 "memtier: unknown option -x" sh "$memtier" -x true
check "missing program" 127 "memtier: couldn't exec 'mk-no-such-program'" \
    sh "$memtier" -r 1:0 mk-no-such-program

# The environment the program gets.
show='echo "P=$LD_PRELOAD T=$MEMKIND_MEM_TIERS H=${MEMKIND_MEM_THRESHOLDS-unset}"'
lib=$(cd "$top_builddir/.libs" && pwd -P)/libmemtier.so
check "-r 1:0: DRAM only" 0 \
    "P=$lib T=KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO H=unset" \
    sh "$memtier" -r 1:0 sh -c "$show"
check "-r 0:1: KMEM_DAX only" 0 \
    "T=KIND:KMEM_DAX,RATIO:1;POLICY:STATIC_RATIO" \
    sh "$memtier" -r 0:1 sh -c "$show"
check "--ratio=2:3" 0 \
    "T=KIND:DRAM,RATIO:2;KIND:KMEM_DAX,RATIO:3;POLICY:STATIC_RATIO H=unset" \
    sh "$memtier" --ratio=2:3 sh -c "$show"
check "-r 1:4 -t" 0 \
    "T=KIND:DRAM,RATIO:1;KIND:KMEM_DAX,RATIO:4;POLICY:DYNAMIC_THRESHOLD H=INIT_VAL:64,MIN_VAL:1,MAX_VAL:10000" \
    sh "$memtier" -r 1:4 -t INIT_VAL:64,MIN_VAL:1,MAX_VAL:10000 sh -c "$show"
libc=$(ldd "$app" | awk '$1 ~ /^libc\.so/ { print $3 }')
if [ -n "$libc" ]; then
    check "LD_PRELOAD kept" 0 "P=$lib:$libc T=" \
        env LD_PRELOAD="$libc" sh "$memtier" -r 1:0 sh -c "$show"
fi
check "-v" 0 "setting MEMKIND_MEM_TIERS=KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO" \
    sh "$memtier" -v -r 1:0 true
check "arguments and exit status passed on" 3 "[a b][c]" \
    sh "$memtier" -r 1:0 sh -c 'printf "[%s]" "$@"; exit 3' sh "a b" c
check "options end at the program" 0 "[-r][x]" \
    sh "$memtier" -r 1:0 sh -c 'printf "[%s]" "$@"' sh -r x

# The program really runs on the tiers.
check "a DRAM-tiered program" 0 tier sh "$memtier" -r 1:0 "$app" probe

# Without -r: the installed memory decides.  MEMKIND_DAX_KMEM_NODES makes
# node 0 the far memory of any machine.
far=0
for d in /sys/devices/system/node/node[0-9]*; do
    [ -z "$(tr -d ' \n' < "$d/cpulist" 2>/dev/null)" ] && far=1
done
if [ -d /sys/devices/system/node/node0 ]; then
    [ $far = 1 ] || check "no -r, no KMEM DAX memory" 1 \
        "memtier: there appears to be no KMEM_DAX devices installed in this system." \
        sh "$memtier" true
    check "no -r, MEMKIND_DAX_KMEM_NODES=0" 0 "Using ratio of DRAM:KMEM_DAX" \
        env MEMKIND_DAX_KMEM_NODES=0 sh "$memtier" -v true
fi
pl_exit
