#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# guest.sh: runs inside one topology's VM (make check-topology boots it
# through test/dax/vm/mk-dax-vm; check-topology.sh is the host side).
#
# Usage: guest.sh NAME TOPOFILE PROGRAM [LIB114DIR]
# (environment: TOPO_TIER_PROBE and TOPO_MEMTIER_LIB for the "memtier"
# lines: tier_probe and our libmemtier.so.0; TOPO_MEMTIER_TOOL for the
# "memtier-tool" lines: our memtier(1) script; TOPO_OMP for the "omp"
# lines: omp_place; TOPO_TOOLS for the "tool" lines: the directory of our
# memkind-hbw-nodes and memkind-auto-dax-kmem-nodes; TOPO_KNOWN_114: the
# table of known 1.14 differences, test/topology/known-1.14)
#   1. checks each "sysfs", "distance" and "access" line of TOPOFILE
#      against /sys/devices/system/node (node lists, distances, the best
#      access0 initiator and its HMAT read bandwidth (MiB/s) and latency
#      (ns), memory-side caches);
#   2. runs PROGRAM (topo_place, linked with our libmemkind through the
#      LD_LIBRARY_PATH the runner passes) on TOPOFILE, then once per
#      hbwmalloc policy;
#   3. reserves the 2 MiB pages of the "hugepages" lines on their nodes
#      and runs PROGRAM --huge (the "huge" lines: the hugetlb kinds), or
#      prints "skip - ..." (counted) when a node cannot hold them;
#   4. when LIB114DIR (Debian's unpacked libmemkind0 1.14) is given, runs
#      the same programs against it and prints one "1.14 differs:" line
#      per check whose outcome or page nodes differ from ours, with the
#      reason ours is right from TOPO_KNOWN_114 (chosen by what the runs
#      show, see that file), or "1.14 differs (unexplained):".  These lines
#      do not change the verdict, which is ours against TOPOFILE.
# Ends with "NAME: N passed, N failed, N skipped, N unexplained" (the last:
# 1.14 differences without a known reason); exits 0 only when nothing
# failed.  Busybox sh: no bash-isms.
set -u
name=$1 topo=$2 prog=$3 lib114=${4:-}
pass=0 fail=0 skip=0
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
: >"$tmp/unexplained"

# explain SIGNATURE CHECK: the reason of TOPO_KNOWN_114's first row for
# SIGNATURE whose pattern matches CHECK; nothing when no row does.  Run in
# a command substitution: it turns globbing off (the rows hold patterns).
explain() {
    [ -n "${TOPO_KNOWN_114:-}" ] || return 0
    set -f
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOPO_KNOWN_114" |
        while IFS='|' read -r sig pat why; do
            sig=$(echo $sig) pat=$(echo $pat)
            [ "$sig" = "$1" ] || continue
            # shellcheck disable=SC2254 # pat is a pattern
            case $2 in $pat) echo $why; break ;; esac
        done
}
# differs SIGNATURE CHECK DETAIL: one "1.14 differs" line, explained or
# counted as unexplained.
differs() {
    why=
    [ "$1" != none ] && why=$(explain "$1" "$2")
    if [ -n "$why" ]; then
        echo "1.14 differs: $2: $3; why ours is right ($1): $why"
    else
        echo x >>"$tmp/unexplained"
        echo "1.14 differs (unexplained): $2: $3 [signature $1]"
    fi
}

# compare OURS THEIRS: topo_place/omp_place outputs, check by check (by
# the check's name, not its number); one "1.14 differs" line per check
# that differs, as differs() writes it (see known-1.14 for the signatures;
# stale-node needs TOPOFILE's expectations of the same check from the
# other CPU nodes).  One awk for all checks: the guest's CPU is emulated,
# and a process per check costs seconds.
compare() {
    awk -v topo="$topo" -v known="${TOPO_KNOWN_114:-/dev/null}" '
        function nodeset(s, set,   k, i, r, x, a) {
            delete set
            k = split(s, r, ",")
            for (i = 1; i <= k; i++) {
                if (split(r[i], x, "-") == 2) { for (a = x[1] + 0; a <= x[2] + 0; a++) set[a] = 1 }
                else if (r[i] != "-" && r[i] != "") set[r[i] + 0] = 1
            }
        }
        function subset(a, b,   sa, sb, n, any) {
            nodeset(a, sa); nodeset(b, sb)
            any = 0
            for (n in sa) { if (!(n in sb)) return 0; any = 1 }
            return any
        }
        # split "ok N - NAME -> X" / "not ok N - NAME: WHY"
        function parse(line, r,   i) {
            r["ok"] = line ~ /^ok /
            sub(/^(not )?ok [0-9]+ - /, "", line)
            if (r["ok"] && (i = index(line, " -> "))) { r["name"] = substr(line, 1, i - 1); r["got"] = substr(line, i + 4) }
            else if (!r["ok"] && (i = index(line, ": "))) { r["name"] = substr(line, 1, i - 1); r["got"] = substr(line, i + 2) }
            else { r["name"] = line; r["got"] = "" }
        }
        function trim(x) { gsub(/^[ \t]+|[ \t]+$/, "", x); return x }
        # glob2re PATTERN: an sh pattern with "*" as an anchored regex
        function glob2re(g,   r, i, ch) {
            r = "^"
            for (i = 1; i <= length(g); i++) {
                ch = substr(g, i, 1)
                if (ch == "*") r = r ".*"
                else if (index("\\^$.[]|()+?{}", ch)) r = r "\\" ch
                else r = r ch
            }
            return r "$"
        }
        BEGIN {
            while ((getline l < known) > 0) {
                sub(/#.*/, "", l)
                if (split(l, f, "|") < 3) continue
                nk++; ksig[nk] = trim(f[1]); kre[nk] = glob2re(trim(f[2]))
                kwhy[nk] = trim(substr(l, length(f[1]) + length(f[2]) + 3))
            }
            # expectations "KW WORDS CPU MODE NODES" by "KW WORDS" and CPU
            while ((getline l < topo) > 0) {
                k = split(l, w, " ")
                if (w[1] == "place" || w[1] == "huge" || w[1] == "hbw" || w[1] == "omp") { key = w[1] " " w[2]; c = w[3]; nd = w[5] }
                else if (w[1] == "create") { key = "create " w[2] " " w[3]; c = w[4]; nd = w[6] }
                else continue
                want[key, c] = nd; cpus[key] = cpus[key] " " c
            }
        }
        FNR == 1 { file++ }
        !/^(not )?ok [0-9]+ - / { next }
        file == 1 { parse($0, r); order[++n] = r["name"]; ook[r["name"]] = r["ok"]; ogot[r["name"]] = r["got"]; next }
        file == 2 { parse($0, r); tok[r["name"]] = r["ok"]; tgot[r["name"]] = r["got"]; seen[r["name"]] = 1 }
        END {
            for (i = 1; i <= n; i++) {
                c = order[i]
                if (!(c in seen)) continue   # 1.14 stopped before it
                if (ook[c] == tok[c] && ogot[c] == tgot[c]) continue
                d = "ours " (ook[c] ? "-> " : "fail: ") ogot[c] " | 1.14 " (tok[c] ? "-> " : "fail: ") tgot[c]
                sig = "none"
                if (!ook[c]) sig = "ours-fails"
                else if (tok[c]) sig = "both-ok"
                else {
                    got = ""
                    if (match(tgot[c], /pages on [0-9,-]+/)) got = substr(tgot[c], RSTART + 9, RLENGTH - 9)
                    # an expected node nearly full when 1.14 allocated: it
                    # left the node out, or filled it and spilled over
                    if (match(tgot[c], /free MiB:( [0-9]+=-?[0-9]+)+/)) {
                        k = split(substr(tgot[c], RSTART + 9, RLENGTH - 9), fr, " ")
                        for (j = 1; j <= k; j++) {
                            split(fr[j], kv, "=")
                            if (kv[2] + 0 < 16) sig = "node-full"
                        }
                    }
                    if (sig == "none" && got != "") {
                        # NAME: "KW WORDS from node C" or "move K from node F to node C"
                        if (match(c, /^move [^ ]+ from node [0-9]+/)) {
                            # "move K from node F to node C": every page on
                            # the nodes of F, or some there and the rest on
                            # those of C (an object from extents bound before
                            # and after the move)
                            split(c, w, " "); ow = want["place " w[2], w[5]]; nw = want["place " w[2], w[8]]
                            if (subset(got, ow) || (ow != "" && nw != "" && subset(got, ow "," nw) && !subset(got, nw))) sig = "stale-node"
                        } else if (match(c, / from node [0-9]+$/)) {
                            key = substr(c, 1, RSTART - 1); me = substr(c, RSTART + 11)
                            k = split(cpus[key], cs, " ")
                            for (j = 1; j <= k; j++)
                                if (cs[j] != me && subset(got, want[key, cs[j]])) sig = "stale-node"
                        }
                    }
                }
                if (sig == "ours-fails") { printf "1.14 differs: %s: %s (ours fails: see its not ok line)\n", c, d; continue }
                why = ""
                for (j = 1; j <= nk && why == ""; j++)
                    if (ksig[j] == sig && c ~ kre[j]) why = kwhy[j]
                if (why != "") printf "1.14 differs: %s: %s; why ours is right (%s): %s\n", c, d, sig, why
                else printf "1.14 differs (unexplained): %s: %s [signature %s]\n", c, d, sig
            }
        }' "$1" "$2"
}
# report_114 WHAT OURS THEIRS RC: the differences of one 1.14 run, and
# why it stopped when it did.
report_114() {
    if [ "$4" != 0 ] && [ "$4" != 1 ]; then
        oom=$(dmesg | grep -E 'Out of memory: Killed process [0-9]+ \((topo_place|omp_place)\)' | tail -n 1 |
              sed 's/^\[[^]]*\] //')
        if [ -n "$oom" ]; then sig=oom
        elif grep -q '^placement: ' "$3"; then sig=exit-crash
        else sig=none
        fi
        differs "$sig" "$1" "the run against 1.14 stopped (exit status $4) after $(grep -c '^\(not \)\{0,1\}ok ' "$3") of $(grep -c '^\(not \)\{0,1\}ok ' "$2") checks: ${oom:-$(tail -n 2 "$3.err" | tr '\n' ' ')}; ours: $(grep '^placement: ' "$2")"
    fi
    compare "$2" "$3" >"$tmp/cmp"
    cat "$tmp/cmp"
    grep '^1\.14 differs (unexplained)' "$tmp/cmp" | sed 's/.*/x/' >>"$tmp/unexplained"
}

# run114 OUT ARGS: PROGRAM against 1.14, its status in rc114.
run114() {
    out=$1
    shift
    dmesg -c >/dev/null 2>&1
    LD_LIBRARY_PATH=$lib114 "$prog" "$topo" "$@" >"$out" 2>"$out.err"
    rc114=$?
}

for r in all hbw-bind hbw-preferred hbw-interleave; do
    case $r in all) args="" ;; *) args="--hbw ${r#hbw-}" ;; esac
    # shellcheck disable=SC2086 # args: zero or two words
    run_prog "$tmp/ours.$r" $args
    count "$tmp/ours.$r" "$r"
    if [ -n "$lib114" ]; then
        # shellcheck disable=SC2086
        run114 "$tmp/deb.$r" $args
        report_114 "$r" "$tmp/ours.$r" "$tmp/deb.$r" "$rc114"
    fi
done

# hugepages NODE COUNT: 2 MiB pages reserved on NODE for the "huge" lines
# (then given back).  A node that cannot hold them skips those lines.
hp() { echo "$N/node$1/hugepages/hugepages-2048kB/nr_hugepages"; }
if grep -q '^huge ' "$topo"; then
    short=
    while read -r kw node cnt rest; do
        [ "$kw" = hugepages ] || continue
        echo "$cnt" >"$(hp "$node")" 2>/dev/null
        got=$(cat "$(hp "$node")" 2>/dev/null)
        [ "${got:-0}" -ge "$cnt" ] || short="$short node$node:${got:-none}/$cnt"
    done <"$topo"
    if [ -n "$short" ]; then
        skip=$((skip + 1))
        echo "skip - huge lines: 2 MiB pages not available ($short; node too small or no hugetlb)"
    else
        run_prog "$tmp/ours.huge" --huge
        count "$tmp/ours.huge" huge
        if [ -n "$lib114" ]; then
            run114 "$tmp/deb.huge" --huge
            report_114 huge "$tmp/ours.huge" "$tmp/deb.huge" "$rc114"
        fi
    fi
    while read -r kw node cnt rest; do
        [ "$kw" = hugepages ] && echo 0 >"$(hp "$node")" 2>/dev/null
    done <"$topo"
fi
# omp lines: omp_place (LLVM's libomp, which dlopen()s libmemkind.so) with
# ours, then with 1.14 for comparison.
if [ -n "${TOPO_OMP:-}" ] && grep -q '^omp ' "$topo"; then
    "$TOPO_OMP" "$topo" >"$tmp/omp" 2>"$tmp/omp.err"
    rc=$?
    count "$tmp/omp" omp
    if [ -n "$lib114" ]; then
        dmesg -c >/dev/null 2>&1
        LD_LIBRARY_PATH=$lib114 "$TOPO_OMP" "$topo" >"$tmp/omp114" 2>"$tmp/omp114.err"
        report_114 omp "$tmp/omp" "$tmp/omp114" $?
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
            sig=none
            grep -q '^node [0-9]* [0-9]*$' "$tmp/tier114" || sig=no-output
            [ -z "$why" ] || differs "$sig" "memtier $pol DRAM:$ra DAX_KMEM:$rb" \
                "1.14 exit status $rc114, $why $(grep -av '^node' "$tmp/tier114" | head -n 2 | tr -c '[:print:]' '?')"
        fi
    done <"$topo"
fi

# memtier-tool RATIO THRESHOLDS DRAM-NODES DRAM-RATIO KMEM-NODES KMEM-RATIO:
# tier_probe run by our memtier(1) script ("memtier -r RATIO [-t
# THRESHOLDS] tier_probe"; "-": the option left out, so the ratio of the
# memory installed), its bytes checked by page node as for the memtier
# lines, against DRAM-RATIO:KMEM-RATIO within a factor of 2.
if [ -n "${TOPO_TIER_PROBE:-}" ] && [ -n "${TOPO_MEMTIER_TOOL:-}" ]; then
    while read -r kw ratio thr a ra b rb; do
        [ "$kw" = memtier-tool ] || continue
        set --
        [ "$ratio" = - ] || set -- "$@" -r "$ratio"
        [ "$thr" = - ] || set -- "$@" -t "$thr"
        what="memtier $* tier_probe"
        "$TOPO_MEMTIER_TOOL" -v "$@" "$TOPO_TIER_PROBE" >"$tmp/tool" 2>"$tmp/tool.err"
        rc=$?
        why=$(tiers_ok "$tmp/tool" - "$a" "$ra" "$b" "$rb")
        bytes=$(grep '^node' "$tmp/tool" | tr '\n' ' ')
        if [ $rc = 0 ] && [ -z "$why" ]; then ok "$what -> $bytes(want $ra:$rb)"
        else notok "$what: exit $rc, $why $(tail -n 3 "$tmp/tool.err" | tr '\n' ' ')"; fi
    done <"$topo"
fi

echo "$name: $pass passed, $fail failed, $skip skipped, $(wc -l <"$tmp/unexplained") unexplained"
[ $fail = 0 ]
