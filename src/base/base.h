/* src/base/base.h — the vocabulary layer in one include. */
#ifndef RN_BASE_BASE_H
#define RN_BASE_BASE_H

#include "base/bytes.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/u256.h"

#ifdef RN_DEBUG
#define ASSERT(c) ((c) ? (void)0 : rn_panic_at(__FILE__, __LINE__, "assertion failed: %s", #c))
#else
#define ASSERT(c) ((void)0)
#endif
/** Always-on check for states where continuing could corrupt data. */
#define ENSURE(c)  ((c) ? (void)0 : rn_panic_at(__FILE__, __LINE__, "invariant violated: %s", #c))
#define PANIC(...) rn_panic_at(__FILE__, __LINE__, __VA_ARGS__)

_Noreturn void rn_panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define RN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
