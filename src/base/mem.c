#include "base/mem.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

#if defined(__SANITIZE_ADDRESS__)
#define TABLE_HUGE SIZE_MAX /* ASan checks heap tables only */
#else
#define TABLE_HUGE ((size_t)2 << 20)
#endif

static size_t table_len(size_t n)
{
    return (n + TABLE_HUGE - 1) & ~(TABLE_HUGE - 1);
}

void *rn_realloc_huge(void *p, size_t n)
{
    if (n < TABLE_HUGE)
        return rn_realloc(p, n);
    size_t old = p ? malloc_usable_size(p) : 0;
    if (old >= n)
        return p;
    void *q = NULL;
    if (posix_memalign(&q, TABLE_HUGE, n) != 0)
        oom(n);
    /* Marking splits the heap's mapping at 2 MiB boundaries; the block's tail past the last one
     * stays on small pages. A hint: without THP, 4 KiB pages as before. */
    (void)madvise(q, n & ~(TABLE_HUGE - 1), MADV_HUGEPAGE);
    if (old)
        memcpy(q, p, old);
    free(p);
    return q;
}

void rn_heap_keep(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest: 4 MiB x sizeof(long) */
    (void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

void *rn_table_alloc(size_t n)
{
    if (n < TABLE_HUGE)
        return rn_calloc(1, n);
    size_t len = table_len(n);
    /* Map one huge page more and trim both ends to an aligned start. */
    uint8_t *p =
        mmap(NULL, len + TABLE_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        oom(n);
    uint8_t *a = (uint8_t *)(((uintptr_t)p + TABLE_HUGE - 1) & ~(uintptr_t)(TABLE_HUGE - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (a + len < p + len + TABLE_HUGE)
        munmap(a + len, (size_t)(p + len + TABLE_HUGE - (a + len)));
    (void)madvise(a, len, MADV_HUGEPAGE); /* a hint: without THP, 4 KiB pages as before */
    /* Fault it in by writing. A hash table is read before it is written (probing for a free
     * slot), and a read maps the shared zero page: the later write then replaces it, which
     * flushes the TLB of every core running this process. With THP this is one fault per 2 MiB. */
    for (size_t off = 0; off < len; off += 4096)
        ((volatile uint8_t *)a)[off] = 0;
    return a;
}

void rn_table_free(void *p, size_t n)
{
    if (!p)
        return;
    if (n < TABLE_HUGE)
        free(p);
    else
        munmap(p, table_len(n));
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
