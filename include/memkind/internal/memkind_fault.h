// SPDX-License-Identifier: BSD-2-Clause
/*
 * memkind_fault.h - test-only fault injection (--enable-fault-injection,
 * on by default; it costs one branch on creation paths only, never on
 * allocation fast paths).
 *
 * Every failure point of kind creation calls mk_fault_hit() first.  A test
 * arms a countdown with mk_fault_arm(n): the n-th point reached afterwards
 * (0-based) fails as if the underlying call had failed, then injection
 * disarms itself.  Tests loop n from 0 until the call succeeds, checking the
 * error code and that nothing leaked.
 */
#pragma once

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef MK_FAULT_INJECTION
/// True when this failure point must fail now (consumes the countdown).
bool mk_fault_hit(void);
/// Arms the countdown (n >= 0) or disarms it (n < 0).
void mk_fault_arm(int n);
/// As mk_fault_arm(n), but count points in a row fail (a lasting fault).
void mk_fault_arm_n(int n, int count);
/// Failure points reached since the last arm (armed or not).
int mk_fault_points_seen(void);
#else
static inline bool mk_fault_hit(void)
{
    return false;
}
#endif

#ifdef __cplusplus
}
#endif
