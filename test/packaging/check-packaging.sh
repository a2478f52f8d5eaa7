#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check-packaging.sh SRCDIR BUILDDIR DIST-TARBALL
#
# The packaging lane (make check-packaging, issue 19): builds the Debian
# packages from DIST-TARBALL (make dist of this tree) plus debian/, the way
# a Debian build would, and tests what a user of the packages gets.  Each
# step writes BUILDDIR/_build/packaging/STEP.{log,trs}, counted by
# test/summary.sh; a step exits 77 for a skip (the reason is printed), and
# a step whose prerequisite failed fails too (it did not test anything).
#
#  source    source package: 3.0 (quilt), the dist tarball as orig, Debian's
#            jemalloc_5.3.0.orig.tar.bz2 inside the component tarball
#            orig-jemalloc-src (its SHA-256 checked against the pin of
#            jemalloc/fetch-source.sh), debian/changelog's version = VERSION
#  build     dpkg-buildpackage -us -uc -b of the unpacked source package,
#            offline (no network is used: the jemalloc source comes from
#            the component), nocheck (make check ran on this tree already)
#  lintian   no errors on the .dsc and the .debs; warnings are printed
#            (README "Debian packages" says which are expected and why)
#  contents  each package holds what it must; SONAMEs; the static
#            archives' global symbols are the shared libraries' exports
#  progs     the tools of our libmemkind-progs, and Debian's own
#            libmemkind-progs binaries, run on our libmemkind0 and agree
#  dev       a program built with pkg-config against the installed -dev
#            (shared), and statically (pkg-config --static), with and
#            without Debian's libjemalloc linked in as well
#  cmake     a tiny CMake project with find_package(memkind CONFIG)
#  upgrade   dpkg in a throw-away root: Debian's packages, upgraded to ours,
#            downgraded back to Debian's; each state works
#
# Packages are unpacked with dpkg -x (or installed with dpkg --root) into
# throw-away roots under _build/packaging; nothing is installed on the
# machine.  Debian's memkind packages are fetched with apt-get download;
# without them progs/upgrade print a skip for that part.
set -u
srcdir=$(cd "$1" && pwd)
builddir=$(cd "$2" && pwd)
tarball=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
out=$builddir/_build/packaging
work=$out/work
version=$(cat "$srcdir/VERSION")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
jobs=${MK_PACKAGING_JOBS:-2}

# MK_PACKAGING_STEPS="contents dev ...": run only those steps, on what an
# earlier run left in _build/packaging (to work on one step).
only=${MK_PACKAGING_STEPS:-}
[ -n "$only" ] || rm -rf "$out"
mkdir -p "$work"
failed_steps=

# step NAME [PREREQ...]: runs step_NAME with its output in NAME.log.
step() {
    name=$1
    shift
    log=$out/$name.log
    if [ -n "$only" ]; then
        case " $only " in *" $name "*) set -- ;; *) return ;; esac
    fi
    for p in "$@"; do
        case " $failed_steps " in
            *" $p "*)
                echo "check-packaging: FAIL: $name (not run: $p failed)"
                echo "not run: step $p failed" > "$log"
                echo ":test-result: FAIL" > "$out/$name.trs"
                failed_steps="$failed_steps $name"
                return ;;
        esac
    done
    start=$(date +%s)
    ( set -eu; "step_$name" ) > "$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    case $rc in
        0) res=PASS ;;
        77) res=SKIP ;;
        *) res=FAIL; failed_steps="$failed_steps $name" ;;
    esac
    echo ":test-result: $res" > "$out/$name.trs"
    echo "check-packaging: $res: $name (${secs}s)"
    if [ $res != PASS ]; then sed 's/^/    /' "$log" | tail -n 40; fi
}

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

src=$work/memkind-$version
root=$work/root
libroot=$root/usr/lib/$multiarch

step_source() {
    want=$(dpkg-parsechangelog -l "$srcdir/debian/changelog" -S Version)
    [ "${want%-*}" = "$version" ] ||
        fail "debian/changelog is at $want, VERSION at $version: add a changelog entry (dch -v $version-1)"
    pinned=$(sed -n 's/^pinned=\([0-9a-f]\{64\}\)$/\1/p' "$srcdir/jemalloc/fetch-source.sh")
    [ -n "$pinned" ] || fail "no pinned SHA-256 in jemalloc/fetch-source.sh"
    jem=$builddir/jemalloc/build/jemalloc-5.3.0.tar.bz2
    [ -f "$jem" ] || fail "no $jem (run make first)"
    [ "$(sha256sum "$jem" | cut -d' ' -f1)" = "$pinned" ] || fail "$jem is not the pinned jemalloc 5.3.0"
    cd "$work"
    cp "$tarball" "memkind_$version.orig.tar.gz"
    mkdir -p comp/jemalloc-src
    cp "$jem" comp/jemalloc-src/
    tar -C comp --owner=0 --group=0 -czf "memkind_$version.orig-jemalloc-src.tar.gz" jemalloc-src
    tar -xzf "memkind_$version.orig.tar.gz"
    [ -d "memkind-$version" ] || fail "the dist tarball has no memkind-$version/"
    mkdir "memkind-$version/jemalloc-src"
    tar -C "memkind-$version" -xzf "memkind_$version.orig-jemalloc-src.tar.gz"
    cp -R "$srcdir/debian" "memkind-$version/"
    dpkg-source -b "memkind-$version"
    rm -rf "memkind-$version" comp
    # What a Debian user downloads is the .dsc: build from its unpacking.
    dpkg-source -x "memkind_$want.dsc" "memkind-$version"
    [ -f "$src/jemalloc-src/jemalloc-5.3.0.tar.bz2" ] || fail "the component did not unpack"
}

step_build() {
    cd "$src"
    # No network: unshare(1) gives the build a network namespace of its
    # own, with only loopback, where the kernel allows it.
    net=
    if command -v unshare > /dev/null && unshare -n true 2> /dev/null; then
        net="unshare -n"
        echo "building without network (unshare -n)"
    fi
    DEB_BUILD_OPTIONS="nocheck parallel=$jobs" DEB_BUILD_PROFILES=nocheck \
        $net dpkg-buildpackage -us -uc -b
    # The private jemalloc came from the component tarball.
    grep -q -- "--with-jemalloc-tarball=$src/jemalloc-src/jemalloc-5.3.0.tar.bz2" config.log ||
        fail "configure did not take jemalloc from jemalloc-src/"
    ls -l "$work"/*.deb
}

# The three packages (not the -dbgsym ones dh_strip adds).
debs() {
    for f in "$work"/*_"$version"-*_"$arch".deb; do
        case $f in *-dbgsym_*) ;; *) echo "$f" ;; esac
    done
}

step_lintian() {
    command -v lintian > /dev/null || fail "lintian is not installed (.ci/install-deps installs it)"
    cd "$work"
    # --fail-on error: warnings are listed in the log and the README, not fatal.
    lintian --fail-on error --tag-display-limit 0 --display-info \
        ./*.dsc ./*_"$arch".changes
}

# has PACKAGE PATH...: the package contains each PATH.
has() {
    pkg=$1
    shift
    deb=$(ls "$work/${pkg}_$version"-*_"$arch".deb)
    dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$work/$pkg.list"
    for f in "$@"; do
        grep -qx "$f" "$work/$pkg.list" || fail "$pkg lacks $f"
    done
}

# global_syms FILE [--dynamic]: sorted defined global symbol names.
global_syms() {
    nm "$@" --defined-only | awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ { print $3 }' | sort -u
}

step_contents() {
    L=/usr/lib/$multiarch
    has libmemkind0 "$L/libmemkind.so.0.0.1" "$L/libmemtier.so.0.0.0" "$L/libautohbw.so.0.0.0"
    has libmemkind-dev "$L/libmemkind.a" "$L/libmemtier.a" "$L/pkgconfig/memkind.pc" \
        "$L/pkgconfig/memtier.pc" "$L/cmake/memkind/memkind-config.cmake" \
        "$L/cmake/memkind/memkind-config-version.cmake" /usr/include/memkind.h \
        /usr/include/hbwmalloc.h /usr/include/memkind_memtier.h /usr/include/autohbw_api.h \
        /usr/share/man/man3/memkind.3.gz /usr/share/man/man7/autohbw.7.gz
    has libmemkind-progs /usr/bin/memkind-hbw-nodes /usr/bin/memkind-auto-dax-kmem-nodes \
        /usr/bin/memtier /usr/share/man/man1/memtier.1.gz
    rm -rf "$root"
    for d in $(debs); do dpkg -x "$d" "$root"; done
    for l in libmemkind libmemtier libautohbw; do
        so=$(readelf -d "$libroot/$l.so.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
        [ "$so" = "$l.so.0" ] || fail "$l.so.0 has SONAME '$so'"
        echo "$l.so.0: SONAME $so"
    done
    # The archives export exactly what the shared libraries do: no jemalloc
    # symbol (jemk_*, je_*, the private namespace) and no hidden helper.
    for l in libmemkind libmemtier; do
        global_syms -D "$libroot/$l.so.0" > "$work/$l.so.syms"
        global_syms "$libroot/$l.a" > "$work/$l.a.syms"
        if ! cmp -s "$work/$l.so.syms" "$work/$l.a.syms"; then
            diff "$work/$l.so.syms" "$work/$l.a.syms" | head -n 20
            fail "$l.a's global symbols differ from $l.so.0's exports"
        fi
        echo "$l.a: $(wc -l < "$work/$l.a.syms") global symbols, the same as $l.so.0 exports"
    done
    if grep -E '^(je_|jemk_|jemalloc)' "$work/libmemkind.a.syms"; then
        fail "libmemkind.a has global jemalloc symbols"
    fi
    # libmemtier keeps 1.14's je_* malloc aliases (its exports); nothing else.
    if grep -E '^(jemk_|jemalloc)' "$work/libmemtier.a.syms"; then
        fail "libmemtier.a has global jemalloc symbols"
    fi
    nm "$libroot/libmemkind.a" | grep -c ' [a-z] jemk_' |
        sed 's/^/libmemkind.a: jemk_ symbols made local: /'
}

# Debian's own memkind packages (for progs and upgrade), fetched once.
debian_debs() {
    d=$out/debian-debs
    if [ ! -f "$d/ok" ]; then
        rm -rf "$d"
        mkdir -p "$d"
        (cd "$d" && apt-get download libmemkind0 libmemkind-dev libmemkind-progs) \
            > "$d/download.log" 2>&1 || { cat "$d/download.log" >&2; return 1; }
        # Only Debian's own 1.14 packages count (not ours from a local repo).
        for f in "$d"/*.deb; do
            v=$(dpkg-deb -f "$f" Version)
            dpkg --compare-versions "$v" lt "$version" || { echo "$f is $v, not Debian's" >&2; return 1; }
        done
        touch "$d/ok"
    fi
    echo "$d"
}

step_progs() {
    export LD_LIBRARY_PATH="$libroot"
    for t in memkind-hbw-nodes memkind-auto-dax-kmem-nodes; do
        ldd "$root/usr/bin/$t" | grep -q "libmemkind.so.0 => $libroot/" ||
            fail "$t does not load $libroot/libmemkind.so.0"
        rc=0
        "$root/usr/bin/$t" > "$work/$t.ours" 2>&1 || rc=$?
        echo "$t (ours): exit $rc: $(cat "$work/$t.ours")"
        # 0: nodes listed; 1: no such node (memkind-hbw-nodes(1)); 3: no
        # KMEM DAX node (memkind-auto-dax-kmem-nodes(1)).  Anything else,
        # a crash in particular, is a failure.
        case $rc in 0|1|3) ;; *) fail "$t exited $rc" ;; esac
        echo "$rc" > "$work/$t.ours.rc"
    done
    # memtier hands the program libmemtier.so from the package's libdir.
    "$root/usr/bin/memtier" -h | grep -q memtier || fail "memtier -h"
    [ -f "$libroot/libmemtier.so.0" ] || fail "no libmemtier.so.0"
    grep -q "^libdir='/usr/lib/$multiarch'" "$root/usr/bin/memtier" ||
        fail "memtier does not name /usr/lib/$multiarch"
    d=$(debian_debs) || skip "Debian's libmemkind-progs could not be downloaded; our tools passed"
    deb=$work/debian-progs
    rm -rf "$deb"
    dpkg -x "$d"/libmemkind-progs_*.deb "$deb"
    for t in memkind-hbw-nodes memkind-auto-dax-kmem-nodes; do
        ldd "$deb/usr/bin/$t" | grep -q "libmemkind.so.0 => $libroot/" ||
            fail "Debian's $t does not load our libmemkind.so.0"
        rc=0
        "$deb/usr/bin/$t" > "$work/$t.debian" 2>&1 || rc=$?
        echo "$t (Debian's binary, our library): exit $rc: $(cat "$work/$t.debian")"
        [ "$rc" = "$(cat "$work/$t.ours.rc")" ] || fail "Debian's $t exits $rc, ours $(cat "$work/$t.ours.rc")"
        cmp "$work/$t.debian" "$work/$t.ours" || fail "Debian's $t prints other output than ours"
    done
}

# A program that uses memkind (and, with -DWITH_JEMALLOC, jemalloc's own
# API next to it, both allocators' blocks alive at once).
write_program() {
    cat > "$work/prog.c" <<'PROG'
#include <memkind.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif
int main(void)
{
    void *p[64];
    for (int i = 0; i < 64; i++) {
        p[i] = memkind_malloc(MEMKIND_DEFAULT, (size_t)(i + 1) * 1000);
        if (!p[i] || memkind_detect_kind(p[i]) != MEMKIND_DEFAULT)
            return 10;
        memset(p[i], i, (size_t)(i + 1) * 1000);
    }
    char *q = malloc(5000);
    if (!q)
        return 11;
    memset(q, 7, 5000);
#ifdef WITH_JEMALLOC
    const char *v = NULL;
    size_t len = sizeof(v);
    if (mallctl("version", &v, &len, NULL, 0) != 0 || strncmp(v, "5.", 2) != 0)
        return 12;
    void *x = mallocx(1 << 20, 0);
    if (!x || sallocx(x, 0) < (1 << 20))
        return 13;
    dallocx(x, 0);
    printf("jemalloc %s: ", v);
#endif
    for (int i = 0; i < 64; i++)
        memkind_free(NULL, p[i]);
    free(q);
    int major = 0, minor = 0;
    if (sscanf(MEMKIND_VERSION_STRING_DUMMY, "%d.%d", &major, &minor) != 2)
        return 14;
    printf("memkind %d.%d ok\n", major, minor);
    return 0;
}
PROG
}

pc() {
    PKG_CONFIG_PATH=$libroot/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root pkg-config "$@"
}

step_dev() {
    write_program
    cd "$work"
    ver=$(pc --modversion memkind)
    [ "$ver" = "$version" ] || fail "memkind.pc says $ver"
    sed -i "s/MEMKIND_VERSION_STRING_DUMMY/\"$ver\"/" prog.c
    pc --libs memtier | grep -q -- '-lmemtier.*-lmemkind' || fail "memtier.pc: $(pc --libs memtier)"
    # Shared, against the installed -dev.
    # shellcheck disable=SC2046
    cc -o prog-shared prog.c $(pc --cflags --libs memkind)
    LD_LIBRARY_PATH=$libroot ldd prog-shared | grep -q "libmemkind.so.0 => $libroot/" ||
        fail "prog-shared does not load the installed libmemkind.so.0"
    LD_LIBRARY_PATH=$libroot ./prog-shared
    # Static: the line pkg-config --static gives, alone.
    echo "pkg-config --static --libs memkind: $(pc --static --libs memkind)"
    # shellcheck disable=SC2046
    cc -static -o prog-static prog.c $(pc --cflags --static --libs memkind) 2> static.err ||
        { cat static.err; fail "static link failed"; }
    # glibc warns about dlopen in static programs; nothing else is expected.
    grep -v -e "dlopen" -e "getaddrinfo" -e "in function" static.err && fail "warnings above"
    readelf -d prog-static 2>&1 | grep -q NEEDED && fail "prog-static is not static"
    ./prog-static
    # Static, with Debian's static libjemalloc (malloc is jemalloc's).
    # shellcheck disable=SC2046
    cc -static -DWITH_JEMALLOC -o prog-static-je prog.c \
        $(pc --cflags --static --libs memkind) -ljemalloc -lm 2> static.err ||
        { cat static.err; fail "static link with -ljemalloc failed"; }
    ./prog-static-je
    # libmemkind.a with the shared libjemalloc.
    # shellcheck disable=SC2046
    cc -DWITH_JEMALLOC -o prog-mixed prog.c -I"$root/usr/include" "$libroot/libmemkind.a" \
        -ljemalloc -lpthread -ldl
    ldd prog-mixed | grep -q libjemalloc.so || fail "prog-mixed does not use libjemalloc.so"
    ldd prog-mixed | grep libmemkind && fail "prog-mixed loads a libmemkind.so"
    ./prog-mixed
}

step_cmake() {
    command -v cmake > /dev/null || fail "cmake is not installed (.ci/install-deps installs it)"
    p=$work/cmake-project
    rm -rf "$p"
    mkdir -p "$p"
    write_program
    sed "s/MEMKIND_VERSION_STRING_DUMMY/memkind_version_string/" "$work/prog.c" > "$p/prog.c"
    cat > "$p/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.13)
project(mk_consumer C)
find_package(memkind 1.14 CONFIG REQUIRED)
foreach(t memkind::memkind memkind::memtier memkind::autohbw memkind::memkind_static)
  if(NOT TARGET ${t})
    message(FATAL_ERROR "find_package(memkind) did not define ${t}")
  endif()
endforeach()
add_compile_definitions(memkind_version_string="${memkind_VERSION}")
add_executable(prog-cmake prog.c)
target_link_libraries(prog-cmake PRIVATE memkind::memkind)
add_executable(prog-cmake-static prog.c)
target_link_libraries(prog-cmake-static PRIVATE memkind::memkind_static)
add_executable(autohbw-cmake autohbw.c)
target_link_libraries(autohbw-cmake PRIVATE memkind::autohbw)
CM
    cat > "$p/autohbw.c" <<'AH'
#include <autohbw_api.h>
#include <stdio.h>
int main(void)
{
    disableAutoHBW();
    enableAutoHBW();
    puts("autohbw ok");
    return 0;
}
AH
    cmake -S "$p" -B "$p/build" -DCMAKE_PREFIX_PATH="$root/usr"
    cmake --build "$p/build" -j "$jobs"
    export LD_LIBRARY_PATH="$libroot"
    ldd "$p/build/prog-cmake" | grep -q "libmemkind.so.0 => $libroot/" || fail "prog-cmake"
    ldd "$p/build/prog-cmake-static" | grep libmemkind && fail "prog-cmake-static loads libmemkind.so"
    ldd "$p/build/autohbw-cmake" | grep -q "libautohbw.so.0 => $libroot/" || fail "autohbw-cmake"
    "$p/build/prog-cmake"
    "$p/build/prog-cmake-static"
    "$p/build/autohbw-cmake"
    # The version file refuses a major version this is not.
    mkdir -p "$p/v2"
    printf '%s\n' 'cmake_minimum_required(VERSION 3.13)' 'project(v2 C)' \
        'find_package(memkind 2.0 CONFIG REQUIRED)' > "$p/v2/CMakeLists.txt"
    if cmake -S "$p/v2" -B "$p/v2/build" -DCMAKE_PREFIX_PATH="$root/usr" > "$p/v2.log" 2>&1; then
        cat "$p/v2.log"
        fail "find_package(memkind 2.0) accepted $version"
    fi
    grep -q "memkind-config.cmake, version: $version" "$p/v2.log" || { cat "$p/v2.log"; fail "find_package(memkind 2.0)"; }
    echo "find_package(memkind 2.0) is refused, as it must be"
}

# dpkg against the throw-away root $1.  These packages have no maintainer
# scripts (which dpkg would run chrooted), only an ldconfig trigger that no
# package in the root is interested in.
rdpkg() {
    r=$1
    shift
    dpkg --root="$r" --log="$r/dpkg.log" "$@"
}

# make_root ROOT DEB...: an empty dpkg database in which the packages that
# DEBs depend on (other than memkind's own) are recorded as installed, with
# this machine's stanzas, so that dpkg checks every dependency for real
# (libmemkind-dev's on libmemkind0 (= version) in particular) although
# their files are not in the root (the programs run on the host's).
make_root() {
    r=$1
    shift
    rm -rf "$r"
    mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
    : > "$r/var/lib/dpkg/available"
    deps=$(for d in "$@"; do dpkg-deb -f "$d" Depends Pre-Depends; done |
        sed 's/^[A-Za-z-]*: //' | tr ',|' '\n' | sed 's/(.*//; s/:any//; s/ //g' |
        grep -v '^libmemkind' | grep . | sort -u)
    for p in $deps; do
        # Multi-Arch: same packages may be installed for several
        # architectures (cross toolchains): ask for this one's first.
        dpkg-query -s "$p:$arch" > "$r/stanza" 2> /dev/null ||
            dpkg-query -s "$p" > "$r/stanza" 2> /dev/null ||
            fail "$p (a dependency) is not installed on this machine"
        awk '/^Conffiles:/ { c = 1; next } c && /^ / { next } { c = 0; print }' "$r/stanza"
        # Their file lists, empty: none of their files is in the root.
        for n in "$p" "$p:$arch"; do
            : > "$r/var/lib/dpkg/info/$n.list"
            : > "$r/var/lib/dpkg/info/$n.md5sums"
        done
        echo
    done > "$r/var/lib/dpkg/status"
    rm -f "$r/stanza"
    # shellcheck disable=SC2086
    echo "the root's dpkg knows the host's: $(printf '%s ' $deps)"
}
# works ROOT WHAT: the root's libmemkind runs the program built against it.
works() {
    LD_LIBRARY_PATH=$1/usr/lib/$multiarch ldd "$work/prog-shared" |
        grep -q "libmemkind.so.0 => $1/usr/lib/$multiarch/" || fail "$2: libmemkind.so.0 not from the root"
    LD_LIBRARY_PATH=$1/usr/lib/$multiarch "$work/prog-shared" || fail "$2: the program fails"
    LD_LIBRARY_PATH=$1/usr/lib/$multiarch "$1/usr/bin/memkind-hbw-nodes" > /dev/null 2>&1 ||
        [ $? = 1 ] || fail "$2: memkind-hbw-nodes fails"
    a=$(rdpkg "$1" --audit) || fail "$2: dpkg --audit"
    [ -z "$a" ] || { echo "$a"; fail "$2: dpkg --audit reports the above"; }
    echo "$2: works; $(rdpkg "$1" -l 'libmemkind*' | awk '/^ii/ { printf "%s %s  ", $2, $3 }')"
}

step_upgrade() {
    [ -x "$work/prog-shared" ] || fail "no prog-shared (the dev step did not run)"
    d=$(debian_debs) || skip "Debian's memkind packages could not be downloaded"
    r=$work/upgrade-root
    # shellcheck disable=SC2046
    make_root "$r" "$d"/*.deb $(debs)
    rdpkg "$r" -i "$d"/*.deb
    works "$r" "Debian's 1.14.0"
    [ ! -e "$r/usr/lib/$multiarch/libautohbw.so.0" ] || fail "Debian's has libautohbw?"
    # dpkg checks dependencies here: our -dev alone must be refused
    # (it needs our libmemkind0); it stays unpacked until the upgrade.
    if rdpkg "$r" -i "$(debs | grep /libmemkind-dev_)"; then
        fail "dpkg configured our libmemkind-dev over Debian's libmemkind0"
    fi
    echo "our libmemkind-dev alone over Debian's libmemkind0: refused, as it must be"
    # Upgrade: no --force-overwrite, so a file changing package would fail.
    # shellcheck disable=SC2046
    rdpkg "$r" -i $(debs)
    works "$r" "upgraded to ours"
    rdpkg "$r" -s libmemkind0 | grep -q "^Version: $version-" || fail "libmemkind0 not upgraded"
    [ -f "$r/usr/lib/$multiarch/libautohbw.so.0" ] || fail "libautohbw.so.0 missing after upgrade"
    [ -f "$r/usr/lib/$multiarch/cmake/memkind/memkind-config.cmake" ] || fail "cmake config missing"
    # Downgrade back: our extra files go, Debian's files are back.
    rdpkg "$r" -i "$d"/*.deb
    works "$r" "downgraded to Debian's"
    rdpkg "$r" -s libmemkind0 | grep -q "^Version: 1.14.0-" || fail "libmemkind0 not downgraded"
    for f in libautohbw.so.0 libautohbw.so cmake/memkind/memkind-config.cmake pkgconfig/memtier.pc; do
        [ ! -e "$r/usr/lib/$multiarch/$f" ] || fail "$f left behind by the downgrade"
    done
    rdpkg "$r" -L libmemkind0 | grep -q libmemtier.so.0 || fail "dpkg -L libmemkind0"
}

step source
step build source
step lintian build
step contents build
step progs contents
step dev contents
step cmake contents
step upgrade dev
[ -z "$failed_steps" ]
