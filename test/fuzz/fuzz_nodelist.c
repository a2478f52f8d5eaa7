// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_nodelist.c - libFuzzer target for the node-list parser behind
 * MEMKIND_HBW_NODES and MEMKIND_DAX_KMEM_NODES (src/numa.c
 * mk_nodelist_parse, numa(3) syntax).  The first 8 input bytes are the
 * allowed node set, the rest the string.  Checks: success selects only
 * allowed nodes and at least one; failure positions lie inside the string;
 * the description always fits its buffer.
 */
#include "config.h"

#include <memkind/internal/memkind_numa.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned long allowed[MK_NODEMASK_WORDS] = {0};
    unsigned long out[MK_NODEMASK_WORDS];
    struct mk_nodelist_error err;
    size_t head = size < 8 ? size : 8;
    memcpy(allowed, data, head);
    char *s = malloc(size - head + 1);
    if (!s)
        return 0;
    memcpy(s, data + head, size - head);
    s[size - head] = '\0';
    size_t len = strlen(s);
    memset(&err, 0, sizeof(err));
    enum mk_nodelist_status st = mk_nodelist_parse(s, allowed, out, &err);
    if (st == MK_NODELIST_OK) {
        int any = 0;
        for (size_t w = 0; w < MK_NODEMASK_WORDS; w++) {
            if (out[w] & ~allowed[w])
                abort(); /* a node outside the allowed set */
            any |= out[w] != 0;
        }
        if (!any)
            abort(); /* OK means at least one node */
    } else {
        if (err.status != st || err.pos > len)
            abort();
        char buf[160];
        mk_nodelist_describe(buf, sizeof(buf), "MEMKIND_HBW_NODES", s, &err);
        if (strlen(buf) >= sizeof(buf))
            abort();
    }
    free(s);
    return 0;
}
