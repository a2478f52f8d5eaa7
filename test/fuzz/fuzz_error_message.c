// SPDX-License-Identifier: BSD-2-Clause
/*
 * fuzz_error_message.c - libFuzzer target for memkind_error_message()
 * (memkind(3)): the input is an int code (its first four bytes, native
 * order) and a buffer size (the fifth byte).  Checks that the message is
 * always NUL-terminated within size and starts with "<memkind> ".  Built
 * with UndefinedBehaviorSanitizer (fuzz.sh), it also catches arithmetic on
 * the code that is undefined for some int: the seed int_min is INT_MIN,
 * whose negation once chose the table entry (issue 15).
 */
#include "config.h"

#include <memkind.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int code = 0;
    char msg[MEMKIND_ERROR_MESSAGE_SIZE + 1];
    if (size)
        memcpy(&code, data, size < sizeof(code) ? size : sizeof(code));
    size_t len = size > sizeof(code) ? data[sizeof(code)] % sizeof(msg) + 1
                                     : MEMKIND_ERROR_MESSAGE_SIZE;
    memset(msg, 'x', sizeof(msg));
    memkind_error_message(code, msg, len);
    if (!memchr(msg, '\0', len))
        abort(); /* not terminated within size */
    if (len > 10 && strncmp(msg, "<memkind> ", 10) != 0)
        abort();
    return 0;
}
