/* src/base/mem.h — heap wrappers. Out-of-memory aborts with a message (STYLE.md 2.6; see
 * docs/decisions/0003-oom-aborts.md): every size that comes from outside is checked against a
 * named limit before allocating, so only a genuinely exhausted machine reaches the abort. */
#ifndef RN_BASE_MEM_H
#define RN_BASE_MEM_H

#include <stddef.h>

void *rn_malloc(size_t n);
void *rn_calloc(size_t count, size_t size);
void *rn_realloc(void *p, size_t n);
void rn_free(void *p);
/** Copy of the NUL-terminated string s on the heap. */
char *rn_strdup(const char *s);
/** Copy of n bytes of p on the heap (NULL-safe for n == 0: returns a valid 1-byte block). */
void *rn_memdup(const void *p, size_t n);

/**
 * Zeroed memory for a large table of n bytes (hash maps that grow by doubling). From 2 MiB up it
 * is a mapping of its own, aligned to 2 MiB and marked for transparent huge pages (madvise), so
 * first touching it costs one page fault per 2 MiB instead of one per 4 KiB (decision 0021);
 * smaller tables, and every table under ASan, come from the heap. Free with rn_table_free and the
 * same n.
 */
void *rn_table_alloc(size_t n);
void rn_table_free(void *p, size_t n);

/**
 * rn_realloc for an array that grows by doubling to megabytes (a block builder's transactions
 * and receipts): from 2 MiB up the new block is a mapping of its own on a 2 MiB boundary, marked
 * for transparent huge pages, so filling it faults once per 2 MiB instead of once per 4 KiB
 * (decision 0021). The contents up to the old size move as with rn_realloc. rn_free and
 * rn_realloc take it like any heap block. Smaller sizes, and all sizes under ASan, are plain
 * rn_realloc.
 */
void *rn_realloc_huge(void *p, size_t n);

/**
 * Keep the heap's freed memory for reuse (decision 0021): blocks up to 32 MiB come from the heap
 * instead of a mapping of their own, and up to 64 MiB free at a heap's top is kept instead of
 * returned to the system. A block's big buffers (its receipts, the builder's arrays, LMDB's
 * pages for big values) are then the last block's memory, not fresh pages faulted in at ~12 µs
 * each on a paravirtualized host. Call once at start-up, before other threads exist.
 */
void rn_heap_keep(void);

/** Typed helpers: RN_NEW(T) zeroed single object, RN_NEWV(T, n) zeroed array. */
#define RN_NEW(T)     ((T *)rn_calloc(1, sizeof(T)))
#define RN_NEWV(T, n) ((T *)rn_calloc((n), sizeof(T)))

#endif
