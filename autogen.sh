#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Generates ./configure. VERSION is taken from `git describe` when the file is
# absent (a release tarball carries its own VERSION).
set -e
cd "$(dirname "$0")"
if [ ! -f VERSION ]; then
    v=$(git describe --tags --match 'v*' 2>/dev/null | sed 's/^v//; s/-/./; s/-.*//')
    echo "${v:-0.0.0}" > VERSION
fi
mkdir -p m4 build-aux
autoreconf -fi
