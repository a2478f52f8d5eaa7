#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# runner-test.sh RUNNER WORKDIR: checks mk-dax-vm's own contract, the part
# the lane's verdict rests on: the program's exit status and output come
# back unchanged, an expired --timeout is 124, and every failure of the
# machinery (bad options, a missing program, a kernel or initramfs that
# cannot boot, a boot that does not finish in time) is 125 -- never 0.
# Run by check-dax.sh before the suites (three short boots, about 40 s under
# TCG).  Prints "ok - what" or "not ok - what" per check and ends with
# "N passed, N failed, 0 skipped"; exits 1 when a check failed.
set -u
runner=${1:?runner}
w=${2:?work directory}
pass=0 fail=0
mkdir -p "$w" || exit 1

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# expect WHAT WANT-STATUS [PATTERN] -- RUNNER-ARGS...: runs the runner;
# checks its status and, with PATTERN, that its stderr has PATTERN.
expect()
{
    what=$1 want=$2 pat=$3
    shift 4
    "$runner" "$@" >"$w/out" 2>"$w/err"
    rc=$?
    if [ "$rc" != "$want" ]; then
        bad "$what: exit status $rc, expected $want"
        sed 's/^/    | /' "$w/err" | tail -n 15
    elif [ -n "$pat" ] && ! grep -q "$pat" "$w/err"; then
        bad "$what: no \"$pat\" in its messages"
        sed 's/^/    | /' "$w/err" | tail -n 15
    else
        ok "$what (exit status $rc)"
    fi
}

# Usage errors: caught before anything starts.
expect "unknown file system" 125 "ext4 or xfs" -- --fs btrfs -- /bin/true
expect "NVDIMM size not a multiple of 16M" 125 "multiple of 16M" -- --mem 100M -- /bin/true
expect "unknown option" 125 "unknown option" -- --frobnicate -- /bin/true
expect "missing program" 125 "no such program" -- -- "$w/no/such/program"
expect "missing --copy path" 125 "no such file" -- --copy "$w/missing" -- /bin/true
# --numa (check-topology's layouts): refused before any boot when unreadable,
# when a line is not "-object|-numa VALUE", or with too little RAM.
expect "unreadable --numa file" 125 "cannot read it" -- --numa "$w/no-numa" -- /bin/true
printf -- '-machine q35\n' >"$w/numa-bad"
expect "--numa line that is not -object or -numa" 125 "is not -object or -numa" -- \
    --numa "$w/numa-bad" -- /bin/true
printf -- '-object memory-backend-ram,id=m0,size=128M\n' >"$w/numa-small"
expect "--numa with under 256M of RAM" 125 "at least 256M" -- \
    --numa "$w/numa-small" -- /bin/true
expect "--kmem-node not a number" 125 "a node number" -- --kmem-node x -- /bin/true

# Broken caches: a copy of the real one with the kernel or the base
# initramfs cut short.  The runner takes both as they are (same key).
cache=${MK_DAX_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/mk-dax-vm}
if [ -f "$cache/kernel/vmlinuz" ] && ls "$cache"/base-*.cpio >/dev/null 2>&1; then
    for b in kernel initramfs; do
        c=$w/cache-$b
        mkdir -p "$c" && cp -r "$cache/kernel" "$cache/busybox" "$cache"/base-*.cpio "$c/"
        case $b in
            kernel) truncate -s 1M "$c/kernel/vmlinuz" ;;
            initramfs) for f in "$c"/base-*.cpio; do truncate -s 100000 "$f"; done ;;
        esac
        expect "broken $b" 125 "before its init started" -- \
            --cache-dir "$c" --no-install --timeout 120 -- /bin/true
        rm -rf "$c"
    done
else
    bad "no prepared cache in $cache (run $runner --prepare first)"
fi

# A guest that does not boot in time (the boot watchdog).
expect "boot watchdog" 125 "did not start its init within 1 s" -- \
    --boot-timeout 1 -- /bin/true

# The program's status, arguments, environment and its two output streams,
# kept apart and byte for byte.
cat >"$w/prog.sh" <<'EOF'
#!/bin/sh
printf '[%s]' "$@"
printf '\n%s|%s|%s|%s\n' "$DAX_VM" "$PMEM_DIR" "$MK_T1" "${MK_T2-unset}"
printf 'to stderr\n' >&2
exit 7
EOF
chmod +x "$w/prog.sh"
MK_T2="from the host"
export MK_T2
expect "program status 7" 7 "" -- --timeout 300 \
    --env "MK_T1=a 'b' \$c" --env MK_T2 -- "$w/prog.sh" "one two" "'q'" '$x' ""
unset MK_T2
printf "[one two]['q'][\$x][]\n1|/mnt/pmem|a 'b' \$c|from the host\n" >"$w/want.out"
printf 'to stderr\n' >"$w/want.err"
if cmp -s "$w/out" "$w/want.out"; then
    ok "stdout: arguments and environment unchanged"
else
    bad "stdout differs: $(od -c "$w/out" | head -n 5)"
fi
if grep -v '^mk-dax-vm: ' "$w/err" | cmp -s - "$w/want.err"; then
    ok "stderr kept apart from stdout"
else
    bad "stderr differs: $(od -c "$w/err" | head -n 5)"
fi

# A program that outlives --timeout.
expect "timeout" 124 "timed out after 15 s" -- --timeout 15 -- /bin/sleep 600

rm -rf "$w"
echo "$pass passed, $fail failed, 0 skipped"
[ $fail = 0 ]
