# SPDX-License-Identifier: BSD-2-Clause
# env-lib.sh: helpers sourced by the env scenario scripts (test/env/*.sh).
# Each scenario runs small programs in fresh processes with the variables
# under test, and counts checks; it ends with finish, whose exit status is
# what make check sees (0 pass, 1 fail, 77 skip).
#
#   probe VAR=VALUE...       runs env_probe with those variables (and no
#                            other MEMKIND_* override), output in $out,
#                            standard error in $err
#   expect_line LINE         $out has exactly that line
#   expect_match REGEX       $out has a line matching it (grep -E)
#   expect_err_lines N       $err has exactly N lines
#   check COND MESSAGE       counts a check; prints MESSAGE on failure
#   skip REASON              exit 77 with the reason
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
probe_bin=$top_builddir/test/env/env_probe
tmpd=$(mktemp -d "${TMPDIR:-/tmp}/mk-env.XXXXXX") || exit 99
out=$tmpd/out
err=$tmpd/err
nchecks=0
nfail=0
ended=""
# A scenario ends through finish or skip, each of which prints its verdict.
# Any other way out (a signal, a shell error) says so here, so that no
# scenario can end without a word of output; after a signal the scenario
# stops (status 99, a hard error) instead of running on without $tmpd.
env_lib_exit()
{
    rc=$?
    rm -rf "$tmpd"
    [ -n "$ended" ] ||
        echo "ERROR: $0 stopped (status $rc) after $nchecks checks, $nfail failed"
    exit $rc
}
trap env_lib_exit EXIT
trap 'echo "ERROR: $0: signal"; exit 99' HUP INT TERM
trap 'exit 99' PIPE # stdout gone (piped into head): clean up, say nothing

# The variables every scenario controls; the caller's values must not leak
# into a scenario.
unset MEMKIND_HBW_NODES MEMKIND_DAX_KMEM_NODES MEMKIND_HBW_THRESHOLD \
    MEMKIND_DEBUG HWLOC_XMLFILE AUTO_HBW_SIZE AUTO_HBW_LOG AUTO_HBW_DEBUG \
    AUTO_HBW_MEM_TYPE

fail()
{
    nfail=$((nfail + 1))
    echo "FAIL: $*"
}

check()
{
    nchecks=$((nchecks + 1))
    if ! eval "$1"; then
        fail "$2"
    fi
}

probe()
{
    env "$@" ${MK_TEST_PREFIX:-} "$probe_bin" ${PROBE_ARGS:-} >"$out" \
        2>"$err"
    probe_rc=$?
    nchecks=$((nchecks + 1))
    [ "$probe_rc" = 0 ] || fail "env_probe $* exited with $probe_rc"
}

expect_line()
{
    nchecks=$((nchecks + 1))
    grep -qxF -- "$1" "$out" ||
        fail "$ctx: no line \"$1\" in: $(tr '\n' '|' <"$out")"
}

expect_match()
{
    nchecks=$((nchecks + 1))
    grep -qE -- "$1" "$out" ||
        fail "$ctx: no line matching /$1/ in: $(tr '\n' '|' <"$out")"
}

expect_err_lines()
{
    nchecks=$((nchecks + 1))
    n=$(wc -l <"$err")
    [ "$n" -eq "$1" ] ||
        fail "$ctx: $n lines on stderr, expected $1: $(tr '\n' '|' <"$err")"
}

skip()
{
    ended=skip
    echo "SKIP: $*"
    exit 77
}

finish()
{
    ended=finish
    echo "$nchecks checks, $nfail failed"
    [ "$nfail" = 0 ]
}

# Memory nodes of this machine, one per line.
memory_nodes()
{
    f=/sys/devices/system/node/has_memory
    [ -r "$f" ] || { echo 0; return; }
    tr ',' '\n' <"$f" | while IFS=- read -r a b; do
        [ -n "$a" ] || continue
        seq "$a" "${b:-$a}"
    done
}
