// SPDX-License-Identifier: BSD-2-Clause
/*
 * ctl.h - the configuration parser of libmemtier: MEMKIND_MEM_TIERS,
 * MEMKIND_MEM_THRESHOLDS and the log level variables, as libmemtier(7)
 * describes them, turned into a plain struct.
 *
 * The parser is a pure function: it reads its arguments, writes the result
 * and an error text into memory the caller provides, and allocates nothing
 * (it runs inside the preload library's constructor, where malloc is the
 * library itself).  It keeps no state between calls, so it is unit-tested
 * and fuzzed directly, without LD_PRELOAD.
 */
#pragma once

#include <memkind_memtier.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Most tiers one MEMKIND_MEM_TIERS value may define.
#define MK_CTL_MAX_TIERS 16
/// Size of an error buffer that holds any message of the parser.
#define MK_CTL_ERR_LEN 320
/// Highest log level (0 errors, 1 information, 2 debug).
#define MK_CTL_LOG_MAX 2

/// The KIND of a tier (libmemtier(7) TIER PARAMETERS).
enum mk_ctl_kind
{
    MK_CTL_DRAM = 0, ///< MEMKIND_DEFAULT
    MK_CTL_KMEM_DAX, ///< MEMKIND_DAX_KMEM (also spelt DAX_KMEM)
    MK_CTL_FS_DAX,   ///< memkind_create_pmem(PATH, PMEM_SIZE_LIMIT)
};

/// One tier as configured.
struct mk_ctl_tier {
    enum mk_ctl_kind kind; ///< KIND
    unsigned ratio;        ///< RATIO, 1 to UINT_MAX
    const char *path;      ///< PATH (FS_DAX only, else NULL): points into
                           ///< the parsed string and is NOT terminated
    size_t path_len;       ///< bytes of path
    size_t pmem_size;      ///< PMEM_SIZE_LIMIT in bytes; 0 = no limit
};

/// A DYNAMIC_THRESHOLD threshold between tier i and tier i + 1.
struct mk_ctl_threshold {
    size_t val; ///< INIT_VAL
    size_t min; ///< MIN_VAL
    size_t max; ///< MAX_VAL
};

/// A whole configuration.
struct mk_ctl_config {
    memtier_policy_t policy; ///< POLICY
    unsigned ntiers;         ///< tiers[0 .. ntiers - 1] are set, >= 1
    unsigned nthresholds;    ///< ntiers - 1 with DYNAMIC_THRESHOLD, else 0
    struct mk_ctl_tier tiers[MK_CTL_MAX_TIERS];
    struct mk_ctl_threshold thresholds[MK_CTL_MAX_TIERS - 1];
};

/*
 * Parses MEMKIND_MEM_TIERS (tiers) and MEMKIND_MEM_THRESHOLDS (thresholds,
 * NULL when the variable is not set) into *cfg.  Every threshold of a
 * DYNAMIC_THRESHOLD configuration is filled in, defaults included, and the
 * whole configuration is checked (ranges, their order, duplicate kinds), so
 * a successful result can be built without further validation.  Paths in
 * *cfg point into tiers, which must outlive them.
 * On failure err (when not NULL) receives one sentence naming the variable,
 * the item and what is wrong with it, without a trailing newline.
 * Returns 0 or MEMKIND_ERROR_ENVIRON (*cfg is then unspecified).
 */
int mk_ctl_parse(const char *tiers, const char *thresholds,
                 struct mk_ctl_config *cfg, char *err, size_t errlen);

/*
 * Parses a log level variable's value: a decimal number from 0 to
 * MK_CTL_LOG_MAX.  Returns 0 with *level set, or MEMKIND_ERROR_ENVIRON with
 * *level untouched.
 */
int mk_ctl_parse_log_level(const char *value, unsigned *level);

/// Name of a tier kind as MEMKIND_MEM_TIERS spells it.
const char *mk_ctl_kind_name(enum mk_ctl_kind kind);

#ifdef __cplusplus
}
#endif
