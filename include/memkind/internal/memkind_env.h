// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_env.h - the MEMKIND_* environment variables that configure the
 * library core, read once (secure_getenv) at library initialisation.
 * MEMKIND_DEBUG belongs to the logger; node lists belong to their families.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Parsed environment.  A value that does not parse sets *_bad.
struct mk_env {
    unsigned arena_cap;       ///< MEMKIND_ARENA_NUM_PER_KIND, 0 = unset
    bool arena_cap_bad;       ///< value present but invalid
    bool hog_memory;          ///< MEMKIND_HOG_MEMORY=1
    long bg_thread_limit;     ///< MEMKIND_BACKGROUND_THREAD_LIMIT, -1 = unset
    bool bg_thread_limit_bad; ///< value present but invalid
    bool heap_manager_bad;    ///< MEMKIND_HEAP_MANAGER other than JEMALLOC
};

/// Parses the variables from get (secure_getenv in the library; tests pass
/// their own).  Pure: no side effects beyond *out.
void mk_env_parse(struct mk_env *out, const char *(*get)(const char *name));

/// The library's parsed environment (valid after mk_library_init()).
const struct mk_env *mk_env_get(void);

/// Parses a decimal integer in [min, max] with nothing after it.
/// Returns true and stores it in *out on success.
bool mk_env_parse_long(const char *s, long min, long max, long *out);

#ifdef __cplusplus
}
#endif
