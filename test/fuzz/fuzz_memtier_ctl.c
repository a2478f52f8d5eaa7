// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_memtier_ctl.c - libFuzzer target for libmemtier's configuration
 * parser (src/memtier_preload/ctl.c mk_ctl_parse, libmemtier(7)): the input
 * is MEMKIND_MEM_TIERS, then optionally '\n' and MEMKIND_MEM_THRESHOLDS,
 * then '\n' and a log level.  Checks the promises of ctl.h: a successful
 * result is complete and consistent (tiers, ratios, paths inside the input,
 * ordered thresholds); a failure leaves one non-empty printable line that
 * fits its buffer (libmemtier prints it as its one message); and the
 * parser is a pure function (a second call gives the same result, message
 * included).
 */
#include "config.h"

#include "ctl.h"
#include "fuzz_util.h"

#include <memkind.h>

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_fields f;
    static struct mk_ctl_config cfg, again;
    char err[MK_CTL_ERR_LEN], err2[MK_CTL_ERR_LEN];
    fuzz_fields_split(&f, data, size);
    const char *tiers = f.n > 0 ? f.field[0] : NULL;
    const char *thr = f.n > 1 ? f.field[1] : NULL;
    memset(err, 'x', sizeof(err));
    memset(&cfg, 0, sizeof(cfg));
    memset(&again, 0, sizeof(again));
    int r = mk_ctl_parse(tiers, thr, &cfg, err, sizeof(err));
    int r2 = mk_ctl_parse(tiers, thr, &again, err2, sizeof(err2));
    if (r2 != r || strcmp(err, err2) != 0 ||
        (r == 0 && memcmp(&cfg, &again, sizeof(cfg)) != 0))
        abort(); /* not a pure function of its input */
    if (r == 0) {
        if (cfg.ntiers < 1 || cfg.ntiers > MK_CTL_MAX_TIERS)
            abort();
        for (unsigned i = 0; i < cfg.ntiers; i++) {
            const struct mk_ctl_tier *t = &cfg.tiers[i];
            if (t->ratio < 1)
                abort();
            if (t->kind == MK_CTL_FS_DAX &&
                (!t->path || t->path_len == 0 || t->path < tiers ||
                 t->path + t->path_len > tiers + strlen(tiers)))
                abort(); /* paths point into the parsed string */
        }
        if (cfg.policy == MEMTIER_POLICY_DYNAMIC_THRESHOLD &&
            cfg.nthresholds != cfg.ntiers - 1)
            abort();
        for (unsigned i = 0; i < cfg.nthresholds; i++) {
            const struct mk_ctl_threshold *t = &cfg.thresholds[i];
            if (t->min > t->val || t->val > t->max)
                abort();
            if (i > 0 && cfg.thresholds[i - 1].max > t->min)
                abort();
        }
    } else {
        if (r != MEMKIND_ERROR_ENVIRON || !memchr(err, '\0', sizeof(err)) ||
            err[0] == '\0')
            abort(); /* an error code, and a message that fits */
        for (const char *c = err; *c; ++c)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                abort(); /* one printable line */
    }
    unsigned level = 99;
    if (f.n > 2 && mk_ctl_parse_log_level(f.field[2], &level) == 0 &&
        level > MK_CTL_LOG_MAX)
        abort();
    fuzz_fields_free(&f);
    return 0;
}
