// SPDX-License-Identifier: BSD-2-Clause
/*
 * nodelist_fuzz.c - fuzz target for the environment parsers of issue 4:
 * the node lists (mk_nodelist_parse), MEMKIND_HBW_THRESHOLD and the
 * AUTO_HBW_* values of libautohbw.
 *
 * LLVMFuzzerTestOneInput checks invariants that hold for any input: no
 * crash, a success selects only allowed nodes and at least one, errors
 * point inside the string, descriptions are one bounded line, a parsed
 * AUTO_HBW_SIZE range is not empty.  On this machine's own nodes it also
 * compares the node-list parser with libnuma's numa_parse_nodestring(),
 * the parser memkind 1.14 used (except for the documented differences).
 *
 * make check runs the built-in driver: pseudo-random strings over the
 * tokens of the grammars ("nodelist_fuzz [ITERATIONS [SEED]]", 300000
 * by default).  For
 * coverage-guided fuzzing build it with clang -fsanitize=fuzzer
 * -DMK_LIBFUZZER instead, against libmemkind_core.
 */
#include "config.h"

#include <memkind/internal/memkind_hbw.h>
#include <memkind/internal/memkind_numa.h>

#include "../../src/autohbw/autohbw_env.h"

#include <ctype.h>
#include <numa.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libnuma reports every bad list on stderr; these (weak in libnuma)
 * replacements keep the run quiet. */
#define MK_VISIBLE __attribute__((visibility("default")))
MK_VISIBLE void numa_warn(int num, char *fmt, ...);
MK_VISIBLE void numa_error(char *where);
MK_VISIBLE void numa_warn(int num, char *fmt, ...)
{
    (void)num, (void)fmt;
}
MK_VISIBLE void numa_error(char *where)
{
    (void)where;
}

static unsigned long fails;

#define CHECK(cond, s)                                                         \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "FAIL: %s for \"%.60s\"\n", #cond, s);             \
            fails++;                                                           \
        }                                                                      \
    } while (0)

static bool subset(const unsigned long *a, const unsigned long *b)
{
    for (size_t i = 0; i < MK_NODEMASK_WORDS; i++)
        if (a[i] & ~b[i])
            return false;
    return true;
}

/*
 * Inputs on which libnuma and we differ on purpose: libnuma takes an item
 * that starts with a letter as the name of an I/O device ("eth0") or as
 * "all" anywhere in the list ("0,all"); here "all" must be the whole list.
 * (An empty selection is compared separately: an error here.)
 */
static bool comparable(const char *s)
{
    const char *p = s;
    if (*p == '!')
        p++;
    if (*p == '+')
        p++;
    if (strcmp(p, "all") == 0)
        return true;
    for (const char *q = p; *q; q++) {
        bool item_start = q == p || q[-1] == ',';
        if (item_start &&
            ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
            return false;
    }
    return true;
}

static void against_libnuma(const char *s)
{
    const struct mk_topology *t = mk_topology_get();
    unsigned long ours[MK_NODEMASK_WORDS];
    struct mk_nodelist_error err;
    if (numa_available() < 0 || !comparable(s))
        return;
    enum mk_nodelist_status st = mk_nodelist_parse(s, t->mem, ours, &err);
    struct bitmask *bm = numa_parse_nodestring(s);
    if (st == MK_NODELIST_NONE || st == MK_NODELIST_EMPTY) {
        CHECK(!bm || numa_bitmask_weight(bm) == 0, s);
    } else {
        CHECK((st == MK_NODELIST_OK) == (bm != NULL), s);
        for (unsigned n = 0;
             bm && st == MK_NODELIST_OK && n < bm->size && n < MK_MAX_NODES;
             n++)
            CHECK(!!numa_bitmask_isbitset(bm, n) ==
                      !!mk_nodemask_isset(ours, n),
                  s);
    }
    if (bm)
        numa_bitmask_free(bm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char s[4096];
    static const unsigned long sparse[MK_NODEMASK_WORDS] = {0x225, 0, 1};
    unsigned long out[MK_NODEMASK_WORDS];
    struct mk_nodelist_error err;
    char line[320];
    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
    memcpy(s, data, n);
    s[n] = '\0';
    size_t len = strlen(s);

    enum mk_nodelist_status st = mk_nodelist_parse(s, sparse, out, &err);
    CHECK(st == err.status, s);
    if (st == MK_NODELIST_OK) {
        CHECK(subset(out, sparse), s);
        CHECK(mk_nodemask_first(out) >= 0, s);
    } else {
        CHECK(st > MK_NODELIST_OK && st <= MK_NODELIST_NONE, s);
        CHECK(err.pos <= len, s);
        mk_nodelist_describe(line, sizeof(line), "MEMKIND_HBW_NODES", s, &err);
        CHECK(strchr(line, '\n') == NULL, s);
        CHECK(strlen(line) < 200, s);
    }
    against_libnuma(s);

    uint64_t th;
    if (mk_hbw_parse_threshold(s, &th))
        CHECK(th <= 4294967295u, s);
    size_t lo, hi;
    if (autohbw_parse_range(s, &lo, &hi))
        CHECK(lo < hi, s);
    int lvl;
    if (autohbw_parse_level(s, -1, 2, &lvl))
        CHECK(lvl >= -1 && lvl <= 2, s);
    (void)autohbw_kind_from_name(s);
    return 0;
}

#ifndef MK_LIBFUZZER
static const char *const tokens[] = {"0",    "1",    "2",
                                     "5",    "9",    "64",
                                     "1023", "1024", "99999999999999999999",
                                     ",",    ",",    "-",
                                     "-",    "!",    "+",
                                     "all",  "0x",   "0X1f",
                                     "07",   " ",    "\t",
                                     "x",    ";",    ":",
                                     "K",    "M",    "G",
                                     "k",    "",     "MEMKIND_HBW"};

int main(int argc, char **argv)
{
    unsigned long iterations = argc > 1 && isdigit((unsigned char)argv[1][0])
                                   ? strtoul(argv[1], NULL, 10)
                                   : 300000;
    uint64_t x = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9e3779b97f4a7c15u;
    char buf[256];
    for (unsigned long i = 0; i < iterations; i++) {
        size_t n = 0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned parts = 1 + (unsigned)(x % 7);
        for (unsigned p = 0; p < parts; p++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const char *t =
                tokens[(x >> 11) % (sizeof(tokens) / sizeof(tokens[0]))];
            size_t tl = strlen(t);
            if (n + tl >= sizeof(buf))
                break;
            memcpy(buf + n, t, tl);
            n += tl;
        }
        (void)LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
    }
    printf("%lu inputs, %lu failed checks\n", iterations, fails);
    return fails ? 1 : 0;
}
#endif
