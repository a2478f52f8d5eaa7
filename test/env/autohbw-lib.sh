# SPDX-License-Identifier: BSD-2-Clause
# autohbw-lib.sh: sourced by the autohbw scenarios after env-lib.sh.
#   autohbw VAR=VALUE... -- PROGRAM [ARGS]   runs PROGRAM with
#       LD_PRELOAD=libautohbw.so and the variables; stdout in $out,
#       stderr in $err, status in $rc.
[ -z "${MK_SANITIZED:-}" ] ||
    skip "sanitizer build: the sanitizer runtime owns malloc, so an LD_PRELOAD malloc cannot be tested"
preload=$top_builddir/.libs/libautohbw.so
app=$top_builddir/test/env/autohbw_app
[ -f "$preload" ] || skip "libautohbw.so not built"
first_node=$(memory_nodes | head -n 1)

autohbw()
{
    vars=""
    while [ "$1" != "--" ]; do
        vars="$vars $1"
        shift
    done
    shift
    # shellcheck disable=SC2086  # $vars is a list of words
    env $vars LD_PRELOAD="$preload" "$@" >"$out" 2>"$err"
    rc=$?
}

# expect_rc STATUS
expect_rc()
{
    nchecks=$((nchecks + 1))
    [ "$rc" = "$1" ] ||
        fail "$ctx: exit status $rc, expected $1: $(tail -n 5 "$out" | tr '\n' '|') $(tail -n 3 "$err" | tr '\n' '|')"
}
