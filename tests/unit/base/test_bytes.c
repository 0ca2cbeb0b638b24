#include <errno.h>
#include <malloc.h>
#include <sys/mman.h>

#include "base/base.h"
#include "harness.h"

TEST(hex, decode_fixed_accepts_prefix_and_rejects_bad_input)
{
    uint8_t out[2];
    CHECK_OK(hex_decode_fixed(out, 2, "0xAbcd", 6));
    CHECK_EQ_U64(out[0], 0xab);
    CHECK_EQ_U64(out[1], 0xcd);
    CHECK_OK(hex_decode_fixed(out, 2, "1234", 4));
    CHECK_ERR(ERR_HEX_ODD_LENGTH, hex_decode_fixed(out, 2, "123", 3));
    CHECK_ERR(ERR_HEX_BAD_LENGTH, hex_decode_fixed(out, 2, "123456", 6));
    CHECK_ERR(ERR_HEX_INVALID, hex_decode_fixed(out, 2, "12g4", 4));
}

TEST(hex, encode_roundtrip)
{
    uint8_t in[5] = { 0, 1, 0xab, 0xff, 0x10 };
    char txt[13];
    hex_encode_0x(txt, in, 5);
    CHECK_STR_EQ(txt, "0x0001abff10");
    buf_t b;
    buf_init(&b, 100);
    CHECK_OK(hex_decode_buf(&b, txt, strlen(txt)));
    CHECK_MEM_EQ(b.p, b.n, in, 5);
    buf_deinit(&b);
}

TEST(num, parse_u64_decimal_and_hex)
{
    uint64_t v;
    CHECK_OK(parse_u64("18446744073709551615", 20, &v));
    CHECK_EQ_U64(v, UINT64_MAX);
    CHECK_ERR(ERR_NUM_OVERFLOW, parse_u64("18446744073709551616", 20, &v));
    CHECK_OK(parse_u64("0xff", 4, &v));
    CHECK_EQ_U64(v, 255);
    CHECK_ERR(ERR_NUM_INVALID, parse_u64("12a", 3, &v));
    CHECK_ERR(ERR_NUM_INVALID, parse_u64("", 0, &v));
}

TEST(buf, cap_is_enforced_and_buffer_stays_valid)
{
    buf_t b;
    buf_init(&b, 8);
    CHECK_OK(buf_append(&b, "12345678", 8));
    CHECK_ERR(ERR_TOO_LARGE, buf_push(&b, 'x'));
    CHECK_EQ_U64(b.n, 0);
    CHECK_OK(buf_append(&b, "ab", 2));
    CHECK_OK(buf_printf(&b, "%d", 42));
    CHECK_MEM_EQ(b.p, b.n, "ab42", 4);
    buf_deinit(&b);
}

TEST(err, names_and_messages_come_from_one_table)
{
    CHECK_STR_EQ(err_name(ERR_RLP_NONCANON), "RLP_NONCANON");
    CHECK_STR_EQ(err_str(ERR_RLP_NONCANON), "rlp: non-canonical encoding");
    CHECK_STR_EQ(err_str(ERR_OK), "success");
}

/* Tables: zeroed and writable over their whole length; from 2 MiB up a mapping of their own,
 * aligned to 2 MiB (huge pages), given back whole on free; smaller ones from the heap. */
TEST(mem, tables_are_zeroed_and_big_ones_are_aligned_mappings)
{
    const size_t sizes[] = { 0, 1, 4096, (2u << 20) - 8, 2u << 20, (5u << 20) + 24 };
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        uint8_t *p = rn_table_alloc(n);
        CHECK(p != NULL);
        bool zero = true;
        for (size_t i = 0; i < n; i += 512)
            zero = zero && p[i] == 0;
        CHECK(zero && (n == 0 || p[n - 1] == 0));
#if !defined(__SANITIZE_ADDRESS__)
        if (n >= (2u << 20))
            CHECK_EQ_U64((uintptr_t)p & ((2u << 20) - 1), 0);
#endif
        memset(p, 0xab, n);
        rn_table_free(p, n);
    }
    rn_table_free(NULL, 4u << 20);
}

/* rn_realloc_huge: growing by doubling from a few bytes to 16 MiB keeps every byte written so
 * far; from 2 MiB up the block starts on a 2 MiB boundary (the huge-page stretches), except under
 * ASan (plain realloc). Asking for less than the block holds keeps it (outside ASan). */
TEST(mem, realloc_huge_keeps_contents_and_aligns_big_blocks)
{
    uint8_t *p = NULL;
    size_t have = 0;
    for (size_t n = 16; n <= (16u << 20); n *= 2) {
        p = rn_realloc_huge(p, n);
        CHECK(p != NULL);
        bool same = true;
        for (size_t i = 0; i < have; i += 4093)
            same = same && p[i] == (uint8_t)(i * 7 + i / 4096);
        CHECK(same && (have == 0 || p[have - 1] == (uint8_t)((have - 1) * 7 + (have - 1) / 4096)));
#if !defined(__SANITIZE_ADDRESS__)
        if (n >= (2u << 20))
            CHECK_EQ_U64((uintptr_t)p & ((2u << 20) - 1), 0);
#endif
        for (size_t i = have; i < n; i++)
            p[i] = (uint8_t)(i * 7 + i / 4096);
        have = n;
    }
    uint8_t *q = rn_realloc_huge(p, 3u << 20);
#if !defined(__SANITIZE_ADDRESS__) /* ASan's realloc always moves */
    CHECK(q == p);
#endif
    CHECK_EQ_U64(q[(3u << 20) - 1], (uint8_t)(((3u << 20) - 1) * 7 + ((3u << 20) - 1) / 4096));
    rn_free(q);
    rn_free(rn_realloc_huge(NULL, 5u << 20));
}

/* rn_realloc_huge's mappings: rn_free unmaps them (msync of an unmapped address fails with
 * ENOMEM); rn_realloc moves one to the heap with its contents; with more alive than its list
 * holds, the rest come from the heap, and every one keeps its contents and frees. */
TEST(mem, huge_arrays_unmap_move_to_the_heap_and_overflow_to_it)
{
#if !defined(__SANITIZE_ADDRESS__) /* under ASan they are heap blocks */
    uint8_t *p = rn_realloc_huge(NULL, 3u << 20);
    memset(p, 0x5a, 3u << 20);
    uint8_t *q = rn_realloc(p, 5000);
    CHECK(q != p && q[0] == 0x5a && q[4999] == 0x5a);
    errno = 0;
    CHECK(msync(p, 4096, MS_ASYNC) != 0 && errno == ENOMEM);
    rn_free(q);
    p = rn_realloc_huge(NULL, 2u << 20);
    p[(2u << 20) - 1] = 1;
    rn_free(p);
    errno = 0;
    CHECK(msync(p, 4096, MS_ASYNC) != 0 && errno == ENOMEM);

    enum {
        N = 300
    };

    static uint8_t *a[N];
    for (unsigned i = 0; i < N; i++) {
        a[i] = rn_realloc_huge(NULL, 2u << 20);
        CHECK_EQ_U64((uintptr_t)a[i] & ((2u << 20) - 1), 0);
        a[i][0] = (uint8_t)i;
    }
    bool same = true;
    for (unsigned i = 0; i < N; i++) {
        same = same && a[i][0] == (uint8_t)i;
        rn_free(a[i]);
    }
    CHECK(same);
#endif
}

/* rn_heap_keep: a block under 32 MiB comes from the heap, not a mapping of its own (mallinfo2's
 * hblks counts those), and once freed it stays in the heap for the next one (arena does not
 * shrink). Without the call glibc maps an 8 MiB block and unmaps it on free. */
TEST(mem, heap_keep_serves_big_blocks_from_the_heap_and_keeps_them)
{
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) /* theirs is not glibc's */
    rn_heap_keep();
    struct mallinfo2 a = mallinfo2();
    uint8_t *p = rn_malloc(8u << 20);
    memset(p, 1, 8u << 20);
    struct mallinfo2 b = mallinfo2();
    CHECK_EQ_U64(b.hblks, a.hblks);
    CHECK(b.arena >= (8u << 20)); /* in the heap (it may reuse what an earlier test freed) */
    rn_free(p);
    struct mallinfo2 c = mallinfo2();
    CHECK(c.arena >= b.arena);
#endif
}
