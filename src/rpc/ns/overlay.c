/* A state backend layered over another one (exec.h): what eth_call's state overrides and
 * eth_simulateV1's carried state put in front of the database's state at a block. Accounts and
 * slots live in two open-addressing tables; an account entry may drop every stored slot below it
 * (the override's `state`, a deleted or re-created account). Code is kept by hash. */
#include <string.h>

#include "crypto/crypto.h"
#include "rpc/ns/exec.h"

typedef struct ov_acct {
    addr_t addr;
    bool used;
    bool exists;          /**< false: the account is absent (deleted) */
    bool storage_cleared; /**< slots below this layer read zero */
    state_account_t acc;
} ov_acct_t;

typedef struct ov_slot {
    addr_t addr;
    bool used;
    u256_t key;
    u256_t value;
} ov_slot_t;

typedef struct ov_code {
    hash_t hash;
    uint8_t *code;
    size_t n;
} ov_code_t;

struct rpc_overlay {
    state_backend_t base;
    ov_acct_t *accts;
    size_t naccts, acap; /* acap: power of two */
    ov_slot_t *slots;
    size_t nslots, scap;
    ov_code_t *codes;
    size_t ncodes, ccap;
};

static uint64_t mix(const uint8_t *p, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static size_t acct_pos(const ov_acct_t *t, size_t cap, const addr_t *a)
{
    size_t i = (size_t)mix(a->b, 20, 0xcbf29ce484222325ull) & (cap - 1);
    while (t[i].used && memcmp(t[i].addr.b, a->b, 20) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static size_t slot_pos(const ov_slot_t *t, size_t cap, const addr_t *a, const u256_t *k)
{
    uint64_t h = mix(a->b, 20, 0xcbf29ce484222325ull);
    h = mix((const uint8_t *)k->w, sizeof(k->w), h);
    size_t i = (size_t)h & (cap - 1);
    while (t[i].used && (memcmp(t[i].addr.b, a->b, 20) != 0 || !u256_eq(t[i].key, *k)))
        i = (i + 1) & (cap - 1);
    return i;
}

static ov_acct_t *acct_find(const rpc_overlay_t *o, const addr_t *a)
{
    if (!o->acap)
        return NULL;
    ov_acct_t *e = &o->accts[acct_pos(o->accts, o->acap, a)];
    return e->used ? e : NULL;
}

static ov_acct_t *acct_get(rpc_overlay_t *o, const addr_t *a)
{
    if ((o->naccts + 1) * 2 > o->acap) {
        size_t cap = o->acap ? o->acap * 2 : 64;
        ov_acct_t *t = RN_NEWV(ov_acct_t, cap);
        memset(t, 0, cap * sizeof(*t));
        for (size_t i = 0; i < o->acap; i++)
            if (o->accts[i].used)
                t[acct_pos(t, cap, &o->accts[i].addr)] = o->accts[i];
        rn_free(o->accts);
        o->accts = t;
        o->acap = cap;
    }
    ov_acct_t *e = &o->accts[acct_pos(o->accts, o->acap, a)];
    if (!e->used) {
        memset(e, 0, sizeof(*e));
        e->used = true;
        e->addr = *a;
        e->acc.code_hash = KECCAK_EMPTY;
        /* Start from what is below (balance, nonce, code). */
        e->exists = o->base.get_account(o->base.ctx, a, &e->acc);
        if (!e->exists)
            e->acc = (state_account_t){ .code_hash = KECCAK_EMPTY };
        o->naccts++;
    }
    return e;
}

static void slot_put(rpc_overlay_t *o, const addr_t *a, const u256_t *k, u256_t v)
{
    if ((o->nslots + 1) * 2 > o->scap) {
        size_t cap = o->scap ? o->scap * 2 : 256;
        ov_slot_t *t = RN_NEWV(ov_slot_t, cap);
        memset(t, 0, cap * sizeof(*t));
        for (size_t i = 0; i < o->scap; i++)
            if (o->slots[i].used)
                t[slot_pos(t, cap, &o->slots[i].addr, &o->slots[i].key)] = o->slots[i];
        rn_free(o->slots);
        o->slots = t;
        o->scap = cap;
    }
    ov_slot_t *e = &o->slots[slot_pos(o->slots, o->scap, a, k)];
    if (!e->used) {
        e->used = true;
        e->addr = *a;
        e->key = *k;
        o->nslots++;
    }
    e->value = v;
}

/* Forget the slots of a kept in this layer (their entries read zero afterwards). */
static void slots_zero(rpc_overlay_t *o, const addr_t *a)
{
    for (size_t i = 0; i < o->scap; i++)
        if (o->slots[i].used && memcmp(o->slots[i].addr.b, a->b, 20) == 0)
            o->slots[i].value = u256_from_u64(0);
}

/* ---- the backend ---- */

static bool ov_get_account(void *ctx, const addr_t *a, state_account_t *out)
{
    rpc_overlay_t *o = ctx;
    const ov_acct_t *e = acct_find(o, a);
    if (!e)
        return o->base.get_account(o->base.ctx, a, out);
    if (e->exists)
        *out = e->acc;
    return e->exists;
}

static u256_t ov_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    rpc_overlay_t *o = ctx;
    if (o->scap) {
        const ov_slot_t *s = &o->slots[slot_pos(o->slots, o->scap, a, key)];
        if (s->used)
            return s->value;
    }
    const ov_acct_t *e = acct_find(o, a);
    if (e && (e->storage_cleared || !e->exists))
        return u256_from_u64(0);
    return o->base.get_storage(o->base.ctx, a, key);
}

static bview_t ov_get_code(void *ctx, const hash_t *h)
{
    rpc_overlay_t *o = ctx;
    for (size_t i = 0; i < o->ncodes; i++)
        if (hash_eq(&o->codes[i].hash, h))
            return bview(o->codes[i].code, o->codes[i].n);
    return o->base.get_code(o->base.ctx, h);
}

static bool ov_has_storage(void *ctx, const addr_t *a)
{
    rpc_overlay_t *o = ctx;
    for (size_t i = 0; i < o->scap; i++)
        if (o->slots[i].used && memcmp(o->slots[i].addr.b, a->b, 20) == 0 &&
            !u256_is_zero(o->slots[i].value))
            return true;
    const ov_acct_t *e = acct_find(o, a);
    if (e && (e->storage_cleared || !e->exists))
        return false;
    return o->base.has_storage(o->base.ctx, a);
}

rpc_overlay_t *rpc__overlay_new(const state_backend_t *base)
{
    rpc_overlay_t *o = RN_NEW(rpc_overlay_t);
    memset(o, 0, sizeof(*o));
    o->base = *base;
    return o;
}

void rpc__overlay_free(rpc_overlay_t *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->ncodes; i++)
        rn_free(o->codes[i].code);
    rn_free(o->codes);
    rn_free(o->accts);
    rn_free(o->slots);
    rn_free(o);
}

state_backend_t rpc__overlay_backend(rpc_overlay_t *o)
{
    return (state_backend_t){ .get_account = ov_get_account,
                              .get_storage = ov_get_storage,
                              .get_code = ov_get_code,
                              .has_storage = ov_has_storage,
                              .ctx = o };
}

void rpc__overlay_put_code(rpc_overlay_t *o, const uint8_t *code, size_t n, hash_t *hash)
{
    keccak256(hash->b, code, n);
    if (n == 0 || ov_get_code(o, hash).n == n)
        return;
    if (o->ncodes == o->ccap) {
        o->ccap = o->ccap ? o->ccap * 2 : 8;
        o->codes = rn_realloc(o->codes, o->ccap * sizeof(*o->codes));
    }
    ov_code_t *c = &o->codes[o->ncodes++];
    c->hash = *hash;
    c->n = n;
    c->code = rn_malloc(n);
    memcpy(c->code, code, n);
}

void rpc__overlay_set_balance(rpc_overlay_t *o, const addr_t *a, u256_t v)
{
    ov_acct_t *e = acct_get(o, a);
    e->exists = true;
    e->acc.balance = v;
}

void rpc__overlay_set_nonce(rpc_overlay_t *o, const addr_t *a, uint64_t nonce)
{
    ov_acct_t *e = acct_get(o, a);
    e->exists = true;
    e->acc.nonce = nonce;
}

void rpc__overlay_set_code(rpc_overlay_t *o, const addr_t *a, const uint8_t *code, size_t n)
{
    hash_t h;
    rpc__overlay_put_code(o, code, n, &h);
    ov_acct_t *e = acct_get(o, a);
    e->exists = true;
    e->acc.code_hash = n ? h : KECCAK_EMPTY;
}

void rpc__overlay_clear_storage(rpc_overlay_t *o, const addr_t *a)
{
    ov_acct_t *e = acct_get(o, a);
    e->storage_cleared = true;
    slots_zero(o, a);
}

void rpc__overlay_set_storage(rpc_overlay_t *o, const addr_t *a, const u256_t *key, u256_t v)
{
    slot_put(o, a, key, v);
}

void rpc__overlay_apply(rpc_overlay_t *o, const state_changes_t *c)
{
    for (size_t i = 0; i < c->ncodes; i++) {
        hash_t h;
        rpc__overlay_put_code(o, c->codes[i].code.p, c->codes[i].code.n, &h);
    }
    for (size_t i = 0; i < c->naccounts; i++) {
        const state_account_change_t *ch = &c->accounts[i];
        ov_acct_t *e = acct_get(o, &ch->addr);
        if (ch->deleted || ch->storage_cleared) {
            e->storage_cleared = true;
            slots_zero(o, &ch->addr);
        }
        e->exists = !ch->deleted;
        e->acc = ch->deleted ? (state_account_t){ .code_hash = KECCAK_EMPTY }
                             : (state_account_t){ .nonce = ch->nonce,
                                                  .balance = ch->balance,
                                                  .code_hash = ch->code_hash };
    }
    for (size_t i = 0; i < c->nslots; i++)
        slot_put(o, &c->slots[i].addr, &c->slots[i].key, c->slots[i].value);
}
