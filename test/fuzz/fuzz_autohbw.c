// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_autohbw.c - libFuzzer target for libautohbw's configuration parser
 * (src/autohbw/autohbw_env.c, autohbw(7)): the input is '\n'-separated
 * values of AUTO_HBW_SIZE, AUTO_HBW_LOG, AUTO_HBW_DEBUG and
 * AUTO_HBW_MEM_TYPE.  Checks: an accepted size range is ordered, levels
 * are in range.
 */
#include "config.h"

#include "autohbw_env.h"
#include "fuzz_util.h"

#include <stdio.h>

static struct fuzz_fields cur;

static const char *get(const char *name)
{
    static const char *const names[] = {"AUTO_HBW_SIZE", "AUTO_HBW_LOG",
                                        "AUTO_HBW_DEBUG", "AUTO_HBW_MEM_TYPE"};
    return fuzz_fields_get(&cur, names, 4, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct autohbw_config cfg;
    fuzz_fields_split(&cur, data, size);
    autohbw_config_parse(&cfg, get);
    size_t lo, hi, one;
    if (cur.n > 0 && autohbw_parse_range(cur.field[0], &lo, &hi) && lo > hi)
        abort();
    if (cur.n > 0)
        (void)autohbw_parse_size(cur.field[0], &one);
    int lv;
    if (cur.n > 1 && autohbw_parse_level(cur.field[1], -1, 2, &lv) &&
        (lv < -1 || lv > 2))
        abort();
    if (cur.n > 3)
        (void)autohbw_kind_from_name(cur.field[3]);
    fuzz_fields_free(&cur);
    return 0;
}
