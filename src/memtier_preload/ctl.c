// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl.c - parser of libmemtier's environment (see ctl.h and libmemtier(7)).
 *
 * Grammar, as memkind 1.14 reads it (only the sloppy parts are tightened):
 *
 *   MEMKIND_MEM_TIERS      = tier *( ";" tier ) ";" "POLICY:" policy
 *   tier                   = param *( "," param )
 *   param                  = NAME ":" VALUE        (empty params are skipped)
 *   MEMKIND_MEM_THRESHOLDS = thres *( ";" thres )  (an empty thres keeps the
 *                                                   defaults of its slot)
 *   thres                  = tparam *( "," tparam )
 *
 * Tier names are KIND, PATH, PMEM_SIZE_LIMIT and RATIO, threshold names
 * INIT_VAL, MIN_VAL and MAX_VAL, each at most once per item.  Numbers are
 * plain decimal; sizes take an optional K, M or G suffix.
 *
 * The input is never modified or copied: fields are (pointer, length)
 * spans of the caller's strings.  Nothing here allocates.
 */
#include "config.h"

#include "ctl.h"

#include <memkind.h>

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* How much of an offending item an error message quotes. */
#define CTL_QUOTE 60

/* DYNAMIC_THRESHOLD defaults, libmemtier(7) POLICIES: threshold i starts at
 * 1024 * (i + 1) and may move between that value - 511 and + 512. */
#define CTL_THRES_STEP  1024u
#define CTL_THRES_BELOW 511u
#define CTL_THRES_ABOVE 512u

/* A piece of an input string; not terminated. */
struct span {
    const char *p; ///< first byte; NULL once a split is exhausted
    size_t n;      ///< length
};

/* Where the error text of one parse goes. */
struct ctl_err {
    char *buf;  ///< caller's buffer, or NULL
    size_t len; ///< its size
};

enum num_result
{
    NUM_OK,
    NUM_SYNTAX, ///< empty, or not only digits (and a size suffix)
    NUM_RANGE,  ///< above the allowed maximum
};

/* Printf arguments quoting span s, shortened with "..." when long; goes
 * with the format "%.*s%s". */
#define SPAN_ARGS(s)                                                           \
    (int)((s).n > CTL_QUOTE ? CTL_QUOTE : (s).n), (s).p,                       \
        ((s).n > CTL_QUOTE ? "..." : "")

__attribute__((format(printf, 2, 3))) static int fail(struct ctl_err *e,
                                                      const char *fmt, ...)
{
    if (e->buf && e->len) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(e->buf, e->len, fmt, ap); /* truncation is fine */
        va_end(ap);
        /* Quoted input may hold control characters (a newline in a
         * variable): the message stays one printable line. */
        for (char *c = e->buf; *c; ++c)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
    }
    return MEMKIND_ERROR_ENVIRON;
}

static bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool span_starts(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n >= n && memcmp(s.p, lit, n) == 0;
}

/*
 * Cuts the next field, up to sep, off the front of *rest.  A separator at
 * the end leaves one empty field to come.  Returns false once *rest is
 * exhausted.
 */
static bool next_field(struct span *rest, char sep, struct span *field)
{
    if (!rest->p)
        return false;
    const char *q = rest->n ? memchr(rest->p, sep, rest->n) : NULL;
    if (q) {
        *field = (struct span){.p = rest->p, .n = (size_t)(q - rest->p)};
        rest->n -= field->n + 1;
        rest->p = q + 1;
    } else {
        *field = *rest;
        *rest = (struct span){.p = NULL, .n = 0};
    }
    return true;
}

/* Splits "NAME:VALUE" at its first colon (values may hold more colons,
 * e.g. a PATH).  Returns false when there is no colon. */
static bool split_param(struct span param, struct span *name,
                        struct span *value)
{
    const char *c = memchr(param.p, ':', param.n);
    if (!c)
        return false;
    *name = (struct span){.p = param.p, .n = (size_t)(c - param.p)};
    *value = (struct span){.p = c + 1, .n = param.n - name->n - 1};
    return true;
}

/* Decimal digits only, at most max.  COMPAT(1.14): 1.14 used strtoul and
 * took "+1", " 1" and "1x" for 1; we refuse them. */
static enum num_result parse_uint(struct span s, uintmax_t max, uintmax_t *out)
{
    uintmax_t v = 0;
    if (s.n == 0)
        return NUM_SYNTAX;
    for (size_t i = 0; i < s.n; ++i) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return NUM_SYNTAX;
        unsigned d = (unsigned)(s.p[i] - '0');
        if (d > max || v > (max - d) / 10)
            return NUM_RANGE;
        v = v * 10 + d;
    }
    *out = v;
    return NUM_OK;
}

/* A size: digits with an optional K, M or G (binary multiples; 1.14 took
 * upper case only, we take either case). */
static enum num_result parse_size(struct span s, size_t *out)
{
    unsigned shift = 0;
    if (s.n > 1) {
        switch (s.p[s.n - 1]) {
            case 'K':
            case 'k':
                shift = 10;
                break;
            case 'M':
            case 'm':
                shift = 20;
                break;
            case 'G':
            case 'g':
                shift = 30;
                break;
            default:
                break;
        }
    }
    if (shift)
        s.n--;
    uintmax_t v;
    enum num_result r = parse_uint(s, SIZE_MAX >> shift, &v);
    if (r == NUM_OK)
        *out = (size_t)v << shift;
    return r;
}

/* The KIND value that names kind in MEMKIND_MEM_TIERS.  Returns a static
 * string. */
const char *mk_ctl_kind_name(enum mk_ctl_kind kind)
{
    switch (kind) {
        case MK_CTL_DRAM:
            return "DRAM";
        case MK_CTL_KMEM_DAX:
            return "KMEM_DAX";
        case MK_CTL_FS_DAX:
            return "FS_DAX";
    }
    return "?";
}

/* -------------------------------------------------------------- tiers */

/* Context of the tier being parsed, for messages. */
struct tier_ctx {
    struct ctl_err *e;
    unsigned num;     ///< 1-based tier number
    struct span item; ///< the whole tier text
};

#define TIER_FMT     "MEMKIND_MEM_TIERS: tier %u (%.*s%s): "
#define TIER_ARGS(c) (c)->num, SPAN_ARGS((c)->item)
#define tier_fail(c, fmt, ...)                                                 \
    fail((c)->e, TIER_FMT fmt, TIER_ARGS(c), __VA_ARGS__)

static int tier_kind(const struct tier_ctx *c, struct span v,
                     enum mk_ctl_kind *kind)
{
    if (span_is(v, "DRAM"))
        *kind = MK_CTL_DRAM;
    /* KMEM_DAX is the name of 1.14 and libmemtier(7); DAX_KMEM, the name of
     * the kind (MEMKIND_DAX_KMEM), is accepted as well. */
    else if (span_is(v, "KMEM_DAX") || span_is(v, "DAX_KMEM"))
        *kind = MK_CTL_KMEM_DAX;
    else if (span_is(v, "FS_DAX"))
        *kind = MK_CTL_FS_DAX;
    else
        return tier_fail(c, "unknown KIND %.*s%s (DRAM, KMEM_DAX or FS_DAX)",
                         SPAN_ARGS(v));
    return 0;
}

/*
 * Parses one tier item into *t.  Checks what a tier alone can get wrong:
 * syntax, unknown or repeated names, values, and which names the kind
 * requires or refuses.  Returns 0 or MEMKIND_ERROR_ENVIRON.
 */
static int parse_tier(const struct tier_ctx *c, struct mk_ctl_tier *t)
{
    bool have_kind = false, have_ratio = false, have_path = false,
         have_limit = false;
    struct span rest = c->item, param, name, value;
    uintmax_t v;
    int err;

    *t = (struct mk_ctl_tier){.kind = MK_CTL_DRAM};
    while (next_field(&rest, ',', &param)) {
        /* COMPAT(1.14): 1.14 took a trailing comma but not two commas in a
         * row; we skip every empty parameter. */
        if (param.n == 0)
            continue;
        if (!split_param(param, &name, &value))
            return tier_fail(c, "%.*s%s is not NAME:VALUE", SPAN_ARGS(param));
        bool *seen;
        if (span_is(name, "KIND"))
            seen = &have_kind;
        else if (span_is(name, "RATIO"))
            seen = &have_ratio;
        else if (span_is(name, "PATH"))
            seen = &have_path;
        else if (span_is(name, "PMEM_SIZE_LIMIT"))
            seen = &have_limit;
        else if (span_is(name, "POLICY"))
            return tier_fail(c, "%s",
                             "POLICY must be an item of its own, the last "
                             "one (...;POLICY:STATIC_RATIO)");
        else
            return tier_fail(
                c,
                "unknown parameter %.*s%s (KIND, PATH, PMEM_SIZE_LIMIT "
                "or RATIO)",
                SPAN_ARGS(name));
        if (*seen)
            return tier_fail(c, "%.*s%s is given twice", SPAN_ARGS(name));
        *seen = true;
        if (value.n == 0)
            return tier_fail(c, "%.*s%s has no value", SPAN_ARGS(name));

        if (seen == &have_kind) {
            err = tier_kind(c, value, &t->kind);
            if (err)
                return err;
        } else if (seen == &have_ratio) {
            if (parse_uint(value, UINT_MAX, &v) != NUM_OK || v == 0)
                return tier_fail(c,
                                 "RATIO %.*s%s is not a whole number from 1 "
                                 "to %u",
                                 SPAN_ARGS(value), UINT_MAX);
            t->ratio = (unsigned)v;
        } else if (seen == &have_path) {
            t->path = value.p;
            t->path_len = value.n;
        } else {
            enum num_result r = parse_size(value, &t->pmem_size);
            if (r == NUM_RANGE)
                return tier_fail(c, "PMEM_SIZE_LIMIT %.*s%s is too big",
                                 SPAN_ARGS(value));
            if (r != NUM_OK)
                return tier_fail(c,
                                 "PMEM_SIZE_LIMIT %.*s%s is not a size (a "
                                 "number of bytes, optionally followed by "
                                 "K, M or G)",
                                 SPAN_ARGS(value));
        }
    }
    if (!have_kind)
        return tier_fail(c, "%s", "KIND is missing");
    if (!have_ratio)
        return tier_fail(c, "%s", "RATIO is missing");
    if (t->kind == MK_CTL_FS_DAX && !have_path)
        return tier_fail(c, "%s", "KIND:FS_DAX needs a PATH");
    if (t->kind != MK_CTL_FS_DAX && have_path)
        return tier_fail(c, "%s", "PATH is allowed only with KIND:FS_DAX");
    if (t->kind != MK_CTL_FS_DAX && have_limit)
        return tier_fail(c, "%s",
                         "PMEM_SIZE_LIMIT is allowed only with KIND:FS_DAX");
    return 0;
}

static int parse_policy(struct ctl_err *e, struct span item,
                        memtier_policy_t *policy)
{
    struct span v = {.p = item.p + 7, .n = item.n - 7}; /* after "POLICY:" */
    if (span_is(v, "STATIC_RATIO"))
        *policy = MEMTIER_POLICY_STATIC_RATIO;
    else if (span_is(v, "DYNAMIC_THRESHOLD"))
        *policy = MEMTIER_POLICY_DYNAMIC_THRESHOLD;
    else
        return fail(e,
                    "MEMKIND_MEM_TIERS: unknown POLICY %.*s%s "
                    "(STATIC_RATIO or DYNAMIC_THRESHOLD)",
                    SPAN_ARGS(v));
    return 0;
}

/* ------------------------------------------------------------ thresholds */

/*
 * Parses threshold item num (1-based) into *t, which holds the defaults on
 * entry; names left out keep them.  Returns 0 or MEMKIND_ERROR_ENVIRON.
 */
static int parse_threshold(struct ctl_err *e, unsigned num, struct span item,
                           struct mk_ctl_threshold *t)
{
    static const char *const names[] = {"INIT_VAL", "MIN_VAL", "MAX_VAL"};
    size_t *fields[] = {&t->val, &t->min, &t->max};
    bool seen[3] = {false, false, false};
    struct span rest = item, param, name, value;

    while (next_field(&rest, ',', &param)) {
        if (param.n == 0)
            continue;
        if (!split_param(param, &name, &value))
            return fail(e,
                        "MEMKIND_MEM_THRESHOLDS: threshold %u (%.*s%s): "
                        "%.*s%s is not NAME:VALUE",
                        num, SPAN_ARGS(item), SPAN_ARGS(param));
        unsigned i = 0;
        while (i < 3 && !span_is(name, names[i]))
            i++;
        if (i == 3)
            return fail(e,
                        "MEMKIND_MEM_THRESHOLDS: threshold %u (%.*s%s): "
                        "unknown parameter %.*s%s (INIT_VAL, MIN_VAL or "
                        "MAX_VAL)",
                        num, SPAN_ARGS(item), SPAN_ARGS(name));
        if (seen[i])
            return fail(e,
                        "MEMKIND_MEM_THRESHOLDS: threshold %u (%.*s%s): %s "
                        "is given twice",
                        num, SPAN_ARGS(item), names[i]);
        seen[i] = true;
        enum num_result r = parse_size(value, fields[i]);
        if (r != NUM_OK)
            return fail(e,
                        "MEMKIND_MEM_THRESHOLDS: threshold %u (%.*s%s): %s "
                        "%.*s%s is %s",
                        num, SPAN_ARGS(item), names[i], SPAN_ARGS(value),
                        r == NUM_RANGE ? "too big"
                                       : "not a size (a number of bytes, "
                                         "optionally followed by K, M or G)");
    }
    return 0;
}

/*
 * Fills every threshold of a DYNAMIC_THRESHOLD configuration: defaults,
 * then what MEMKIND_MEM_THRESHOLDS (s, may be NULL) sets; checks each range
 * and their order.  Returns 0 or MEMKIND_ERROR_ENVIRON.
 */
static int parse_thresholds(struct ctl_err *e, const char *s,
                            struct mk_ctl_config *cfg)
{
    if (cfg->policy != MEMTIER_POLICY_DYNAMIC_THRESHOLD) {
        if (s)
            return fail(e, "%s",
                        "MEMKIND_MEM_THRESHOLDS is set, but it applies only "
                        "to POLICY:DYNAMIC_THRESHOLD");
        return 0;
    }
    if (cfg->ntiers < 2)
        return fail(e,
                    "MEMKIND_MEM_TIERS: POLICY:DYNAMIC_THRESHOLD needs at "
                    "least 2 tiers, there is %u",
                    cfg->ntiers);
    cfg->nthresholds = cfg->ntiers - 1;
    for (unsigned i = 0; i < cfg->nthresholds; ++i) {
        size_t val = (size_t)CTL_THRES_STEP * (i + 1);
        cfg->thresholds[i] = (struct mk_ctl_threshold){
            .val = val,
            .min = val - CTL_THRES_BELOW,
            .max = val + CTL_THRES_ABOVE,
        };
    }
    if (s) {
        struct span rest = {.p = s, .n = strlen(s)}, item;
        unsigned i = 0;
        while (next_field(&rest, ';', &item)) {
            if (i == cfg->nthresholds)
                return fail(e,
                            "MEMKIND_MEM_THRESHOLDS: more than %u "
                            "threshold(s) for %u tiers",
                            cfg->nthresholds, cfg->ntiers);
            int err = parse_threshold(e, i + 1, item, &cfg->thresholds[i]);
            if (err)
                return err;
            i++;
        }
    }
    for (unsigned i = 0; i < cfg->nthresholds; ++i) {
        const struct mk_ctl_threshold *t = &cfg->thresholds[i];
        if (t->val < t->min || t->val > t->max)
            return fail(e,
                        "MEMKIND_MEM_THRESHOLDS: threshold %u: INIT_VAL %zu "
                        "is not between MIN_VAL %zu and MAX_VAL %zu",
                        i + 1, t->val, t->min, t->max);
        if (i > 0 && cfg->thresholds[i - 1].max > t->min)
            return fail(e,
                        "MEMKIND_MEM_THRESHOLDS: threshold %u: MIN_VAL %zu "
                        "is below MAX_VAL %zu of threshold %u",
                        i + 1, t->min, cfg->thresholds[i - 1].max, i);
    }
    return 0;
}

/* ------------------------------------------------------------------ API */

/*
 * MEMKIND_MEM_TIERS and MEMKIND_MEM_THRESHOLDS into *cfg (contract in
 * ctl.h): the tier items one by one, the POLICY item last, then the
 * thresholds, which need the policy and the number of tiers.
 * Returns 0 or MEMKIND_ERROR_ENVIRON.
 */
int mk_ctl_parse(const char *tiers, const char *thresholds,
                 struct mk_ctl_config *cfg, char *err, size_t errlen)
{
    struct ctl_err e = {.buf = err, .len = errlen};
    if (err && errlen)
        err[0] = '\0';
    if (!cfg)
        return fail(&e, "%s", "no configuration to fill");
    if (!tiers)
        return fail(&e, "%s", "MEMKIND_MEM_TIERS is not set");
    if (!tiers[0])
        return fail(&e, "%s", "MEMKIND_MEM_TIERS is empty");

    cfg->ntiers = 0;
    cfg->nthresholds = 0;
    struct span rest = {.p = tiers, .n = strlen(tiers)}, item;
    bool have_policy = false;
    for (unsigned num = 1; next_field(&rest, ';', &item); ++num) {
        if (have_policy)
            return fail(&e,
                        "MEMKIND_MEM_TIERS: item %u (%.*s%s) follows POLICY, "
                        "which must be the last item",
                        num, SPAN_ARGS(item));
        if (item.n == 0)
            return fail(&e, "MEMKIND_MEM_TIERS: item %u is empty", num);
        if (span_starts(item, "POLICY:")) {
            int r = parse_policy(&e, item, &cfg->policy);
            if (r)
                return r;
            have_policy = true;
            continue;
        }
        if (cfg->ntiers == MK_CTL_MAX_TIERS)
            return fail(&e, "MEMKIND_MEM_TIERS: more than %d tiers",
                        MK_CTL_MAX_TIERS);
        struct tier_ctx c = {.e = &e, .num = cfg->ntiers + 1, .item = item};
        struct mk_ctl_tier *t = &cfg->tiers[cfg->ntiers];
        int r = parse_tier(&c, t);
        if (r)
            return r;
        /* One kind is one tier; only FS_DAX makes a new kind per tier. */
        for (unsigned i = 0; t->kind != MK_CTL_FS_DAX && i < cfg->ntiers; ++i)
            if (cfg->tiers[i].kind == t->kind)
                return tier_fail(&c, "KIND %s is already tier %u",
                                 mk_ctl_kind_name(t->kind), i + 1);
        cfg->ntiers++;
    }
    if (!have_policy)
        return fail(&e, "%s",
                    "MEMKIND_MEM_TIERS: the last item must be "
                    "POLICY:STATIC_RATIO or POLICY:DYNAMIC_THRESHOLD");
    if (cfg->ntiers == 0)
        return fail(&e, "%s", "MEMKIND_MEM_TIERS: no tier before POLICY");
    return parse_thresholds(&e, thresholds, cfg);
}

/* A log level value (contract in ctl.h).  Returns 0 or
 * MEMKIND_ERROR_ENVIRON. */
int mk_ctl_parse_log_level(const char *value, unsigned *level)
{
    uintmax_t v;
    if (!value || !level)
        return MEMKIND_ERROR_ENVIRON;
    struct span s = {.p = value, .n = strlen(value)};
    if (parse_uint(s, MK_CTL_LOG_MAX, &v) != NUM_OK)
        return MEMKIND_ERROR_ENVIRON;
    *level = (unsigned)v;
    return 0;
}
