#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# autohbw-programs.sh: ordinary programs run unchanged under
# libautohbw.so, with nearly every allocation redirected (AUTO_HBW_SIZE=1)
# and with a middle range: same output, same exit status.
. "$top_srcdir/test/env/env-lib.sh"
. "$top_srcdir/test/env/autohbw-lib.sh"

data=$tmpd/data
seq 1 20000 | awk '{ print ($1 * 7919) % 10007, $0 }' >"$data"

run_both()
{
    # run_both LABEL COMMAND...: compares with and without the preload.
    label=$1
    shift
    "$@" >"$tmpd/plain" 2>&1
    prc=$?
    for size in 1 4K:64K; do
        ctx="$label, AUTO_HBW_SIZE=$size"
        autohbw MEMKIND_HBW_NODES="$first_node" AUTO_HBW_SIZE=$size \
            AUTO_HBW_LOG=-1 -- "$@"
        expect_rc "$prc"
        cat "$err" >>"$out"
        nchecks=$((nchecks + 1))
        cmp -s "$tmpd/plain" "$out" ||
            fail "$ctx: output differs: $(diff "$tmpd/plain" "$out" | head -n 5 | tr '\n' '|')"
    done
}

run_both "sort" sort -n "$data"
run_both "ls" ls -l "$top_srcdir/src"
run_both "awk" awk '{ s[$1] = s[$1] $2 } END { n = 0; for (k in s) n += length(s[k]); print n }' "$data"
run_both "sh" sh -c 'x=; for i in $(seq 1 300); do x="$x$i"; done; echo ${#x}'
if command -v python3 >/dev/null 2>&1; then
    run_both "python3" python3 -c 'd = {i: str(i) * 50 for i in range(20000)}; print(sum(len(v) for v in d.values()))'
fi

finish
