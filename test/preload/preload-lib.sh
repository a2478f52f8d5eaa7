# SPDX-License-Identifier: BSD-2-Clause
# preload-lib.sh: shell functions shared by the test/preload/*.sh drivers
# (sourced, not run).  The drivers get top_builddir and top_srcdir from
# make check (test/test.mk) and MK_SANITIZED from test/preload/preload.mk,
# and follow the automake protocol: exit 0 pass, 1 fail, 77 skip, saying
# why.
#
# After pl_init, these are set:
#   PL_LIB      .libs/libmemtier.so of the build tree
#   PL_TMP      a private temporary directory, removed at exit
#   PL_PMEM     $PL_TMP/pmem, the directory of FS_DAX tiers
#   PL_DRAM, PL_FSDAX, PL_MIXED   MEMKIND_MEM_TIERS values: all DRAM, all
#               FS_DAX, DRAM and FS_DAX 1:1
#   PL_CONFIGS  "DRAM FSDAX MIXED"; pl_tiers NAME prints the value

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
PL_LIB=$top_builddir/.libs/libmemtier.so
pl_status=0

pl_pass() { echo "PASS: $*"; }
pl_fail() { echo "FAIL: $*"; pl_status=1; }
pl_skip() { echo "SKIP: $*"; exit 77; }
pl_exit() { exit $pl_status; }

# pl_init: checks the library exists and makes the temporary directories.
# The preload cannot work beside a sanitizer runtime, which owns malloc
# itself (CONVENTIONS.md 11): skip then.
pl_init()
{
    if [ "${MK_SANITIZED:-0}" = 1 ]; then
        pl_skip "built with --enable-sanitizers: the sanitizer runtime owns malloc, libmemtier cannot replace it"
    fi
    if [ ! -e "$PL_LIB" ]; then
        echo "FAIL: $PL_LIB not found (make builds it)"
        exit 1
    fi
    PL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mk-preload.XXXXXX") || exit 1
    trap 'rm -rf "$PL_TMP"' EXIT
    trap 'exit 1' HUP INT TERM PIPE
    PL_PMEM=$PL_TMP/pmem
    mkdir -p "$PL_PMEM"
    PL_DRAM="KIND:DRAM,RATIO:1;POLICY:STATIC_RATIO"
    PL_FSDAX="KIND:FS_DAX,PATH:$PL_PMEM,RATIO:1;POLICY:STATIC_RATIO"
    PL_MIXED="KIND:DRAM,RATIO:1;KIND:FS_DAX,PATH:$PL_PMEM,RATIO:1;POLICY:STATIC_RATIO"
    PL_CONFIGS="DRAM FSDAX MIXED"
    # The environment of the caller must not configure the runs.
    unset MEMKIND_MEM_TIERS MEMKIND_MEM_THRESHOLDS MEMKIND_MEM_TIERS_LOG_LEVEL \
        MEMKIND_MEM_TIERING_LOG_LEVEL LD_PRELOAD
}

pl_tiers()
{
    eval "echo \"\$PL_$1\""
}

# pl_need FILE: a build product the driver needs (missing: failure).
pl_need()
{
    if [ ! -e "$1" ]; then
        echo "FAIL: $1 not found (make check builds it)"
        exit 1
    fi
}

# pl_need_cmd CMD...: skips when a program the test drives is missing.
pl_need_cmd()
{
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 ||
            pl_skip "$c is not installed (.ci/install-deps installs it)"
    done
}

# pl_run TIERS OUT CMD...: runs CMD under the preload with MEMKIND_MEM_TIERS
# TIERS (empty: a plain run), stdout to OUT, stderr to OUT.err, killed
# after PL_TIMEOUT seconds (default 300); prints the exit status (124:
# timed out).  Before it kills a run that timed out it writes where each
# thread of the process was (pl_dump_threads) to OUT.err and to stderr
# (the test's log), so that a hang seen once in CI can be told apart from
# a slow run and located.  PL_EXTRA_PRELOAD,
# when set, is preloaded after libmemtier, and alone in plain runs; PL_LOG,
# when set, is the MEMKIND_MEM_TIERS_LOG_LEVEL of preloaded runs.
pl_run()
{
    tiers=$1 out=$2
    shift 2
    if [ -n "$tiers" ]; then
        set -- env LD_PRELOAD="$PL_LIB${PL_EXTRA_PRELOAD:+ $PL_EXTRA_PRELOAD}" \
            ${PL_LOG:+MEMKIND_MEM_TIERS_LOG_LEVEL=$PL_LOG} \
            MEMKIND_MEM_TIERS="$tiers" "$@"
    elif [ -n "${PL_EXTRA_PRELOAD:-}" ]; then
        set -- env LD_PRELOAD="$PL_EXTRA_PRELOAD" "$@"
    fi
    # In the background, stdin would be /dev/null: the caller's goes on
    # fd 3.  Polled every 50 ms for 2 s (most runs end by then), then
    # every 0.5 s.
    exec 3<&0
    "$@" <&3 3<&- > "$out" 2> "$out.err" &
    pl_pid=$!
    exec 3<&-
    pl_ms=0
    pl_limit=$(( ${PL_TIMEOUT:-300} * 1000 ))
    while kill -0 "$pl_pid" 2>/dev/null && [ "$pl_ms" -lt "$pl_limit" ]; do
        if [ "$pl_ms" -lt 2000 ]; then
            sleep 0.05
            pl_ms=$((pl_ms + 50))
        else
            sleep 0.5
            pl_ms=$((pl_ms + 500))
        fi
    done
    if kill -0 "$pl_pid" 2>/dev/null; then
        pl_dump_threads "$pl_pid" 2>&1 | tee -a "$out.err" >&2
        kill -KILL "$pl_pid" 2>/dev/null
        wait "$pl_pid" 2>/dev/null
        echo 124
        return
    fi
    wait "$pl_pid"
    echo $?
}

# pl_dump_threads PID: where each thread of PID (env exec()s the program,
# so PID is the program) is: gdb's backtraces when gdb is installed, else
# each thread's system call, program counter and kernel wait channel from
# /proc, with the mappings to place the program counters.
pl_dump_threads()
{
    echo "pl_run: timed out; the threads of process $1:"
    if command -v gdb >/dev/null 2>&1; then
        gdb -p "$1" -batch -ex "thread apply all bt 40" 2>&1 | grep -v '^\[New LWP'
        return
    fi
    for t in /proc/"$1"/task/*; do
        echo "thread ${t##*/}: syscall $(cat "$t/syscall" 2>/dev/null)" \
            "wchan $(cat "$t/wchan" 2>/dev/null)"
    done
    cat /proc/"$1"/maps 2>/dev/null | grep ' r-xp '
}

# pl_expect LABEL TIERS CMD...: CMD must exit 0 (plainly when TIERS is
# empty, else under the preload) and print nothing on stderr; its last
# line of output is shown.
pl_expect()
{
    label=$1 tiers=$2
    shift 2
    rc=$(pl_run "$tiers" "$PL_TMP/expect.out" "$@")
    if [ "$rc" != 0 ]; then
        pl_fail "$label: exit status $rc"
        cat "$PL_TMP/expect.out" "$PL_TMP/expect.out.err" | grep -v '^PASS' |
            head -n 30 | sed 's/^/    /'
    elif [ -s "$PL_TMP/expect.out.err" ]; then
        pl_fail "$label: unexpected messages on stderr:"
        head -n 10 "$PL_TMP/expect.out.err" | sed 's/^/    /'
    else
        pl_pass "$label: $(tail -n 1 "$PL_TMP/expect.out")"
    fi
}

# pl_compare LABEL CMD...: runs CMD plainly, where it must succeed, and
# under every configuration of PL_CONFIGS: stdout and the exit status must
# be the same.  The preloaded runs have MEMKIND_MEM_TIERS_LOG_LEVEL=1, so
# every process that loads the library says on stderr that it built its
# tiers ("libmemtier: loaded"): at least one must say so (the run was
# really tiered), and the library must print nothing else than those
# information lines (no warning, no error).  A driver that needs a fresh
# working state per run sets PL_SETUP to a shell command run before each.
pl_compare()
{
    label=$1
    shift
    [ -n "${PL_SETUP:-}" ] && eval "$PL_SETUP"
    rc0=$(pl_run "" "$PL_TMP/plain.out" "$@")
    if [ "$rc0" != 0 ]; then
        pl_fail "$label: the plain run itself failed (exit status $rc0):"
        sed 's/^/    /' "$PL_TMP/plain.out.err" | head -n 10
        return
    fi
    for cfg in $PL_CONFIGS; do
        [ -n "${PL_SETUP:-}" ] && eval "$PL_SETUP"
        rc=$(PL_LOG=1 && pl_run "$(pl_tiers "$cfg")" "$PL_TMP/$cfg.out" "$@")
        # What the library says at level 1 (libmemtier(7)); anything else
        # from it or from libmemkind is a complaint.
        loaded=$(grep -c '^MEMKIND_WARNING: libmemtier: loaded$' "$PL_TMP/$cfg.out.err")
        if [ "$rc" != "$rc0" ]; then
            pl_fail "$label [$cfg]: exit status $rc, plain run $rc0"
            sed 's/^/    stderr: /' "$PL_TMP/$cfg.out.err" | head -n 20
        elif ! cmp -s "$PL_TMP/plain.out" "$PL_TMP/$cfg.out"; then
            pl_fail "$label [$cfg]: stdout differs from the plain run ($(wc -c < "$PL_TMP/$cfg.out") vs $(wc -c < "$PL_TMP/plain.out") bytes)"
            diff "$PL_TMP/plain.out" "$PL_TMP/$cfg.out" | head -n 10 | sed 's/^/    /'
        elif grep 'libmemtier\|MEMKIND' "$PL_TMP/$cfg.out.err" |
                grep -Evq '^MEMKIND_WARNING: libmemtier: (loaded|tier [0-9]+: .*|policy [A-Z_]+|unloading; .*)$'; then
            pl_fail "$label [$cfg]: the library complained:"
            grep -Ev '^MEMKIND_WARNING: libmemtier: (loaded|tier [0-9]+: .*|policy [A-Z_]+|unloading; .*)$' \
                "$PL_TMP/$cfg.out.err" | head -n 10 | sed 's/^/    /'
        elif [ "$loaded" -lt 1 ]; then
            pl_fail "$label [$cfg]: no process said 'libmemtier: loaded': the tiers were not used"
        else
            pl_pass "$label [$cfg]: same output ($(wc -c < "$PL_TMP/plain.out") bytes) and exit status ($rc), $loaded processes tiered"
        fi
    done
}

# pl_real NAME LABEL: the whole of a real-*.sh driver: workload NAME of
# test/preload/workloads.sh, prepared once, then compared by pl_compare.
# The preload covers the sh that runs the workload and every program it
# starts.
pl_real()
{
    pl_init
    . "$top_srcdir/test/preload/workloads.sh"
    pl_need_cmd $(wl_need "$1")
    wl_prepare "$1" "$PL_TMP"
    pl_compare "$2" sh -c '. "$1"; wl_run "$2" "$3"' sh \
        "$top_srcdir/test/preload/workloads.sh" "$1" "$PL_TMP"
    pl_exit
}
