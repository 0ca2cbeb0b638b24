#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"

void rn_panic_at(const char *file, int line, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "rollup-node: PANIC at %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}
