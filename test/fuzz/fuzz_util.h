// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_util.h - splits a libFuzzer input into NUL-terminated fields, the
 * way environment variables reach the parsers (test/fuzz/fuzz.sh).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_FIELDS 8

/// Fields of one input: field[i] is a copy of the i-th '\n'-separated part
/// (NULL past the end: an unset variable).  Free with fuzz_fields_free().
struct fuzz_fields {
    char *field[FUZZ_MAX_FIELDS];
    size_t n;
};

static inline void fuzz_fields_split(struct fuzz_fields *f, const uint8_t *data,
                                     size_t size)
{
    memset(f, 0, sizeof(*f));
    size_t start = 0;
    for (size_t i = 0; i <= size && f->n < FUZZ_MAX_FIELDS; i++) {
        if (i == size || data[i] == '\n') {
            char *s = malloc(i - start + 1);
            if (!s)
                return;
            memcpy(s, data + start, i - start);
            s[i - start] = '\0';
            f->field[f->n++] = s;
            start = i + 1;
        }
    }
}

/// The field that stands for variable name: field i for names[i], NULL
/// when the input has fewer fields or name is not in names (unset).
static inline const char *fuzz_fields_get(const struct fuzz_fields *f,
                                          const char *const *names,
                                          size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(name, names[i]) == 0)
            return i < f->n ? f->field[i] : NULL;
    return NULL;
}

static inline void fuzz_fields_free(struct fuzz_fields *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->field[i]);
}
