#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# guest.sh: runs inside one topology's VM (make check-topology boots it
# through test/dax/vm/mk-dax-vm; check-topology.sh is the host side).
#
# Usage: guest.sh NAME TOPOFILE PROGRAM [LIB114DIR]
# (environment: TOPO_TIER_PROBE and TOPO_MEMTIER_LIB for the "memtier"
# lines: tier_probe and our libmemtier.so.0; TOPO_OMP for the "omp" lines:
# omp_place; TOPO_TOOLS for the "tool" lines: the directory of our
# memkind-hbw-nodes and memkind-auto-dax-kmem-nodes)
#   1. checks each "sysfs", "distance" and "access" line of TOPOFILE
#      against /sys/devices/system/node (node lists, distances, the best
#      access0 initiator and its HMAT read bandwidth (MiB/s) and latency
#      (ns), memory-side caches);
#   2. runs PROGRAM (topo_place, linked with our libmemkind through the
#      LD_LIBRARY_PATH the runner passes) on TOPOFILE, then once per
#      hbwmalloc policy;
#   3. when LIB114DIR (Debian's unpacked libmemkind0 1.14) is given, runs
#      the same program against it and prints one "1.14 differs:" line per
#      check whose outcome or page nodes differ from ours.  These lines are
#      information for the reader (DESIGN.md section 8 lists 1.14's
#      defects); they do not change the verdict, which is ours against
#      TOPOFILE.
# Ends with "NAME: N passed, N failed"; exits 0 only when nothing failed.
# Busybox sh: no bash-isms.
set -u
name=$1 topo=$2 prog=$3 lib114=${4:-}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }

N=/sys/devices/system/node
# The sysfs lines.
while read -r kw a b rest; do
    case $kw in
        sysfs)
            got=$(cat "$N/$a" 2>/dev/null)
            if [ "$got" = "$b" ]; then ok "sysfs $a = $b"; else notok "sysfs $a: '$got', expected '$b'"; fi ;;
        distance)
            want="$b${rest:+ $rest}"
            got=$(cat "$N/node$a/distance" 2>/dev/null)
            if [ "$got" = "$want" ]; then ok "node$a distance $want"
            else notok "node$a distance: '$got', expected '$want'"; fi ;;
        access)
            # access NODE INITIATOR-NODES BANDWIDTH LATENCY
            set -- $rest
            d=$N/node$a/access0/initiators
            got=$(cd "$d" 2>/dev/null && ls -d node* 2>/dev/null | sed 's/node//' | tr '\n' ',' | sed 's/,$//')
            bw=$(cat "$d/read_bandwidth" 2>/dev/null)
            lat=$(cat "$d/read_latency" 2>/dev/null)
            if [ "$got" = "$b" ] && [ "$bw" = "$1" ] && [ "$lat" = "$2" ]; then
                ok "node$a access0: initiator $b, $bw MiB/s, $lat ns"
            else
                notok "node$a access0: initiator '$got' bandwidth '$bw' latency '$lat', expected $b $1 $2"
            fi ;;
        noaccess)
            # noaccess NODE: no HMAT, so no access0 class either.
            if [ -e "$N/node$a/access0" ]; then notok "node$a has access0 without HMAT"
            else ok "node$a: no access0 (no HMAT)"; fi ;;
        cache)
            # cache NODE LEVEL SIZE: a memory-side cache (hmat-cache).
            got=$(cat "$N/node$a/memory_side_cache/index$b/size" 2>/dev/null)
            if [ "$got" = "$rest" ]; then ok "node$a memory-side cache L$b: $rest bytes"
            else notok "node$a memory-side cache L$b: '$got', expected '$rest'"; fi ;;
    esac
done <"$topo"

# run_prog OUTFILE [ARGS]: topo_place's lines, counted; its closing line
# must be there (a crash is a failure).
run_prog() {
    out=$1
    shift
    "$prog" "$topo" "$@" >"$out" 2>"$out.err"
    rc=$?
}
count() {
    p=$(grep -c '^ok ' "$1")
    f=$(grep -c '^not ok ' "$1")
    pass=$((pass + p)) fail=$((fail + f))
    grep '^not ok ' "$1"
    if ! grep -q '^placement: ' "$1"; then
        notok "topo_place $2 stopped (exit status $rc): $(tail -n 3 "$1.err" | tr '\n' ' ')"
    fi
}

tmp=/tmp/topo.$$
mkdir -p "$tmp"
for r in all hbw-bind hbw-preferred hbw-interleave; do
    case $r in all) args="" ;; *) args="--hbw ${r#hbw-}" ;; esac
    # shellcheck disable=SC2086 # args: zero or two words
    run_prog "$tmp/ours.$r" $args
    count "$tmp/ours.$r" "$r"
    if [ -n "$lib114" ]; then
        LD_LIBRARY_PATH=$lib114 "$prog" "$topo" $args >"$tmp/deb.$r" 2>"$tmp/deb.$r.err"
        # Compare check by check: "ok N - WHAT -> NODES" / "not ok N - WHAT: WHY".
        sed -n 's/^\(not \)\{0,1\}ok [0-9]* - //p' "$tmp/ours.$r" >"$tmp/o"
        sed -n 's/^\(not \)\{0,1\}ok [0-9]* - //p' "$tmp/deb.$r" >"$tmp/d"
        if ! grep -q '^placement: ' "$tmp/deb.$r"; then
            echo "1.14 differs: $r: the run against 1.14 stopped: $(tail -n 2 "$tmp/deb.$r.err" | tr '\n' ' ')"
        fi
        paste -d '|' "$tmp/o" "$tmp/d" | while IFS='|' read -r o d; do
            [ "$o" = "$d" ] || echo "1.14 differs: ours: $o | 1.14: $d"
        done
    fi
done
# omp lines: omp_place (LLVM's libomp, which dlopen()s libmemkind.so) with
# ours, then with 1.14 for comparison.
if [ -n "${TOPO_OMP:-}" ] && grep -q '^omp ' "$topo"; then
    "$TOPO_OMP" "$topo" >"$tmp/omp" 2>"$tmp/omp.err"
    rc=$?
    count "$tmp/omp" omp
    if [ -n "$lib114" ]; then
        LD_LIBRARY_PATH=$lib114 "$TOPO_OMP" "$topo" >"$tmp/omp114" 2>&1
        sed -n 's/^\(not \)\{0,1\}ok [0-9]* - //p' "$tmp/omp" >"$tmp/o"
        sed -n 's/^\(not \)\{0,1\}ok [0-9]* - //p' "$tmp/omp114" >"$tmp/d"
        paste -d '|' "$tmp/o" "$tmp/d" | while IFS='|' read -r o d; do
            [ "$o" = "$d" ] || echo "1.14 differs: ours: $o | 1.14: $d"
        done
    fi
fi

# tool NAME NODES: our memkind-hbw-nodes / memkind-auto-dax-kmem-nodes
# (from $TOPO_TOOLS) print exactly NODES and exit 0; "-": no node printed.
if [ -n "${TOPO_TOOLS:-}" ]; then
    while read -r kw tool want rest; do
        [ "$kw" = tool ] || continue
        out=$("$TOPO_TOOLS/$tool" 2>"$tmp/tool.err")
        rc=$?
        if [ "$want" = - ]; then
            if [ -z "$out" ]; then ok "$tool prints no node (exit status $rc)"
            else notok "$tool: '$out', expected no node"; fi
        elif [ $rc = 0 ] && [ "$out" = "$want" ]; then
            ok "$tool -> $out"
        else
            notok "$tool: '$out' (exit status $rc), expected $want $(head -n 1 "$tmp/tool.err")"
        fi
    done <"$topo"
fi

# memtier POLICY DRAM-NODES DRAM-RATIO KMEM-NODES KMEM-RATIO: plain malloc
# under libmemtier (LD_PRELOAD) with a DRAM and a KMEM_DAX tier (1.14's name
# for MEMKIND_DAX_KMEM; 1.14 refuses our alias DAX_KMEM); the bytes
# per node (tier_probe, from move_pages) must all be on the two node sets,
# in the tiers' ratio within a factor of 2.
# tiers_ok FILE ...: prints why not, or nothing.
tiers_ok() {
    awk -v a="$3" -v ra="$4" -v b="$5" -v rb="$6" '
        function inset(n, s,   k, i, r, x) {
            k = split(s, r, ",")
            for (i = 1; i <= k; i++) {
                if (split(r[i], x, "-") == 2) { if (n >= x[1] && n <= x[2]) return 1 }
                else if (n == r[i]) return 1
            }
            return 0
        }
        $1 == "node" { if (inset($2, a)) A += $3; else if (inset($2, b)) B += $3; else O = O " " $2 }
        END {
            if (O != "") { print "bytes on other nodes:" O; exit }
            if (A == 0 || B == 0) { printf "DRAM %d bytes, KMEM %d bytes\n", A, B; exit }
            q = (A / ra) / (B / rb)
            if (q < 0.5 || q > 2) printf "DRAM %d bytes, KMEM %d bytes: not %s:%s\n", A, B, ra, rb
        }' "$1"
}
if [ -n "${TOPO_TIER_PROBE:-}" ] && [ -n "${TOPO_MEMTIER_LIB:-}" ]; then
    while read -r kw pol a ra b rb; do
        [ "$kw" = memtier ] || continue
        tiers="KIND:DRAM,RATIO:$ra;KIND:KMEM_DAX,RATIO:$rb;POLICY:$pol"
        MEMKIND_MEM_TIERS=$tiers LD_PRELOAD=$TOPO_MEMTIER_LIB "$TOPO_TIER_PROBE" >"$tmp/tier" 2>&1
        rc=$?
        why=$(tiers_ok "$tmp/tier" "$pol" "$a" "$ra" "$b" "$rb")
        bytes=$(grep '^node' "$tmp/tier" | tr '\n' ' ')
        if [ $rc = 0 ] && [ -z "$why" ]; then ok "memtier $pol DRAM:$ra DAX_KMEM:$rb -> $bytes"
        else notok "memtier $pol DRAM:$ra DAX_KMEM:$rb: exit $rc, $why $(tail -n 2 "$tmp/tier" | tr '\n' ' ')"; fi
        if [ -n "$lib114" ]; then
            LD_LIBRARY_PATH=$lib114 MEMKIND_MEM_TIERS=$tiers LD_PRELOAD=$lib114/libmemtier.so.0 \
                "$TOPO_TIER_PROBE" >"$tmp/tier114" 2>&1
            rc114=$?
            why=$(tiers_ok "$tmp/tier114" "$pol" "$a" "$ra" "$b" "$rb")
            [ -z "$why" ] || echo "1.14 differs: memtier $pol: exit status $rc114, $why $(grep -v '^node' "$tmp/tier114" | head -n 2 | tr '\n' ' ')"
        fi
    done <"$topo"
fi

echo "$name: $pass passed, $fail failed"
[ $fail = 0 ]
