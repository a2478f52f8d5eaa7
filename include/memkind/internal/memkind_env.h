// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_env.h - the MEMKIND_* environment variables that configure the
 * library core, read once (secure_getenv) at library initialisation.
 * MEMKIND_DEBUG belongs to the logger; node lists belong to their families.
 */
#pragma once

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What a forked child gets of each PMEM kind (MEMKIND_PMEM_FORK).
enum mk_pmem_fork_mode
{
    MK_PMEM_FORK_COPY = 0, ///< "copy" (default): a private copy of the heap
    MK_PMEM_FORK_NONE,     ///< "none": nothing (for fork + exec)
    MK_PMEM_FORK_SHARED,   ///< "shared": memkind 1.14's shared file
};

/// Parsed environment.  A value that does not parse sets *_bad.
struct mk_env {
    unsigned arena_cap;       ///< MEMKIND_ARENA_NUM_PER_KIND, 0 = unset
    bool arena_cap_bad;       ///< value present but invalid
    bool hog_memory;          ///< MEMKIND_HOG_MEMORY=1
    long bg_thread_limit;     ///< MEMKIND_BACKGROUND_THREAD_LIMIT, -1 = unset
    bool bg_thread_limit_bad; ///< value present but invalid
    bool heap_manager_bad;    ///< MEMKIND_HEAP_MANAGER other than JEMALLOC
    enum mk_pmem_fork_mode pmem_fork; ///< MEMKIND_PMEM_FORK, default copy
    bool pmem_fork_bad;               ///< value present but not a mode
    long large_cache;      ///< MEMKIND_LARGE_CACHE_BYTES, -1 = unset (4 MiB)
    bool large_cache_bad;  ///< value present but invalid
    long pressure_pct;     ///< MEMKIND_PRESSURE_PERCENT, -1 = unset (5)
    bool pressure_pct_bad; ///< value present but invalid
};

/// Parses the variables from get (secure_getenv in the library; tests pass
/// their own).  Pure: no side effects beyond *out.
void mk_env_parse(struct mk_env *out, const char *(*get)(const char *name));

/// The library's parsed environment (valid after mk_library_init()).
const struct mk_env *mk_env_get(void);

/*
 * The one integer parser of environment values (MEMKIND_*, AUTO_HBW_*,
 * MEMKIND_HBW_THRESHOLD after its 1.14 prefix): a decimal integer in
 * [min, max] and nothing else - no blank or '+' in front, nothing behind.
 * Pure and allocation-free, so libautohbw.so and the parsers' unit tests
 * use it too (static inline: they do not link the library's internals).
 * Returns true and stores the value in *out; false leaves *out alone.
 */
static inline bool mk_env_parse_long(const char *s, long min, long max,
                                     long *out)
{
    char *end;
    if (!s || !*s || isspace((unsigned char)*s) || *s == '+')
        return false;
    int oerrno = errno;
    errno = 0;
    long v = strtol(s, &end, 10);
    bool ok = errno == 0 && *end == '\0' && v >= min && v <= max;
    errno = oerrno;
    if (ok)
        *out = v;
    return ok;
}

#ifdef __cplusplus
}
#endif
