/* src/state/overlay.c — the journaled overlay: account and slot records loaded on first use,
 * every change journaled for revert, per-tx warm sets / transient storage / logs, EIP-161
 * deletion at the end of each tx, the change set, and the evm_host_t table over it all. */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "state/state_int.h"

/* RIPEMD-160's address: a touch of it survives a revert (the mainnet EIP-161 quirk at block
 * 2675119 that every client reproduces; geth's journal.touchChange). */
static const addr_t RIPEMD_ADDR = {
    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3 }
};

state_t *state_new(const state_backend_t *backend)
{
    state_t *st = RN_NEW(state_t);
    st->be = *backend;
    st->tx_id = 1;
    state__hmap_init(&st->obj_map, sizeof(addr_t), sizeof(uint32_t));
    state__hmap_init(&st->slot_map, sizeof(addr_t) + sizeof(u256_t), sizeof(uint32_t));
    state__hmap_init(&st->transient, sizeof(uint32_t) + sizeof(u256_t), sizeof(u256_t));
    return st;
}

static void free_logs_from(state_t *st, size_t from)
{
    for (size_t i = from; i < st->nlogs; i++)
        rn_free(st->logs[i].data);
    st->nlogs = from;
}

void state_free(state_t *st)
{
    if (!st)
        return;
    free_logs_from(st, 0);
    rn_free(st->logs);
    for (size_t i = 0; i < st->nowned; i++)
        rn_free(st->owned[i]);
    rn_free(st->owned);
    rn_free(st->objs);
    rn_free(st->slots);
    rn_free(st->journal);
    rn_free(st->tx_objs);
    rn_free(st->tx_slots);
    state__hmap_deinit(&st->obj_map);
    state__hmap_deinit(&st->slot_map);
    state__hmap_deinit(&st->transient);
    rn_free(st);
}

void state_reserve_accounts(state_t *st, size_t n)
{
    if (n <= st->cap_objs - st->nobjs)
        return;
    st->cap_objs = st->nobjs + n > 2 * st->cap_objs ? st->nobjs + n : 2 * st->cap_objs;
    st->objs = rn_realloc_huge(st->objs, st->cap_objs * sizeof(*st->objs));
    state__hmap_reserve(&st->obj_map, st->cap_objs);
}

void state_prefetch_account(state_t *st, const addr_t *a)
{
    if (st->be.prefetch_account)
        st->be.prefetch_account(st->be.ctx, a);
}

/* ---- records ---- */

static uint32_t obj_index(state_t *st, const addr_t *a);

/** The record of a (loaded on first use). The pointer is valid until the next record is added. */
static sobj_t *obj_get(state_t *st, const addr_t *a)
{
    uint32_t idx = obj_index(st, a);
    return &st->objs[idx];
}

static uint32_t obj_index_mru(state_t *st, const addr_t *a, uint32_t idx)
{
    unsigned i = st->mru_next++ % STATE_MRU;
    st->mru_addr[i] = *a;
    st->mru_idx[i] = idx;
    if (st->mru_n < STATE_MRU)
        st->mru_n++;
    return idx;
}

static uint32_t obj_index(state_t *st, const addr_t *a)
{
    for (unsigned i = 0; i < st->mru_n; i++) {
        if (addr_eq(&st->mru_addr[i], a))
            return st->mru_idx[i];
    }
    bool found;
    uint32_t *v = state__hmap_put(&st->obj_map, a->b, &found);
    if (found)
        return obj_index_mru(st, a, *v);
    uint32_t idx = (uint32_t)st->nobjs;
    *v = idx;
    STATE_GROW(st->objs, st->nobjs, st->cap_objs);
    sobj_t *o = &st->objs[idx];
    memset(o, 0, sizeof(*o));
    o->addr = *a;
    state_account_t acct;
    memset(&acct, 0, sizeof(acct));
    o->orig_exists = st->be.get_account(st->be.ctx, a, &acct);
    o->orig = acct;
    if (o->orig_exists) {
        o->flags = SOBJ_EXISTS;
        o->nonce = acct.nonce;
        o->balance = acct.balance;
        o->code_hash = acct.code_hash;
    } else {
        o->code_hash = KECCAK_EMPTY;
    }
    st->nobjs++;
    return obj_index_mru(st, a, idx);
}

static jent_t *jpush(state_t *st, jkind_t kind, uint32_t idx)
{
    STATE_GROW(st->journal, st->njournal, st->cap_journal);
    jent_t *j = &st->journal[st->njournal++];
    j->kind = (uint8_t)kind;
    j->idx = idx;
    return j;
}

static void mark_tx_obj(state_t *st, uint32_t idx)
{
    sobj_t *o = &st->objs[idx];
    if (o->seen_tx == st->tx_id)
        return;
    o->seen_tx = st->tx_id;
    STATE_GROW(st->tx_objs, st->ntx_objs, st->cap_tx_objs);
    st->tx_objs[st->ntx_objs++] = idx;
}

static void set_flags(state_t *st, uint32_t idx, uint8_t flags)
{
    sobj_t *o = &st->objs[idx];
    if (o->flags == flags)
        return;
    jpush(st, J_FLAGS, idx)->u.flags = o->flags;
    o->flags = flags;
    o->dirty = true;
    mark_tx_obj(st, idx);
}

/** Make the account exist and mark it touched (any change counts as a touch for EIP-161). */
static void touch_idx(state_t *st, uint32_t idx)
{
    sobj_t *o = &st->objs[idx];
    set_flags(st, idx, (uint8_t)(o->flags | SOBJ_EXISTS | SOBJ_TOUCHED));
    if (addr_eq(&st->objs[idx].addr, &RIPEMD_ADDR))
        mark_tx_obj(st, idx); /* checked at tx end whatever the journal says */
}

static bool obj_empty(const sobj_t *o)
{
    return o->nonce == 0 && u256_is_zero(o->balance) && hash_eq(&o->code_hash, &KECCAK_EMPTY);
}

static uint32_t slot_index(state_t *st, uint32_t obj, const u256_t *key)
{
    uint8_t k[sizeof(addr_t) + sizeof(u256_t)];
    memcpy(k, st->objs[obj].addr.b, 20);
    memcpy(k + 20, key, sizeof(u256_t));
    bool found;
    uint32_t *v = state__hmap_put(&st->slot_map, k, &found);
    if (found)
        return *v;
    uint32_t idx = (uint32_t)st->nslots;
    *v = idx;
    STATE_GROW(st->slots, st->nslots, st->cap_slots);
    sslot_t *s = &st->slots[idx];
    memset(s, 0, sizeof(*s));
    s->obj = obj;
    s->key = *key;
    const sobj_t *o = &st->objs[obj];
    if (!o->storage_cleared)
        s->committed = st->be.get_storage(st->be.ctx, &o->addr, key);
    s->value = s->original = s->committed;
    st->nslots++;
    return idx;
}

static void load_code(state_t *st, sobj_t *o)
{
    if (o->code_loaded)
        return;
    o->code_loaded = true;
    if (hash_eq(&o->code_hash, &KECCAK_EMPTY) || !(o->flags & SOBJ_EXISTS)) {
        o->code = NULL;
        o->code_len = 0;
        return;
    }
    bview_t c = st->be.get_code(st->be.ctx, &o->code_hash);
    o->code = c.p;
    o->code_len = c.n;
}

/* ---- public accessors and mutators ---- */

bool state_exists(state_t *st, const addr_t *a)
{
    return obj_get(st, a)->flags & SOBJ_EXISTS;
}

u256_t state_balance(state_t *st, const addr_t *a)
{
    return obj_get(st, a)->balance;
}

uint64_t state_nonce(state_t *st, const addr_t *a)
{
    return obj_get(st, a)->nonce;
}

bview_t state_code(state_t *st, const addr_t *a)
{
    sobj_t *o = obj_get(st, a);
    load_code(st, o);
    return bview(o->code, o->code_len);
}

u256_t state_storage(state_t *st, const addr_t *a, const u256_t *key)
{
    uint32_t obj = obj_index(st, a);
    uint32_t si = slot_index(st, obj, key);
    return st->slots[si].value;
}

static void set_balance_idx(state_t *st, uint32_t idx, u256_t v)
{
    touch_idx(st, idx);
    sobj_t *o = &st->objs[idx];
    jpush(st, J_BALANCE, idx)->u.val = o->balance;
    o->balance = v;
    o->dirty = true;
}

void state_add_balance(state_t *st, const addr_t *a, u256_t v)
{
    uint32_t idx = obj_index(st, a);
    if (u256_is_zero(v)) {
        touch_idx(st, idx);
        return;
    }
    set_balance_idx(st, idx, u256_add(st->objs[idx].balance, v));
}

void state_sub_balance(state_t *st, const addr_t *a, u256_t v)
{
    if (u256_is_zero(v))
        return;
    uint32_t idx = obj_index(st, a);
    set_balance_idx(st, idx, u256_sub(st->objs[idx].balance, v));
}

void state_set_nonce(state_t *st, const addr_t *a, uint64_t nonce)
{
    uint32_t idx = obj_index(st, a);
    touch_idx(st, idx);
    sobj_t *o = &st->objs[idx];
    jpush(st, J_NONCE, idx)->u.nonce = o->nonce;
    o->nonce = nonce;
    o->dirty = true;
}

void state_set_code(state_t *st, const addr_t *a, const uint8_t *code, size_t n)
{
    uint32_t idx = obj_index(st, a);
    touch_idx(st, idx);
    sobj_t *o = &st->objs[idx];
    load_code(st, o);
    jent_t *j = jpush(st, J_CODE, idx);
    j->u.code.hash = o->code_hash;
    j->u.code.code = o->code;
    j->u.code.len = o->code_len;
    j->u.code.loaded = o->code_loaded;
    if (n == 0) {
        o->code = NULL;
        o->code_hash = KECCAK_EMPTY;
    } else {
        uint8_t *copy = rn_memdup(code, n);
        STATE_GROW(st->owned, st->nowned, st->cap_owned);
        st->owned[st->nowned++] = copy;
        o->code = copy;
        o->code_hash = keccak256_hash(copy, n);
    }
    o->code_len = n;
    o->code_loaded = true;
    o->dirty = true;
}

static void set_storage_idx(state_t *st, uint32_t obj, const u256_t *key, u256_t v,
                            u256_t *original, u256_t *current)
{
    touch_idx(st, obj);
    uint32_t si = slot_index(st, obj, key);
    sslot_t *s = &st->slots[si];
    if (original)
        *original = s->original;
    if (current)
        *current = s->value;
    if (u256_eq(s->value, v))
        return;
    jpush(st, J_STORAGE, si)->u.val = s->value;
    s = &st->slots[si];
    s->value = v;
    s->dirty = true;
    if (s->seen_tx != st->tx_id) {
        s->seen_tx = st->tx_id;
        STATE_GROW(st->tx_slots, st->ntx_slots, st->cap_tx_slots);
        st->tx_slots[st->ntx_slots++] = si;
    }
}

void state_set_storage(state_t *st, const addr_t *a, const u256_t *key, u256_t v)
{
    set_storage_idx(st, obj_index(st, a), key, v, NULL, NULL);
}

void state_touch(state_t *st, const addr_t *a)
{
    touch_idx(st, obj_index(st, a));
}

static bool warm_account_idx(state_t *st, uint32_t idx)
{
    sobj_t *o = &st->objs[idx];
    if (o->warm_tx == st->tx_id)
        return true;
    jpush(st, J_WARM_ACCOUNT, idx)->u.stamp = o->warm_tx;
    st->objs[idx].warm_tx = st->tx_id;
    return false;
}

void state_warm_account(state_t *st, const addr_t *a)
{
    (void)warm_account_idx(st, obj_index(st, a));
}

static bool warm_slot(state_t *st, const addr_t *a, const u256_t *key)
{
    uint32_t si = slot_index(st, obj_index(st, a), key);
    sslot_t *s = &st->slots[si];
    if (s->warm_tx == st->tx_id)
        return true;
    jpush(st, J_WARM_SLOT, si)->u.stamp = s->warm_tx;
    st->slots[si].warm_tx = st->tx_id;
    return false;
}

void state_warm_slot(state_t *st, const addr_t *a, const u256_t *key)
{
    (void)warm_slot(st, a, key);
}

uint32_t state_snapshot(state_t *st)
{
    return (uint32_t)st->njournal;
}

void state_revert(state_t *st, uint32_t snap)
{
    while (st->njournal > snap) {
        jent_t *j = &st->journal[--st->njournal];
        switch ((jkind_t)j->kind) {
        case J_BALANCE:
            st->objs[j->idx].balance = j->u.val;
            break;
        case J_NONCE:
            st->objs[j->idx].nonce = j->u.nonce;
            break;
        case J_CODE: {
            sobj_t *o = &st->objs[j->idx];
            o->code_hash = j->u.code.hash;
            o->code = j->u.code.code;
            o->code_len = j->u.code.len;
            o->code_loaded = j->u.code.loaded;
            break;
        }
        case J_STORAGE:
            st->slots[j->idx].value = j->u.val;
            break;
        case J_TRANSIENT: {
            uint8_t k[sizeof(uint32_t) + sizeof(u256_t)];
            memcpy(k, &j->idx, sizeof(uint32_t));
            memcpy(k + sizeof(uint32_t), &j->u.tr.key, sizeof(u256_t));
            u256_t *v = state__hmap_put(&st->transient, k, NULL);
            *v = j->u.tr.val;
            break;
        }
        case J_FLAGS:
            st->objs[j->idx].flags = j->u.flags;
            break;
        case J_WARM_ACCOUNT:
            st->objs[j->idx].warm_tx = j->u.stamp;
            break;
        case J_WARM_SLOT:
            st->slots[j->idx].warm_tx = j->u.stamp;
            break;
        case J_LOG:
            free_logs_from(st, j->u.nlogs);
            break;
        }
    }
}

/* ---- transactions ---- */

void state_tx_begin(state_t *st)
{
    st->tx_id++;
    st->warm_pre = NULL;
    st->njournal = 0;
    st->ntx_objs = 0;
    st->ntx_slots = 0;
    state__hmap_clear(&st->transient);
    free_logs_from(st, 0);
}

static void delete_obj(state_t *st, uint32_t idx)
{
    sobj_t *o = &st->objs[idx];
    o->flags = 0;
    o->nonce = 0;
    o->balance = u256_zero();
    o->code_hash = KECCAK_EMPTY;
    o->code = NULL;
    o->code_len = 0;
    o->code_loaded = true;
    o->storage_cleared = true;
    o->dirty = true;
    for (size_t i = 0; i < st->nslots; i++) {
        sslot_t *s = &st->slots[i];
        if (s->obj == idx)
            s->value = s->original = s->committed = u256_zero();
    }
}

void state_tx_end(state_t *st)
{
    for (size_t i = 0; i < st->ntx_objs; i++) {
        uint32_t idx = st->tx_objs[i];
        sobj_t *o = &st->objs[idx];
        bool touched = (o->flags & SOBJ_TOUCHED) || addr_eq(&o->addr, &RIPEMD_ADDR);
        if (o->flags & SOBJ_DESTRUCT)
            delete_obj(st, idx);
        else if ((o->flags & SOBJ_EXISTS) && touched && obj_empty(o))
            delete_obj(st, idx); /* EIP-161 */
        o->flags &= (uint8_t) ~(SOBJ_CREATED | SOBJ_DESTRUCT | SOBJ_TOUCHED);
    }
    for (size_t i = 0; i < st->ntx_slots; i++) {
        sslot_t *s = &st->slots[st->tx_slots[i]];
        s->original = s->value;
    }
    st->ntx_objs = 0;
    st->ntx_slots = 0;
    st->njournal = 0;
    state__hmap_clear(&st->transient);
}

const log_t *state_logs(const state_t *st, size_t *n)
{
    *n = st->nlogs;
    return st->logs;
}

/* ---- change set ---- */

static int acct_change_cmp(const void *a, const void *b)
{
    return memcmp(((const state_account_change_t *)a)->addr.b,
                  ((const state_account_change_t *)b)->addr.b, 20);
}

static int slot_change_cmp(const void *a, const void *b)
{
    const state_slot_change_t *x = a, *y = b;
    int c = memcmp(x->addr.b, y->addr.b, 20);
    return c ? c : u256_cmp(x->key, y->key);
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

err_t state_changes(state_t *st, state_changes_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t cap_a = 0, cap_s = 0, cap_c = 0;
    /* Code this state owns (set during its life), sorted: one lookup per dirty object. */
    void **owned = NULL;
    if (st->nowned) {
        owned = RN_NEWV(void *, st->nowned);
        for (size_t k = 0; k < st->nowned; k++)
            owned[k] = (void *)st->owned[k];
        qsort(owned, st->nowned, sizeof(void *), ptr_cmp);
    }
    for (size_t i = 0; i < st->nobjs; i++) {
        sobj_t *o = &st->objs[i];
        if (!o->dirty)
            continue;
        STATE_GROW(out->accounts, out->naccounts, cap_a);
        state_account_change_t *c = &out->accounts[out->naccounts++];
        c->addr = o->addr;
        c->deleted = !(o->flags & SOBJ_EXISTS);
        c->storage_cleared = o->storage_cleared;
        c->nonce = o->nonce;
        c->balance = o->balance;
        c->code_hash = o->code_hash;
        c->prev_exists = o->orig_exists;
        c->prev = o->orig;
        /* Code set during this state's life is owned here; the backend may lack it. */
        void *code = (void *)o->code;
        if (!c->deleted && o->code_loaded && o->code_len && owned &&
            bsearch(&code, owned, st->nowned, sizeof(void *), ptr_cmp)) {
            STATE_GROW(out->codes, out->ncodes, cap_c);
            out->codes[out->ncodes].hash = o->code_hash;
            out->codes[out->ncodes].code = bview(o->code, o->code_len);
            out->ncodes++;
        }
    }
    rn_free(owned);
    for (size_t i = 0; i < st->nslots; i++) {
        sslot_t *s = &st->slots[i];
        const sobj_t *o = &st->objs[s->obj];
        if (!s->dirty || u256_eq(s->value, s->committed) || !(o->flags & SOBJ_EXISTS))
            continue;
        STATE_GROW(out->slots, out->nslots, cap_s);
        state_slot_change_t *c = &out->slots[out->nslots++];
        c->addr = o->addr;
        c->key = s->key;
        c->value = s->value;
    }
    /* Sorted by address (and slot): writers then touch the tables in key order, which keeps the
     * database's dirty pages together. */
    if (out->naccounts > 1)
        qsort(out->accounts, out->naccounts, sizeof(*out->accounts), acct_change_cmp);
    if (out->nslots > 1)
        qsort(out->slots, out->nslots, sizeof(*out->slots), slot_change_cmp);
    return ERR_OK;
}

void state_changes_free(state_changes_t *c)
{
    rn_free(c->accounts);
    rn_free(c->slots);
    rn_free(c->codes);
    memset(c, 0, sizeof(*c));
}

/* ---- the EVM host over the overlay ---- */

static bool h_account_exists(void *ctx, const addr_t *a)
{
    return state_exists(ctx, a);
}

static bool h_account_is_empty(void *ctx, const addr_t *a)
{
    state_t *st = ctx;
    const sobj_t *o = obj_get(st, a);
    return !(o->flags & SOBJ_EXISTS) || obj_empty(o);
}

static u256_t h_get_balance(void *ctx, const addr_t *a)
{
    return state_balance(ctx, a);
}

static uint64_t h_get_nonce(void *ctx, const addr_t *a)
{
    return state_nonce(ctx, a);
}

static void h_set_nonce(void *ctx, const addr_t *a, uint64_t nonce)
{
    state_set_nonce(ctx, a, nonce);
}

static bview_t h_get_code(void *ctx, const addr_t *a)
{
    return state_code(ctx, a);
}

static hash_t h_get_code_hash(void *ctx, const addr_t *a)
{
    state_t *st = ctx;
    const sobj_t *o = obj_get(st, a);
    if (!(o->flags & SOBJ_EXISTS)) {
        hash_t z;
        memset(&z, 0, sizeof(z));
        return z;
    }
    return o->code_hash;
}

static void h_set_code(void *ctx, const addr_t *a, const uint8_t *code, size_t n)
{
    state_set_code(ctx, a, code, n);
}

static bool h_has_storage(void *ctx, const addr_t *a)
{
    state_t *st = ctx;
    uint32_t idx = obj_index(st, a);
    sobj_t *o = &st->objs[idx];
    if (o->storage_cleared)
        return false;
    if (!o->backend_storage_known) {
        o->backend_storage = st->be.has_storage(st->be.ctx, a);
        o->backend_storage_known = true;
    }
    return o->backend_storage;
}

static u256_t h_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    return state_storage(ctx, a, key);
}

static void h_set_storage(void *ctx, const addr_t *a, const u256_t *key, u256_t v, u256_t *original,
                          u256_t *current)
{
    state_t *st = ctx;
    set_storage_idx(st, obj_index(st, a), key, v, original, current);
}

static u256_t h_get_transient(void *ctx, const addr_t *a, const u256_t *key)
{
    state_t *st = ctx;
    if (!st->transient.n)
        return u256_zero();
    uint32_t idx = obj_index(st, a);
    uint8_t k[sizeof(uint32_t) + sizeof(u256_t)];
    memcpy(k, &idx, sizeof(uint32_t));
    memcpy(k + sizeof(uint32_t), key, sizeof(u256_t));
    const u256_t *v = state__hmap_get(&st->transient, k);
    return v ? *v : u256_zero();
}

static void h_set_transient(void *ctx, const addr_t *a, const u256_t *key, u256_t val)
{
    state_t *st = ctx;
    uint32_t idx = obj_index(st, a);
    uint8_t k[sizeof(uint32_t) + sizeof(u256_t)];
    memcpy(k, &idx, sizeof(uint32_t));
    memcpy(k + sizeof(uint32_t), key, sizeof(u256_t));
    u256_t *v = state__hmap_put(&st->transient, k, NULL);
    jent_t *j = jpush(st, J_TRANSIENT, idx);
    j->u.tr.key = *key;
    j->u.tr.val = *v;
    *v = val;
}

static bool h_access_account(void *ctx, const addr_t *a)
{
    state_t *st = ctx;
    if (st->warm_pre && precompile_is_warm(st->warm_pre, a))
        return true;
    return warm_account_idx(st, obj_index(st, a));
}

static bool h_access_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    return warm_slot(ctx, a, key);
}

static void h_emit_log(void *ctx, const addr_t *a, const hash_t *topics, size_t ntopics,
                       const uint8_t *data, size_t n)
{
    state_t *st = ctx;
    jpush(st, J_LOG, 0)->u.nlogs = st->nlogs;
    STATE_GROW(st->logs, st->nlogs, st->cap_logs);
    log_t *l = &st->logs[st->nlogs++];
    memset(l, 0, sizeof(*l));
    l->addr = *a;
    l->ntopics = (uint8_t)ntopics;
    for (size_t i = 0; i < ntopics; i++)
        l->topics[i] = topics[i];
    l->data = n ? rn_memdup(data, n) : NULL;
    l->data_len = n;
}

static void h_transfer(void *ctx, const addr_t *from, const addr_t *to, u256_t value)
{
    state_sub_balance(ctx, from, value);
    state_add_balance(ctx, to, value);
}

static void h_touch(void *ctx, const addr_t *a)
{
    state_add_balance(ctx, a, u256_zero());
}

static void h_create_account(void *ctx, const addr_t *a)
{
    state_t *st = ctx;
    uint32_t idx = obj_index(st, a);
    set_flags(st, idx, (uint8_t)(st->objs[idx].flags | SOBJ_EXISTS | SOBJ_CREATED));
}

static void h_selfdestruct(void *ctx, const addr_t *a, const addr_t *beneficiary,
                           evm_selfdestruct_mode_t mode)
{
    state_t *st = ctx;
    uint32_t idx = obj_index(st, a);
    u256_t bal = st->objs[idx].balance;
    bool destroy = mode == EVM_SD_FULL || (st->objs[idx].flags & SOBJ_CREATED);
    if (mode == EVM_SD_EIP6780)
        state_sub_balance(st, a, bal);
    state_add_balance(st, beneficiary, bal);
    if (destroy) {
        /* The balance is gone now (burned if the beneficiary is the account itself); the
         * account itself goes at the end of the tx. */
        idx = obj_index(st, a);
        if (!u256_is_zero(st->objs[idx].balance))
            set_balance_idx(st, idx, u256_zero());
        set_flags(st, idx, (uint8_t)(st->objs[idx].flags | SOBJ_DESTRUCT));
    }
}

static uint32_t h_snapshot(void *ctx)
{
    return state_snapshot(ctx);
}

static void h_revert(void *ctx, uint32_t snap)
{
    state_revert(ctx, snap);
}

static hash_t h_block_hash(void *ctx, uint64_t number)
{
    state_t *st = ctx;
    if (st->block_hash)
        return st->block_hash(st->block_hash_ud, number);
    hash_t z;
    memset(&z, 0, sizeof(z));
    return z;
}

void state_set_block_hashes(state_t *st, state_block_hash_fn fn, void *ud)
{
    st->block_hash = fn;
    st->block_hash_ud = ud;
}

static const evm_host_t STATE_HOST = {
    .account_exists = h_account_exists,
    .account_is_empty = h_account_is_empty,
    .get_balance = h_get_balance,
    .get_nonce = h_get_nonce,
    .set_nonce = h_set_nonce,
    .get_code = h_get_code,
    .get_code_hash = h_get_code_hash,
    .set_code = h_set_code,
    .has_storage = h_has_storage,
    .get_storage = h_get_storage,
    .set_storage = h_set_storage,
    .get_transient = h_get_transient,
    .set_transient = h_set_transient,
    .access_account = h_access_account,
    .access_storage = h_access_storage,
    .emit_log = h_emit_log,
    .transfer = h_transfer,
    .touch = h_touch,
    .create_account = h_create_account,
    .selfdestruct = h_selfdestruct,
    .snapshot = h_snapshot,
    .revert = h_revert,
    .block_hash = h_block_hash,
};

const evm_host_t *state_host(void)
{
    return &STATE_HOST;
}
