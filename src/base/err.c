#include "base/err.h"

const char *err_str(err_t e)
{
    switch (e) {
#define RN_ERR_STR_(name, num, msg) \
    case ERR_##name:                \
        return msg;
        ERR_LIST(RN_ERR_STR_)
#undef RN_ERR_STR_
    }
    return "unknown error";
}

const char *err_name(err_t e)
{
    switch (e) {
#define RN_ERR_NAME_(name, num, msg) \
    case ERR_##name:                 \
        return #name;
        ERR_LIST(RN_ERR_NAME_)
#undef RN_ERR_NAME_
    }
    return "UNKNOWN";
}
