// SPDX-License-Identifier: BSD-2-Clause
/*
 * env.c - one table of the core MEMKIND_* variables (memkind(3)
 * ENVIRONMENT), parsed once.  Parsing is a pure function of a getter so
 * that unit tests can feed it values without touching the environment.
 */
#include "config.h"

#include <memkind/internal/memkind_env.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void mk_env_parse(struct mk_env *out, const char *(*get)(const char *name))
{
    const char *v;
    long n;
    memset(out, 0, sizeof(*out));
    out->bg_thread_limit = -1;
    out->large_cache = -1;
    out->pressure_pct = -1;
    v = get("MEMKIND_ARENA_NUM_PER_KIND");
    if (v) {
        if (mk_env_parse_long(v, 1, INT_MAX, &n))
            out->arena_cap = (unsigned)n;
        else
            out->arena_cap_bad = true;
    }
    v = get("MEMKIND_HOG_MEMORY");
    out->hog_memory = v && strcmp(v, "1") == 0;
    v = get("MEMKIND_BACKGROUND_THREAD_LIMIT");
    if (v) {
        if (mk_env_parse_long(v, 0, INT_MAX, &n))
            out->bg_thread_limit = n;
        else
            out->bg_thread_limit_bad = true;
    }
    v = get("MEMKIND_HEAP_MANAGER");
    out->heap_manager_bad = v && strcmp(v, "JEMALLOC") != 0;
    v = get("MEMKIND_PMEM_FORK");
    if (v) {
        if (strcmp(v, "copy") == 0)
            out->pmem_fork = MK_PMEM_FORK_COPY;
        else if (strcmp(v, "none") == 0)
            out->pmem_fork = MK_PMEM_FORK_NONE;
        else if (strcmp(v, "shared") == 0)
            out->pmem_fork = MK_PMEM_FORK_SHARED;
        else
            out->pmem_fork_bad = true; /* the default stays */
    }
    v = get("MEMKIND_LARGE_CACHE_BYTES");
    if (v) {
        if (mk_env_parse_long(v, 0, 1L << 30, &n))
            out->large_cache = n;
        else
            out->large_cache_bad = true;
    }
    v = get("MEMKIND_PRESSURE_PERCENT");
    if (v) {
        if (mk_env_parse_long(v, 0, 100, &n))
            out->pressure_pct = n;
        else
            out->pressure_pct_bad = true;
    }
}

static struct mk_env env;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static const char *real_get(const char *name)
{
    return secure_getenv(name);
}

static void env_read(void)
{
    mk_env_parse(&env, real_get);
}

const struct mk_env *mk_env_get(void)
{
    (void)pthread_once(&env_once, env_read);
    return &env;
}
