/* src/base/err.h — the project-wide error code (STYLE.md 2.4). */
#ifndef RN_BASE_ERR_H
#define RN_BASE_ERR_H

#include "base/err_list.h"

/* clang-format off */
typedef enum err {
#define RN_ERR_ENUM_(name, num, msg) ERR_##name = num,
    ERR_LIST(RN_ERR_ENUM_)
#undef RN_ERR_ENUM_
} err_t;

/* clang-format on */

#define RN_NODISCARD __attribute__((warn_unused_result))

/** Human-readable message for e ("rlp: non-canonical encoding"); never NULL. */
const char *err_str(err_t e);

/** Symbolic name of e without the ERR_ prefix ("RLP_NONCANON"); never NULL. */
const char *err_name(err_t e);

/** Return e from the enclosing function if it is not ERR_OK. */
#define TRY(expr)              \
    do {                       \
        err_t try_e_ = (expr); \
        if (try_e_ != ERR_OK)  \
            return try_e_;     \
    } while (0)

#endif
