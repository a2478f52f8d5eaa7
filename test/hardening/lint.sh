#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# lint.sh SRCDIR: the grep rules of CONVENTIONS.md 11 (`make lint`).
#   1. `->ops->` appears only in include/memkind/internal/memkind_dispatch.h
#      (every other file dispatches through its kind_op_*() wrappers);
#   2. no libc malloc/calloc/realloc/free/strdup/strndup in src/ (internal
#      metadata comes from the private jemalloc): the malloc replacements of
#      the LD_PRELOAD libraries, which define those names, are exempt;
#   3. no fprintf/printf/puts/perror in src/ (the logger writes with one
#      write(2), src/log.c);
#   4. no getenv( in src/: secure_getenv only;
#   5. no variable-length arrays or alloca in src/ (unbounded stack buffers;
#      -Wvla catches VLAs, this catches alloca too);
#   6. no bare pthread mutex, rwlock or condition lock/wait/signal call in
#      src/ outside src/lock.c: the library's locks go through the ranked,
#      checked wrappers of memkind_lock.h, and a library that cannot reach
#      them (libautohbw) checks each call itself, never `(void)`;
#   7. -Wl,--exclude-libs in the build fragments names the private jemalloc
#      archive that is linked, $(JEMK_LIB_NAME) (it once named
#      libjemalloc_pic.a, which is never linked, so it excluded nothing).
# src/tools and src/demo are programs, not the library: exempt.  Comments
# and string literals are ignored.  Prints each violation as FILE:LINE:
# text and exits 1 when there is one.
set -u
top=${1:-.}
cd "$top" || exit 2

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    files=$(git ls-files -co --exclude-standard src include | grep -E '\.(c|h)$')
else
    files=$(find src include -name '*.[ch]')
fi
lib=$(printf '%s\n' $files | grep -E '^src/' | grep -vE '^src/(tools|demo)/')

# Strips /* */ and // comments and "..." literals, keeping line numbers.
strip()
{
    awk '
        {
            line = $0; out = ""
            while (length(line) > 0) {
                if (incomment) {
                    e = index(line, "*/")
                    if (e == 0) { line = ""; break }
                    line = substr(line, e + 2); incomment = 0; continue
                }
                c = substr(line, 1, 1); two = substr(line, 1, 2)
                if (two == "/*") { incomment = 1; line = substr(line, 3); continue }
                if (two == "//") break
                if (c == "\"") {
                    # skip the literal, honouring backslash escapes
                    i = 2
                    while (i <= length(line)) {
                        d = substr(line, i, 1)
                        if (d == "\\") { i += 2; continue }
                        if (d == "\"") break
                        i++
                    }
                    out = out "\"\""; line = substr(line, i + 1); continue
                }
                out = out c; line = substr(line, 2)
            }
            print FILENAME ":" FNR ": " out
        }' "$@"
}

tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT
trap 'exit 2' HUP INT TERM
fail=0
report()
{
    # $1 rule text; stdin: matching lines
    while IFS= read -r l; do
        echo "lint: $l    <- $1"
        fail=1
    done
}

# 1
strip $files | grep -v '^include/memkind/internal/memkind_dispatch.h:' |
    grep -- '->ops->' > "$tmp"
report "kind->ops-> outside memkind_dispatch.h (use a kind_op_*() wrapper)" < "$tmp"

# 2
interposers=$(printf '%s\n' $lib | grep -E '^src/(memtier_preload/interpose|autohbw/autohbw)\.c$')
strip $(printf '%s\n' $lib | grep -vxF "$(printf '%s\n' $interposers)") |
    grep -E ':.*(^|[^_a-zA-Z0-9.>])(malloc|calloc|realloc|free|strdup|strndup)[[:space:]]*\(' > "$tmp"
report "libc allocation in the library (use mk_meta_* / jemk_*)" < "$tmp"

# 3
strip $lib | grep -E ':.*(^|[^_a-zA-Z0-9.>])(fprintf|printf|puts|perror|vfprintf)[[:space:]]*\(' > "$tmp"
report "stdio output in the library (use mk_log_*)" < "$tmp"

# 4
strip $lib | grep -E ':.*(^|[^_a-zA-Z0-9.>])getenv[[:space:]]*\(' > "$tmp"
report "getenv (use secure_getenv)" < "$tmp"

# 5
strip $lib | grep -E ':.*(^|[^_a-zA-Z0-9.>])(alloca|__builtin_alloca)[[:space:]]*\(' > "$tmp"
report "alloca (unbounded stack buffer)" < "$tmp"

# 6
strip $(printf '%s\n' $lib | grep -vx 'src/lock.c') |
    grep -E ':.*(\(void\)[[:space:]]*pthread_(mutex|rwlock|cond)_|(^|[^_a-zA-Z0-9])pthread_(mutex_(lock|unlock|trylock)|rwlock_(rdlock|wrlock|unlock)|cond_(wait|timedwait|signal|broadcast))[[:space:]]*\()' |
    grep -vE 'mk_lock_(fail|check)|blocks_call' > "$tmp"
report "bare or unchecked pthread lock call (use memkind_lock.h's wrappers)" < "$tmp"

# 7
mkfiles=$(find src jemalloc test -name '*.mk' 2>/dev/null; echo Makefile.am)
grep -n -- '--exclude-libs' $mkfiles | grep -v -- '--exclude-libs,$(JEMK_LIB_NAME)' |
    grep -v ':[[:space:]]*#' > "$tmp"
report "--exclude-libs must name \$(JEMK_LIB_NAME), the archive that is linked" < "$tmp"

rm -f "$tmp"
n=$(printf '%s\n' $files | wc -l)
if [ $fail = 0 ]; then
    echo "lint: $n files of src/ and include/ follow the rules of CONVENTIONS.md 11"
fi
exit $fail
