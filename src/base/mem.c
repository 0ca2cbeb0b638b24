#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "rollup-node: out of memory allocating %zu bytes\n", n);
    fflush(stderr);
    abort();
}

void *rn_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *rn_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *rn_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

void rn_free(void *p)
{
    free(p);
}

char *rn_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = rn_malloc(n);
    memcpy(d, s, n);
    return d;
}

void *rn_memdup(const void *p, size_t n)
{
    void *d = rn_malloc(n);
    if (n)
        memcpy(d, p, n);
    return d;
}
