// SPDX-License-Identifier: BSD-2-Clause
/*
 * nodelist.c - the parser of the MEMKIND_*_NODES variables (libnuma's
 * node-list syntax, memkind_numa.h): node numbers, ranges, "+" relative
 * nodes, "!" inversion and "all", checked against the allowed nodes, with
 * a description of what is wrong for the message.  No allocation (it runs
 * under LD_PRELOAD malloc replacements too).
 */
#include "config.h"

#include <memkind/internal/memkind_numa.h>

#include <memkind/internal/memkind_log.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MK_BITS_PER_LONG (8 * sizeof(unsigned long))

/*
 * Reads one node number at s the way libnuma's parser does (strtoul base
 * 0, leading blanks and a sign accepted), resolving "+" relative numbers
 * to the n-th allowed node.  Returns false when s holds no number.
 */
static bool read_node(const char *s, const unsigned long *allowed,
                      bool relative, long long *node, const char **end)
{
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    bool neg = *p == '-';
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 0);
    if (e == s)
        return false;
    *end = e;
    if (errno == ERANGE) {
        *node = neg ? LLONG_MIN : LLONG_MAX;
    } else if (neg) {
        unsigned long long mag = -v; /* strtoull negated it */
        *node =
            mag > (unsigned long long)LLONG_MAX ? LLONG_MIN : -(long long)mag;
    } else {
        *node = v > (unsigned long long)LLONG_MAX ? LLONG_MAX : (long long)v;
    }
    if (relative && *node >= 0) {
        long long want = *node;
        for (unsigned n = 0; n < MK_MAX_NODES; n++) {
            if (mk_nodemask_isset(allowed, n) && want-- == 0) {
                *node = n;
                return true;
            }
        }
        *node = MK_MAX_NODES; /* past the last allowed node */
    }
    return true;
}

static bool node_allowed(const unsigned long *allowed, long long node)
{
    return node >= 0 && node < MK_MAX_NODES &&
           mk_nodemask_isset(allowed, (unsigned)node);
}

static enum mk_nodelist_status fail(struct mk_nodelist_error *err,
                                    enum mk_nodelist_status st, size_t pos,
                                    long long node)
{
    if (err)
        *err =
            (struct mk_nodelist_error){.status = st, .pos = pos, .node = node};
    return st;
}

/*
 * The numa(3) node-list grammar, as libnuma 2.0's numa_parse_nodestring()
 * reads it: [!][+](all | N[-M][,N[-M]]...).  Pure.
 * Returns MK_NODELIST_OK or the first problem (also in *err).
 */
enum mk_nodelist_status mk_nodelist_parse(const char *s,
                                          const unsigned long *allowed,
                                          unsigned long *out,
                                          struct mk_nodelist_error *err)
{
    const char *start = s;
    bool invert = false, relative = false;
    memset(out, 0, MK_NODEMASK_WORDS * sizeof(*out));
    if (!s || *s == '\0')
        return fail(err, MK_NODELIST_EMPTY, 0, 0);
    if (*s == '!') {
        invert = true;
        s++;
    }
    if (*s == '+') {
        relative = true;
        s++;
    }
    if (strcmp(s, "all") == 0) {
        memcpy(out, allowed, MK_NODEMASK_WORDS * sizeof(*out));
        s += 3;
    } else {
        for (;;) {
            long long a, b;
            const char *end;
            if (!read_node(s, allowed, relative, &a, &end))
                return fail(err, MK_NODELIST_SYNTAX, (size_t)(s - start), 0);
            if (!node_allowed(allowed, a))
                return fail(err, MK_NODELIST_RANGE, (size_t)(s - start), a);
            mk_nodemask_set(out, (unsigned)a);
            s = end;
            if (*s == '-') {
                s++;
                if (!read_node(s, allowed, relative, &b, &end))
                    return fail(err, MK_NODELIST_MISSING, (size_t)(s - start),
                                0);
                if (!node_allowed(allowed, b))
                    return fail(err, MK_NODELIST_RANGE, (size_t)(s - start), b);
                for (long long n = a; n <= b; n++)
                    if (mk_nodemask_isset(allowed, (unsigned)n))
                        mk_nodemask_set(out, (unsigned)n);
                s = end;
            }
            if (*s != ',')
                break;
            s++;
        }
    }
    if (*s != '\0')
        return fail(err, MK_NODELIST_SYNTAX, (size_t)(s - start), 0);
    if (invert) {
        /* Within the allowed nodes: libnuma inverts over the first
         * numa_num_configured_nodes() ids, wrong for sparse node ids. */
        for (size_t i = 0; i < MK_NODEMASK_WORDS; i++)
            out[i] = allowed[i] & ~out[i];
    }
    if (mk_nodemask_first(out) < 0)
        return fail(err, MK_NODELIST_NONE, (size_t)(s - start), 0);
    if (err)
        *err = (struct mk_nodelist_error){.status = MK_NODELIST_OK};
    return MK_NODELIST_OK;
}

/* One line (no newline) saying what is wrong with name=value, value cut
 * to a readable length; always NUL-terminated in buf. */
void mk_nodelist_describe(char *buf, size_t len, const char *name,
                          const char *value,
                          const struct mk_nodelist_error *err)
{
    /* Long values are cut: the message must stay one line. */
    const int show = 40;
    const char *more = strlen(value) > (size_t)show ? "..." : "";
    const char *at = value + (err->pos < strlen(value) ? err->pos : 0);
    switch (err->status) {
        case MK_NODELIST_OK:
            (void)snprintf(buf, len, "%s=\"%.*s%s\" is valid", name, show,
                           value, more);
            break;
        case MK_NODELIST_EMPTY:
            (void)snprintf(buf, len, "%s is set but empty", name);
            break;
        case MK_NODELIST_SYNTAX:
            (void)snprintf(buf, len,
                           "%s=\"%.*s%s\" is not a node list (unexpected "
                           "\"%.12s\" at offset %zu)",
                           name, show, value, more, at, err->pos);
            break;
        case MK_NODELIST_MISSING:
            (void)snprintf(buf, len,
                           "%s=\"%.*s%s\" is not a node list (no node after "
                           "'-' at offset %zu)",
                           name, show, value, more, err->pos);
            break;
        case MK_NODELIST_RANGE:
            (void)snprintf(buf, len,
                           "%s=\"%.*s%s\": node %lld is not a NUMA node with "
                           "memory this process may use",
                           name, show, value, more, err->node);
            break;
        case MK_NODELIST_NONE:
            (void)snprintf(buf, len, "%s=\"%.*s%s\" selects no node", name,
                           show, value, more);
            break;
    }
}

/*
 * Reads an override variable (secure_getenv) as a node list over t->mem.
 * A malformed value is reported once, by the family build that asks.
 * Returns 1 (unset), 0 (nodes in out) or MEMKIND_ERROR_ENVIRON.
 */
int mk_numa_env_nodes(const struct mk_topology *t, const char *name,
                      unsigned long *out)
{
    const char *v = secure_getenv(name);
    if (!v)
        return 1;
    struct mk_nodelist_error err;
    if (mk_nodelist_parse(v, t->mem, out, &err) == MK_NODELIST_OK) {
        mk_log_info("%s=\"%.40s\": nodes taken from the environment", name, v);
        return 0;
    }
    char msg[320];
    mk_nodelist_describe(msg, sizeof(msg), name, v, &err);
    mk_log_warn("%s; the kinds that use it are unavailable "
                "(MEMKIND_ERROR_ENVIRON)",
                msg);
    return MEMKIND_ERROR_ENVIRON;
}
