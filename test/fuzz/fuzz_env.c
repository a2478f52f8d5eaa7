// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_env.c - libFuzzer target for the core environment parser
 * (src/env.c mk_env_parse, memkind(3) ENVIRONMENT).  The input is up to four
 * '\n'-separated values for MEMKIND_ARENA_NUM_PER_KIND, MEMKIND_HOG_MEMORY,
 * MEMKIND_BACKGROUND_THREAD_LIMIT and MEMKIND_HEAP_MANAGER.  Checks the
 * parser's invariants: a value is either accepted in range or flagged bad.
 */
#include "config.h"

#include <memkind/internal/memkind_env.h>

#include "fuzz_util.h"

#include <limits.h>
#include <stdio.h>

static struct fuzz_fields cur;

static const char *get(const char *name)
{
    static const char *const names[] = {
        "MEMKIND_ARENA_NUM_PER_KIND", "MEMKIND_HOG_MEMORY",
        "MEMKIND_BACKGROUND_THREAD_LIMIT", "MEMKIND_HEAP_MANAGER"};
    return fuzz_fields_get(&cur, names, 4, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mk_env e;
    fuzz_fields_split(&cur, data, size);
    mk_env_parse(&e, get);
    if (e.arena_cap_bad && e.arena_cap != 0)
        abort(); /* a rejected value must leave the default */
    if (!e.arena_cap_bad && cur.n > 0 &&
        (e.arena_cap < 1 || e.arena_cap > INT_MAX))
        abort();
    if (!e.bg_thread_limit_bad && cur.n > 2 &&
        (e.bg_thread_limit < 0 || e.bg_thread_limit > INT_MAX))
        abort();
    long v;
    if (cur.n > 0 && mk_env_parse_long(cur.field[0], -5, 5, &v) &&
        (v < -5 || v > 5))
        abort();
    fuzz_fields_free(&cur);
    return 0;
}
