#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tools.sh: memkind-hbw-nodes(1) and memkind-auto-dax-kmem-nodes(1) print
# what memkind 1.14's do, with the same exit status:
#   hbw-nodes:      list + newline, 0 | nothing, 1 (no HBW node or a bad
#                   environment) | ERROR line on stdout, 2 (bad argument;
#                   COMPAT(1.14): -h/--help also exit 2)
#   auto-dax-kmem:  list + newline, 0 | 1 (built without libdaxctl) |
#                   ERROR line, 2 | 3 (any other failure); help exits 0
# With MK_REF_BINDIR (and MK_REF_LIBDIR) naming Debian's libmemkind-progs
# 1.14 binaries, every case is also compared with them, except the two
# documented deviations (an empty or no-node list is an error here).
. "$top_srcdir/test/env/env-lib.sh"

hbw=$top_builddir/src/tools/memkind-hbw-nodes
dax=$top_builddir/src/tools/memkind-auto-dax-kmem-nodes
[ -x "$hbw" ] && [ -x "$dax" ] || skip "tools not built"
nodes=$(memory_nodes)
all=$(echo "$nodes" | paste -s -d, -)
tout=$tmpd/tool.out

# run TOOL [ARGS]: standard output in $tout (program name normalised),
# exit status in $rc.
run()
{
    tool=$1
    shift
    "$tool" "$@" >"$tout" 2>/dev/null
    rc=$?
    # libtool's wrapper script runs the real binary under another path.
    sed -i 's|"[^"]*\(memkind-[a-z-]*\) --help"|"\1 --help"|' "$tout"
}

# expect_run STATUS STDOUT
expect_run()
{
    nchecks=$((nchecks + 1))
    [ "$rc" = "$1" ] || fail "$ctx: exit status $rc, expected $1"
    nchecks=$((nchecks + 1))
    [ "$(cat "$tout")" = "$2" ] ||
        fail "$ctx: printed \"$(cat "$tout")\", expected \"$2\""
}

for n in $nodes; do
    ctx="memkind-hbw-nodes, MEMKIND_HBW_NODES=$n"
    MEMKIND_HBW_NODES=$n run "$hbw"
    expect_run 0 "$n"
    ctx="memkind-auto-dax-kmem-nodes, MEMKIND_DAX_KMEM_NODES=$n"
    MEMKIND_DAX_KMEM_NODES=$n run "$dax"
    expect_run 0 "$n"
done
ctx="memkind-hbw-nodes, all"
MEMKIND_HBW_NODES=all run "$hbw"
expect_run 0 "$all"
ctx="memkind-auto-dax-kmem-nodes, all"
MEMKIND_DAX_KMEM_NODES=all run "$dax"
expect_run 0 "$all"
for v in abc 4096 "0-" "" "!all"; do
    ctx="memkind-hbw-nodes, MEMKIND_HBW_NODES=\"$v\""
    MEMKIND_HBW_NODES=$v run "$hbw"
    expect_run 1 ""
    ctx="memkind-auto-dax-kmem-nodes, MEMKIND_DAX_KMEM_NODES=\"$v\""
    MEMKIND_DAX_KMEM_NODES=$v run "$dax"
    expect_run 3 ""
done

# Without overrides the tools report what the library discovers.
probe
ctx="memkind-hbw-nodes, discovery"
run "$hbw"
found=$(sed -n 's/^hbw_nodes=//p' "$out")
case $found in
    error*) expect_run 1 "" ;;
    *) expect_run 0 "$found" ;;
esac
ctx="memkind-auto-dax-kmem-nodes, discovery"
run "$dax"
found=$(sed -n 's/^dax_kmem_nodes=//p' "$out")
case $found in
    "error -21") expect_run 1 "" ;;
    error*) expect_run 3 "" ;;
    *) expect_run 0 "$found" ;;
esac

# Arguments.
for t in "$hbw" "$dax"; do
    name=$(basename "$t")
    help_rc=0
    [ "$name" = memkind-hbw-nodes ] && help_rc=2
    for a in -h --help; do
        ctx="$name $a"
        run "$t" "$a"
        nchecks=$((nchecks + 1))
        [ "$rc" = "$help_rc" ] || fail "$ctx: exit status $rc"
        nchecks=$((nchecks + 1))
        grep -q "^    $name" "$tout" && grep -q "^EXIT STATUS" "$tout" ||
            fail "$ctx: no usage text"
    done
    ctx="$name x"
    run "$t" x
    expect_run 2 "ERROR: Unknown option x. More info with \"$name --help\"."
    ctx="$name --help x"
    run "$t" --help x
    expect_run 2 \
        "ERROR: Unknown option --help. More info with \"$name --help\"."
    ctx="$name ''"
    run "$t" ""
    expect_run 2 "ERROR: Unknown option . More info with \"$name --help\"."
done

# Optional: the same cases against memkind 1.14's own binaries.
if [ -n "${MK_REF_BINDIR:-}" ]; then
    cmp_case()
    {
        # cmp_case TOOL VAR VALUE [ARGS]
        t=$1 var=$2 val=$3
        shift 3
        env "$var=$val" "$top_builddir/src/tools/$t" "$@" >"$tmpd/o" 2>/dev/null
        ro=$?
        env "$var=$val" LD_LIBRARY_PATH="${MK_REF_LIBDIR:-}" \
            "$MK_REF_BINDIR/$t" "$@" >"$tmpd/r" 2>/dev/null
        rr=$?
        sed -i 's|"[^"]*\(memkind-[a-z-]*\) --help"|"\1 --help"|' \
            "$tmpd/o" "$tmpd/r"
        nchecks=$((nchecks + 1))
        if [ "$ro" != "$rr" ] || ! cmp -s "$tmpd/o" "$tmpd/r"; then
            fail "$t $var=\"$val\" $*: ours $ro \"$(cat "$tmpd/o")\"," \
                "1.14 $rr \"$(cat "$tmpd/r")\""
        fi
    }
    for t in memkind-hbw-nodes memkind-auto-dax-kmem-nodes; do
        var=MEMKIND_HBW_NODES
        [ "$t" = memkind-hbw-nodes ] || var=MEMKIND_DAX_KMEM_NODES
        for v in 0 0-0 0,0 " 0" +0 all 0x0 abc 4096 0- -1 "0 " 0x; do
            cmp_case "$t" "$var" "$v"
            cmp_case "$t" "$var" "$v" x
        done
        cmp_case "$t" MK_UNUSED 1
        cmp_case "$t" MK_UNUSED 1 --help x
        cmp_case "$t" MK_UNUSED 1 -x y
        cmp_case "$t" MK_UNUSED 1 ""
    done
fi

finish
