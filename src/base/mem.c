#include "base/mem.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
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

#if defined(__SANITIZE_ADDRESS__)
#define TABLE_HUGE SIZE_MAX /* ASan checks heap tables only */
#else
#define TABLE_HUGE ((size_t)2 << 20)
#endif

static size_t table_len(size_t n)
{
    return (n + TABLE_HUGE - 1) & ~(TABLE_HUGE - 1);
}

/* A mapping of len bytes (a multiple of 2 MiB) starting on a 2 MiB boundary, hinted huge, or
 * NULL. Maps one huge page more and trims both ends. */
static void *map_aligned(size_t len)
{
    uint8_t *p =
        mmap(NULL, len + TABLE_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uint8_t *a = (uint8_t *)(((uintptr_t)p + TABLE_HUGE - 1) & ~(uintptr_t)(TABLE_HUGE - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    munmap(a + len, (size_t)(p + TABLE_HUGE - a)); /* a < p + TABLE_HUGE: never empty */
    (void)madvise(a, len, MADV_HUGEPAGE);          /* a hint: without THP, 4 KiB pages as before */
    return a;
}

/* The arrays rn_realloc_huge maps (decision 0021): rn_free and rn_realloc know them by this
 * list. Their addresses are 2 MiB aligned, which a heap block's almost never is, so any other
 * pointer costs one test. Few live at once (a block's arrays); when the list is full,
 * rn_realloc_huge takes heap memory instead. */
enum {
    HUGE_MAX = 256
};

typedef struct huge_map {
    void *p;
    size_t len;  /**< the mapping's length */
    size_t used; /**< the most the caller asked for: the bytes a move copies */
} huge_map_t;

static huge_map_t g_huge[HUGE_MAX];
static unsigned g_nhuge;
static pthread_mutex_t g_huge_mu = PTHREAD_MUTEX_INITIALIZER;

static bool maybe_huge(const void *p)
{
    return p && ((uintptr_t)p & (TABLE_HUGE - 1)) == 0;
}

/* p's entry ({0} when p is not one of the mappings). With take, p leaves the list; with grow,
 * a request for that many bytes that fits is recorded as used. */
static huge_map_t huge_find(const void *p, bool take, size_t grow)
{
    huge_map_t m = { 0 };
    pthread_mutex_lock(&g_huge_mu);
    for (unsigned i = 0; i < g_nhuge; i++) {
        if (g_huge[i].p == p) {
            if (grow > g_huge[i].used && grow <= g_huge[i].len)
                g_huge[i].used = grow;
            m = g_huge[i];
            if (take)
                g_huge[i] = g_huge[--g_nhuge];
            break;
        }
    }
    pthread_mutex_unlock(&g_huge_mu);
    return m;
}

static bool huge_add(void *p, size_t len, size_t used)
{
    pthread_mutex_lock(&g_huge_mu);
    bool room = g_nhuge < HUGE_MAX;
    if (room)
        g_huge[g_nhuge++] = (huge_map_t){ p, len, used };
    pthread_mutex_unlock(&g_huge_mu);
    return room;
}

void rn_free(void *p)
{
    if (maybe_huge(p)) {
        huge_map_t m = huge_find(p, true, 0);
        if (m.len) {
            munmap(p, m.len);
            return;
        }
    }
    free(p);
}

void *rn_realloc(void *p, size_t n)
{
    if (maybe_huge(p)) {
        huge_map_t m = huge_find(p, false, 0);
        if (m.len) { /* one of rn_realloc_huge's mappings: move it to the heap */
            void *q = rn_malloc(n);
            memcpy(q, p, m.used < n ? m.used : n);
            rn_free(p);
            return q;
        }
    }
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

void *rn_realloc_huge(void *p, size_t n)
{
    if (n < TABLE_HUGE)
        return rn_realloc(p, n);
    /* old: the bytes that move (a mapping's used part, not its whole length) */
    huge_map_t m = maybe_huge(p) ? huge_find(p, false, n) : (huge_map_t){ 0 };
    if (m.len >= n)
        return p;
    size_t old = m.len ? m.used : p ? malloc_usable_size(p) : 0;
    if (old >= n)
        return p;
    /* A mapping of its own, not heap memory: a 2 MiB stretch of the heap that smaller blocks
     * used before already has a page table, and the kernel then fills it 4 KiB page by page
     * (a huge page is only given on a fault into an empty one). */
    size_t len = table_len(n);
    void *q = map_aligned(len);
    if (q && !huge_add(q, len, n)) {
        munmap(q, len);
        q = NULL;
    }
    if (!q && posix_memalign(&q, TABLE_HUGE, n) != 0)
        oom(n);
    if (old)
        memcpy(q, p, old);
    rn_free(p);
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
    uint8_t *a = map_aligned(len);
    if (!a)
        oom(n);
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
