/*
 * assert.h: SIM_ASSERT stays on in every build.  Asserts are for our own
 * mistakes; a bad scenario, a misbehaving peer or an injected fault is a
 * return code, never an assert.
 */
#ifndef SIM_ASSERT_H
#define SIM_ASSERT_H

void sim__assert_fail(const char *expr, const char *file, int line,
                      const char *func);

#define SIM_ASSERT(e)                                                          \
    ((e) ? (void)0 : sim__assert_fail(#e, __FILE__, __LINE__, __func__))

#define SIM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
