// SPDX-License-Identifier: BSD-2-Clause
/*
 * autohbw_env.c - parses the AUTO_HBW_* variables of libautohbw.so
 * (autohbw(7)).  Pure functions: no allocation, no output; the preload
 * library reports what went wrong.
 */
#include "config.h"

#include "autohbw_env.h"

#include <memkind/internal/memkind_env.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[AUTOHBW_KIND_COUNT] = {
    [AUTOHBW_KIND_DEFAULT] = "MEMKIND_DEFAULT",
    [AUTOHBW_KIND_HUGETLB] = "MEMKIND_HUGETLB",
    [AUTOHBW_KIND_INTERLEAVE] = "MEMKIND_INTERLEAVE",
    [AUTOHBW_KIND_HBW] = "MEMKIND_HBW",
    [AUTOHBW_KIND_HBW_PREFERRED] = "MEMKIND_HBW_PREFERRED",
    [AUTOHBW_KIND_HBW_HUGETLB] = "MEMKIND_HBW_HUGETLB",
    [AUTOHBW_KIND_HBW_PREFERRED_HUGETLB] = "MEMKIND_HBW_PREFERRED_HUGETLB",
    [AUTOHBW_KIND_HBW_GBTLB] = "MEMKIND_HBW_GBTLB",
    [AUTOHBW_KIND_HBW_PREFERRED_GBTLB] = "MEMKIND_HBW_PREFERRED_GBTLB",
    [AUTOHBW_KIND_GBTLB] = "MEMKIND_GBTLB",
    [AUTOHBW_KIND_HBW_INTERLEAVE] = "MEMKIND_HBW_INTERLEAVE",
};

/* Decimal bytes with an optional K/M/G (any case).  Returns false for
 * anything else or on overflow. */
bool autohbw_parse_size(const char *s, size_t *out)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    unsigned shift = 0;
    switch (*end) {
        case '\0':
            break;
        case 'K':
        case 'k':
            shift = 10;
            end++;
            break;
        case 'M':
        case 'm':
            shift = 20;
            end++;
            break;
        case 'G':
        case 'g':
            shift = 30;
            end++;
            break;
        default:
            return false;
    }
    if (*end != '\0' || v > (unsigned long long)(SIZE_MAX >> shift))
        return false;
    *out = (size_t)v << shift;
    return true;
}

/* "x", "x:" or "x:y" with x < y; no y means no upper limit.
 * Returns false when malformed (min, max untouched). */
bool autohbw_parse_range(const char *s, size_t *min, size_t *max)
{
    char first[32];
    const char *colon = s ? strchr(s, ':') : NULL;
    size_t lo, hi = SIZE_MAX;
    if (!s)
        return false;
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    if (n == 0 || n >= sizeof(first))
        return false;
    memcpy(first, s, n);
    first[n] = '\0';
    if (!autohbw_parse_size(first, &lo))
        return false;
    if (colon && colon[1] != '\0' &&
        (!autohbw_parse_size(colon + 1, &hi) || hi <= lo))
        return false;
    *min = lo;
    *max = hi;
    return true;
}

/* Returns true with a decimal integer in [lo, hi] in *out: the library's
 * own environment parser (no blank, no '+', nothing after the digits). */
bool autohbw_parse_level(const char *s, int lo, int hi, int *out)
{
    long v;
    if (!mk_env_parse_long(s, lo, hi, &v))
        return false;
    *out = (int)v;
    return true;
}

/* Returns the id of an autohbw(7) kind name, or AUTOHBW_KIND_COUNT. */
enum autohbw_kind_id autohbw_kind_from_name(const char *name)
{
    for (int i = 0; name && i < AUTOHBW_KIND_COUNT; i++)
        if (strcmp(name, kind_names[i]) == 0)
            return (enum autohbw_kind_id)i;
    return AUTOHBW_KIND_COUNT;
}

/* Returns the MEMKIND_* name of id ("(default)" for COUNT). */
const char *autohbw_kind_name(enum autohbw_kind_id id)
{
    return (unsigned)id < AUTOHBW_KIND_COUNT ? kind_names[id] : "(default)";
}

/* Returns true when size goes to the kind. */
bool autohbw_in_range(const struct autohbw_config *c, size_t size)
{
    /* autohbw(7): "larger than x and smaller than y". */
    return size > c->min_size && size < c->max_size;
}

/* All AUTO_HBW_* variables through get; malformed ones keep their
 * defaults and set their bad_* flag. */
void autohbw_config_parse(struct autohbw_config *cfg,
                          const char *(*get)(const char *name))
{
    const char *v;
    *cfg = (struct autohbw_config){.min_size = AUTOHBW_DEFAULT_MIN,
                                   .max_size = SIZE_MAX,
                                   .log_level = 1,
                                   .debug_level = 0,
                                   .kind = AUTOHBW_KIND_COUNT};
    if ((v = get("AUTO_HBW_SIZE")))
        cfg->bad_size = !autohbw_parse_range(v, &cfg->min_size, &cfg->max_size);
    if ((v = get("AUTO_HBW_LOG")))
        cfg->bad_log = !autohbw_parse_level(v, -1, 2, &cfg->log_level);
    if ((v = get("AUTO_HBW_DEBUG")))
        cfg->bad_debug = !autohbw_parse_level(v, 0, 2, &cfg->debug_level);
    if ((v = get("AUTO_HBW_MEM_TYPE"))) {
        cfg->kind = autohbw_kind_from_name(v);
        cfg->bad_kind = cfg->kind == AUTOHBW_KIND_COUNT;
    }
}
