/* tests/unit/state/test_state.c — the journaled overlay: revert of every change kind, EIP-161
 * deletion, per-tx original values, EIP-6780, the change set and the in-memory backend. */
#include <string.h>

#include "crypto/crypto.h"
#include "harness.h"
#include "state/state.h"
#include "state/state_int.h"

static addr_t A(uint32_t n)
{
    addr_t a;
    memset(&a, 0, sizeof(a));
    a.b[18] = (uint8_t)(n >> 8);
    a.b[19] = (uint8_t)n;
    return a;
}

static u256_t U(uint64_t v)
{
    return u256_from_u64(v);
}

typedef struct fixture {
    state_mem_t *mem;
    state_backend_t be;
    state_t *st;
} fixture_t;

static void fx_init(fixture_t *f)
{
    f->mem = state_mem_new();
    addr_t a = A(1);
    u256_t k = U(1);
    static const uint8_t code[] = { 0x60, 0x00 };
    state_mem_put_account(f->mem, &a, 1, U(100), code, sizeof(code));
    state_mem_put_storage(f->mem, &a, &k, U(5));
    addr_t e = A(2); /* an empty account (exists, nothing in it) */
    state_mem_put_account(f->mem, &e, 0, U(0), NULL, 0);
    f->be = state_mem_backend(f->mem);
    f->st = state_new(&f->be);
}

static void fx_free(fixture_t *f)
{
    state_free(f->st);
    state_mem_free(f->mem);
}

TEST(state, reads_fall_through_to_the_backend)
{
    fixture_t f;
    fx_init(&f);
    addr_t a = A(1), none = A(9);
    u256_t k = U(1), k2 = U(2);
    bool ok = state_exists(f.st, &a) && !state_exists(f.st, &none) &&
              u256_eq(state_balance(f.st, &a), U(100)) && state_nonce(f.st, &a) == 1 &&
              state_code(f.st, &a).n == 2 && u256_eq(state_storage(f.st, &a, &k), U(5)) &&
              u256_is_zero(state_storage(f.st, &a, &k2));
    fx_free(&f);
    CHECK(ok);
}

TEST(state, revert_undoes_every_kind_of_change)
{
    fixture_t f;
    fx_init(&f);
    const evm_host_t *h = state_host();
    addr_t a = A(1), n = A(3);
    u256_t k = U(1);
    state_tx_begin(f.st);
    uint32_t snap = state_snapshot(f.st);
    state_add_balance(f.st, &a, U(11));
    state_set_nonce(f.st, &a, 7);
    static const uint8_t code2[] = { 0x00 };
    state_set_code(f.st, &a, code2, 1);
    state_set_storage(f.st, &a, &k, U(9));
    h->set_transient(f.st, &a, &k, U(3));
    bool was_warm = h->access_account(f.st, &n);
    hash_t topic;
    memset(&topic, 0, sizeof(topic));
    h->emit_log(f.st, &a, &topic, 1, NULL, 0);
    state_touch(f.st, &n); /* creates n */
    size_t nlogs;
    (void)state_logs(f.st, &nlogs);
    bool mid = nlogs == 1 && state_exists(f.st, &n) && u256_eq(state_balance(f.st, &a), U(111));
    state_revert(f.st, snap);
    (void)state_logs(f.st, &nlogs);
    bool after = u256_eq(state_balance(f.st, &a), U(100)) && state_nonce(f.st, &a) == 1 &&
                 state_code(f.st, &a).n == 2 && u256_eq(state_storage(f.st, &a, &k), U(5)) &&
                 u256_is_zero(h->get_transient(f.st, &a, &k)) && nlogs == 0 &&
                 !state_exists(f.st, &n) && !h->access_account(f.st, &n);
    fx_free(&f);
    CHECK(!was_warm);
    CHECK(mid);
    CHECK(after);
}

TEST(state, touched_empty_accounts_are_deleted_at_tx_end)
{
    fixture_t f;
    fx_init(&f);
    addr_t e = A(2), fresh = A(4), a = A(1);
    state_tx_begin(f.st);
    state_touch(f.st, &e);
    state_touch(f.st, &fresh);
    state_touch(f.st, &a); /* not empty: stays */
    state_tx_end(f.st);
    bool gone = !state_exists(f.st, &e) && !state_exists(f.st, &fresh) && state_exists(f.st, &a);
    state_changes_t ch;
    CHECK_OK(state_changes(f.st, &ch));
    bool deleted_e = false;
    for (size_t i = 0; i < ch.naccounts; i++) {
        if (addr_eq(&ch.accounts[i].addr, &e))
            deleted_e = ch.accounts[i].deleted;
    }
    state_mem_apply(f.mem, &ch);
    state_changes_free(&ch);
    state_account_t acct;
    bool in_backend = state_mem_get(f.mem, &e, &acct);
    fx_free(&f);
    CHECK(gone);
    CHECK(deleted_e);
    CHECK(!in_backend);
}

TEST(state, a_reverted_touch_does_not_delete)
{
    fixture_t f;
    fixture_t *fp = &f;
    fx_init(fp);
    addr_t e = A(2);
    state_tx_begin(f.st);
    uint32_t s = state_snapshot(f.st);
    state_touch(f.st, &e);
    state_revert(f.st, s);
    state_tx_end(f.st);
    bool kept = state_exists(f.st, &e);
    fx_free(&f);
    CHECK(kept);
}

TEST(state, original_value_is_per_transaction)
{
    fixture_t f;
    fx_init(&f);
    const evm_host_t *h = state_host();
    addr_t a = A(1);
    u256_t k = U(1), orig, cur;
    state_tx_begin(f.st);
    h->set_storage(f.st, &a, &k, U(6), &orig, &cur);
    bool tx1 = u256_eq(orig, U(5)) && u256_eq(cur, U(5));
    h->set_storage(f.st, &a, &k, U(7), &orig, &cur);
    tx1 = tx1 && u256_eq(orig, U(5)) && u256_eq(cur, U(6));
    state_tx_end(f.st);
    state_tx_begin(f.st);
    h->set_storage(f.st, &a, &k, U(8), &orig, &cur);
    bool tx2 = u256_eq(orig, U(7)) && u256_eq(cur, U(7));
    state_tx_end(f.st);
    fx_free(&f);
    CHECK(tx1);
    CHECK(tx2);
}

TEST(state, eip6780_selfdestruct_only_deletes_new_accounts)
{
    fixture_t f;
    fx_init(&f);
    const evm_host_t *h = state_host();
    addr_t old = A(1), created = A(5), ben = A(6);
    state_tx_begin(f.st);
    h->create_account(f.st, &created);
    h->set_nonce(f.st, &created, 1);
    state_add_balance(f.st, &created, U(40));
    h->selfdestruct(f.st, &created, &ben, EVM_SD_EIP6780);
    h->selfdestruct(f.st, &old, &ben, EVM_SD_EIP6780);
    bool during = state_exists(f.st, &created); /* deleted only when the tx ends */
    state_tx_end(f.st);
    bool ok = !state_exists(f.st, &created) && state_exists(f.st, &old) &&
              state_code(f.st, &old).n == 2 && u256_eq(state_balance(f.st, &old), U(0)) &&
              u256_eq(state_balance(f.st, &ben), U(140));
    fx_free(&f);
    CHECK(during);
    CHECK(ok);
}

TEST(state, full_selfdestruct_deletes_account_and_storage)
{
    fixture_t f;
    fx_init(&f);
    const evm_host_t *h = state_host();
    addr_t a = A(1), ben = A(6);
    u256_t k = U(1);
    state_tx_begin(f.st);
    h->selfdestruct(f.st, &a, &ben, EVM_SD_FULL);
    state_tx_end(f.st);
    bool gone = !state_exists(f.st, &a) && u256_is_zero(state_storage(f.st, &a, &k));
    state_changes_t ch;
    CHECK_OK(state_changes(f.st, &ch));
    state_mem_apply(f.mem, &ch);
    state_changes_free(&ch);
    state_backend_t be = state_mem_backend(f.mem);
    bool backend_clear =
        !be.has_storage(be.ctx, &a) && !state_mem_get(f.mem, &a, &(state_account_t){ 0 });
    fx_free(&f);
    CHECK(gone);
    CHECK(backend_clear);
}

TEST(state, change_set_round_trips_through_the_memory_backend)
{
    /* Applying the changes and reading back gives the overlay's view; the root changes and
     * returns to the original one when the change is undone the same way. */
    fixture_t f;
    fx_init(&f);
    hash_t r0, r1, r2;
    CHECK_OK(state_mem_root(f.mem, &r0));
    addr_t a = A(1), b = A(7);
    u256_t k = U(3);
    state_tx_begin(f.st);
    state_add_balance(f.st, &b, U(5));
    state_set_storage(f.st, &a, &k, U(1));
    state_tx_end(f.st);
    state_changes_t ch;
    CHECK_OK(state_changes(f.st, &ch));
    state_mem_apply(f.mem, &ch);
    state_changes_free(&ch);
    CHECK_OK(state_mem_root(f.mem, &r1));
    state_t *st2 = state_new(&f.be);
    state_tx_begin(st2);
    state_sub_balance(st2, &b, U(5)); /* b becomes empty: deleted (EIP-161) */
    state_set_storage(st2, &a, &k, U(0));
    state_tx_end(st2);
    CHECK_OK(state_changes(st2, &ch));
    state_mem_apply(f.mem, &ch);
    state_changes_free(&ch);
    state_free(st2);
    CHECK_OK(state_mem_root(f.mem, &r2));
    fx_free(&f);
    CHECK(!hash_eq(&r0, &r1));
    CHECK(hash_eq(&r0, &r2));
}

TEST(state, empty_state_root)
{
    state_mem_t *m = state_mem_new();
    hash_t r;
    err_t e = state_mem_root(m, &r);
    state_mem_free(m);
    CHECK_OK(e);
    CHECK(hash_eq(&r, &KECCAK_EMPTY_TRIE));
}

/* The map under the overlay and the account cache: reserving room keeps later inserts from
 * rehashing (the account cache reserves between blocks, off the block's path), and every entry
 * survives the rehash the reserve does. */
TEST(state, reserved_accounts_are_added_without_growing_the_records)
{
    fixture_t f;
    fx_init(&f);
    state_add_balance(f.st, &(addr_t){ 0 }, U(1)); /* a record before the reservation */
    state_reserve_accounts(f.st, 2000);
    const void *objs = f.st->objs;
    size_t cap = f.st->cap_objs, mcap = f.st->obj_map.cap;
    CHECK(cap >= f.st->nobjs + 2000);
    for (uint32_t i = 100; i < 2100; i++) {
        addr_t a = A(i);
        state_add_balance(f.st, &a, U(i));
    }
    CHECK(f.st->objs == objs && f.st->cap_objs == cap && f.st->obj_map.cap == mcap);
    state_reserve_accounts(f.st, cap - f.st->nobjs); /* what is left: nothing moves */
    CHECK(f.st->objs == objs && f.st->cap_objs == cap);
    state_reserve_accounts(f.st, cap - f.st->nobjs + 1); /* one more: at least doubles */
    CHECK(f.st->cap_objs >= 2 * cap);
    addr_t one = A(1);
    bool ok = u256_eq(state_balance(f.st, &one), U(100)) && state_nonce(f.st, &one) == 1;
    for (uint32_t i = 100; i < 2100 && ok; i++) {
        addr_t a = A(i);
        ok = u256_eq(state_balance(f.st, &a), U(i));
    }
    CHECK(ok);
    fx_free(&f);
}

TEST(state, hmap_reserve_makes_room_for_later_inserts)
{
    hmap_t m;
    state__hmap_init(&m, 20, sizeof(uint64_t));
    for (uint32_t i = 0; i < 100; i++)
        *(uint64_t *)state__hmap_put(&m, A(i).b, NULL) = i * 3;
    state__hmap_reserve(&m, 3100);
    const uint8_t *table = m.e;
    size_t cap = m.cap;
    CHECK(cap * 3 >= 3100 * 4);
    for (uint32_t i = 100; i < 3100; i++)
        *(uint64_t *)state__hmap_put(&m, A(i).b, NULL) = i * 3;
    CHECK(m.e == table && m.cap == cap); /* no rehash on the way */
    CHECK(m.n == 3100);
    for (uint32_t i = 0; i < 3100; i++) {
        const uint64_t *v = state__hmap_get(&m, A(i).b);
        CHECK(v != NULL && *v == i * 3);
    }
    state__hmap_reserve(&m, 10); /* never shrinks */
    CHECK(m.e == table && m.cap == cap);
    state__hmap_deinit(&m);
}
