#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# fetch-source.sh OUTDIR [TARBALL]
#
# Puts a verified jemalloc 5.3.0 source tarball at OUTDIR/jemalloc-5.3.0.tar.bz2.
# With TARBALL, that file is used (offline builds).  Otherwise Debian's own
# source package is downloaded with `apt-get source --download-only` through a
# private deb-src list derived from the machine's deb sources, so the
# machine's apt configuration and package lists are never changed.
# The tarball is checked against the .dsc checksum and a pinned SHA-256.
set -eu

out=$1
tarball=${2:-}
# SHA-256 of jemalloc_5.3.0.orig.tar.bz2 as Debian bookworm ships it.
pinned=2db82d1e7119df3e71b7640219b6dfe84789bc0537983c3b7ac4f7189aecfeaa
dest=$out/jemalloc-5.3.0.tar.bz2

fail() { echo "jemalloc/fetch-source.sh: $*" >&2; exit 1; }

mkdir -p "$out"
if [ -n "$tarball" ]; then
    [ -r "$tarball" ] || fail "cannot read $tarball"
    cp "$tarball" "$dest.tmp"
else
    command -v apt-get >/dev/null || fail "apt-get not found; configure --with-jemalloc-tarball=PATH"
    apt=$out/apt
    rm -rf "$apt"
    mkdir -p "$apt/lists/partial" "$apt/parts" "$apt/cache/archives/partial" "$apt/dl"
    : > "$apt/sources.list"
    found=0
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        sed 's/^Types:.*/Types: deb-src/' "$f" > "$apt/parts/$(basename "$f")"
        found=1
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        grep -E '^[[:space:]]*deb[[:space:]]' "$f" |
            sed 's/^[[:space:]]*deb[[:space:]]/deb-src /' >> "$apt/sources.list" || true
        [ -s "$apt/sources.list" ] && found=1
    done
    [ $found = 1 ] || fail "no apt sources found under /etc/apt to derive a deb-src list from"
    opts="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=$apt/parts
          -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache
          -o APT::Sandbox::User=root -o Debug::NoLocking=1"
    # shellcheck disable=SC2086
    apt-get -q $opts update > "$apt/update.log" 2>&1 ||
        { cat "$apt/update.log" >&2; fail "apt-get update of the private deb-src list failed"; }
    # shellcheck disable=SC2086
    (cd "$apt/dl" && apt-get -q $opts source --download-only 'jemalloc=5.3.0-*') \
        > "$apt/source.log" 2>&1 ||
        (cd "$apt/dl" && apt-get -q $opts source --download-only jemalloc) \
        >> "$apt/source.log" 2>&1 ||
        { cat "$apt/source.log" >&2; fail "apt-get source jemalloc failed"; }
    orig=$(ls "$apt"/dl/jemalloc_5.3.0.orig.tar.* 2>/dev/null | head -n 1)
    dsc=$(ls "$apt"/dl/jemalloc_5.3.0-*.dsc 2>/dev/null | head -n 1)
    [ -n "$orig" ] && [ -n "$dsc" ] || fail "Debian's jemalloc source package is not version 5.3.0"
    want=$(awk '/^Checksums-Sha256:/{s=1;next} /^[^ ]/{s=0} s && $3 ~ /orig\.tar/ {print $1}' "$dsc")
    have=$(sha256sum "$orig" | cut -d' ' -f1)
    [ "$want" = "$have" ] || fail "checksum of $(basename "$orig") does not match its .dsc"
    cp "$orig" "$dest.tmp"
    rm -rf "$apt"
fi
have=$(sha256sum "$dest.tmp" | cut -d' ' -f1)
if [ "$have" != "$pinned" ]; then
    rm -f "$dest.tmp"
    fail "jemalloc tarball SHA-256 $have is not the pinned 5.3.0 one ($pinned)"
fi
mv "$dest.tmp" "$dest"
