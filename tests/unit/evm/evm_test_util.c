/* tests/unit/evm/evm_test_util.c — bytecode builder and recording mock host. */
#include "evm_test_util.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

/* ---- builder ---- */

void bc_op(bc_t *b, uint8_t op)
{
    b->p[b->n++] = op;
}

void bc_bytes(bc_t *b, const uint8_t *p, size_t n)
{
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void bc_push_u256(bc_t *b, u256_t v)
{
    uint8_t be[32];
    u256_to_be(be, v);
    unsigned skip = 0;
    while (skip < 31 && be[skip] == 0)
        skip++;
    bc_op(b, (uint8_t)(OP_PUSH1 + (31 - skip)));
    bc_bytes(b, be + skip, 32 - skip);
}

void bc_push(bc_t *b, uint64_t v)
{
    bc_push_u256(b, u256_from_u64(v));
}

void bc_push_addr(bc_t *b, const addr_t *a)
{
    bc_op(b, OP_PUSH20);
    bc_bytes(b, a->b, 20);
}

void bc_sstore_top(bc_t *b, uint64_t key)
{
    bc_push(b, key);
    bc_op(b, OP_SSTORE);
}

void bc_return_top(bc_t *b)
{
    bc_push(b, 0);
    bc_op(b, OP_MSTORE);
    bc_push(b, 32);
    bc_push(b, 0);
    bc_op(b, OP_RETURN);
}

void bc_call(bc_t *b, uint8_t op, uint64_t gas, const addr_t *to, uint64_t value, uint64_t in_off,
             uint64_t in_len, uint64_t out_off, uint64_t out_len)
{
    bc_push(b, out_len);
    bc_push(b, out_off);
    bc_push(b, in_len);
    bc_push(b, in_off);
    if (op == OP_CALL || op == OP_CALLCODE)
        bc_push(b, value);
    bc_push_addr(b, to);
    bc_push(b, gas);
    bc_op(b, op);
}

addr_t test_addr(uint32_t n)
{
    addr_t a;
    memset(&a, 0, sizeof(a));
    a.b[16] = (uint8_t)(n >> 24);
    a.b[17] = (uint8_t)(n >> 16);
    a.b[18] = (uint8_t)(n >> 8);
    a.b[19] = (uint8_t)n;
    return a;
}

/* ---- mock host ---- */

static void record(mock_host_t *m, mock_call_t c, const addr_t *a, const u256_t *key)
{
    if (m->nrec >= MOCK_MAX_RECORDS)
        return;
    mock_record_t *r = &m->rec[m->nrec++];
    memset(r, 0, sizeof(*r));
    r->call = c;
    if (a)
        r->addr = *a;
    if (key)
        r->key = *key;
}

static mock_account_t *find(mock_host_t *m, const addr_t *a)
{
    for (size_t i = 0; i < m->s.nacct; i++) {
        if (addr_eq(&m->s.acct[i].addr, a))
            return &m->s.acct[i];
    }
    return NULL;
}

static mock_account_t *find_live(mock_host_t *m, const addr_t *a)
{
    mock_account_t *x = find(m, a);
    return x && x->exists ? x : NULL;
}

mock_account_t *mock_account(mock_host_t *m, const addr_t *a)
{
    mock_account_t *x = find(m, a);
    if (!x) {
        if (m->s.nacct >= MOCK_MAX_ACCOUNTS)
            abort();
        x = &m->s.acct[m->s.nacct++];
        memset(x, 0, sizeof(*x));
        x->addr = *a;
    }
    x->exists = true;
    return x;
}

void mock_set_code(mock_host_t *m, const addr_t *a, const bc_t *b)
{
    mock_account_t *x = mock_account(m, a);
    if (b->n > MOCK_MAX_CODE)
        abort();
    memcpy(x->code, b->p, b->n);
    x->code_len = b->n;
}

static mock_slot_t *slot(mock_account_t *x, const u256_t *key, bool create)
{
    for (size_t i = 0; i < x->nslots; i++) {
        if (u256_eq(x->slots[i].key, *key))
            return &x->slots[i];
    }
    if (!create)
        return NULL;
    if (x->nslots >= MOCK_MAX_SLOTS)
        abort();
    mock_slot_t *s = &x->slots[x->nslots++];
    memset(s, 0, sizeof(*s));
    s->key = *key;
    return s;
}

u256_t mock_storage(mock_host_t *m, const addr_t *a, uint64_t key)
{
    mock_account_t *x = find_live(m, a);
    u256_t k = u256_from_u64(key);
    mock_slot_t *s = x ? slot(x, &k, false) : NULL;
    return s ? s->value : u256_zero();
}

size_t mock_count(const mock_host_t *m, mock_call_t c, const addr_t *a)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nrec; i++) {
        if (m->rec[i].call == c && (!a || addr_eq(&m->rec[i].addr, a)))
            n++;
    }
    return n;
}

void mock_warm(mock_host_t *m, const addr_t *a)
{
    m->s.warm[m->s.nwarm++] = *a;
}

static bool h_exists(void *ctx, const addr_t *a)
{
    return find_live(ctx, a) != NULL;
}

static bool h_is_empty(void *ctx, const addr_t *a)
{
    mock_account_t *x = find_live(ctx, a);
    return !x || (x->nonce == 0 && u256_is_zero(x->balance) && x->code_len == 0);
}

static u256_t h_balance(void *ctx, const addr_t *a)
{
    record(ctx, MC_GET_BALANCE, a, NULL);
    mock_account_t *x = find_live(ctx, a);
    return x ? x->balance : u256_zero();
}

static uint64_t h_nonce(void *ctx, const addr_t *a)
{
    mock_account_t *x = find_live(ctx, a);
    return x ? x->nonce : 0;
}

static void h_set_nonce(void *ctx, const addr_t *a, uint64_t n)
{
    mock_account(ctx, a)->nonce = n;
}

static bview_t h_code(void *ctx, const addr_t *a)
{
    mock_account_t *x = find_live(ctx, a);
    return x ? bview(x->code, x->code_len) : bview(NULL, 0);
}

static hash_t h_code_hash(void *ctx, const addr_t *a)
{
    mock_account_t *x = find_live(ctx, a);
    if (!x) {
        hash_t z;
        memset(&z, 0, sizeof(z));
        return z;
    }
    return keccak256_hash(x->code, x->code_len);
}

static void h_set_code(void *ctx, const addr_t *a, const uint8_t *code, size_t n)
{
    mock_account_t *x = mock_account(ctx, a);
    if (n > MOCK_MAX_CODE)
        abort();
    memcpy(x->code, code, n);
    x->code_len = n;
}

static bool h_has_storage(void *ctx, const addr_t *a)
{
    mock_account_t *x = find_live(ctx, a);
    if (!x)
        return false;
    for (size_t i = 0; i < x->nslots; i++) {
        if (!u256_is_zero(x->slots[i].original))
            return true;
    }
    return false;
}

static u256_t h_get_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    record(ctx, MC_GET_STORAGE, a, key);
    mock_account_t *x = find_live(ctx, a);
    mock_slot_t *s = x ? slot(x, key, false) : NULL;
    return s ? s->value : u256_zero();
}

static void h_set_storage(void *ctx, const addr_t *a, const u256_t *key, u256_t v, u256_t *orig,
                          u256_t *cur)
{
    record(ctx, MC_SET_STORAGE, a, key);
    mock_slot_t *s = slot(mock_account(ctx, a), key, true);
    *orig = s->original;
    *cur = s->value;
    s->value = v;
}

static u256_t h_get_transient(void *ctx, const addr_t *a, const u256_t *key)
{
    mock_host_t *m = ctx;
    for (size_t i = 0; i < m->s.ntransient; i++) {
        if (addr_eq(&m->s.transient[i].a, a) && u256_eq(m->s.transient[i].k, *key))
            return m->s.transient[i].v;
    }
    return u256_zero();
}

static void h_set_transient(void *ctx, const addr_t *a, const u256_t *key, u256_t v)
{
    mock_host_t *m = ctx;
    for (size_t i = 0; i < m->s.ntransient; i++) {
        if (addr_eq(&m->s.transient[i].a, a) && u256_eq(m->s.transient[i].k, *key)) {
            m->s.transient[i].v = v;
            return;
        }
    }
    m->s.transient[m->s.ntransient].a = *a;
    m->s.transient[m->s.ntransient].k = *key;
    m->s.transient[m->s.ntransient].v = v;
    m->s.ntransient++;
}

static bool h_access_account(void *ctx, const addr_t *a)
{
    mock_host_t *m = ctx;
    record(m, MC_ACCESS_ACCOUNT, a, NULL);
    for (size_t i = 0; i < m->s.nwarm; i++) {
        if (addr_eq(&m->s.warm[i], a))
            return true;
    }
    m->s.warm[m->s.nwarm++] = *a;
    return false;
}

static bool h_access_storage(void *ctx, const addr_t *a, const u256_t *key)
{
    mock_host_t *m = ctx;
    record(m, MC_ACCESS_STORAGE, a, key);
    for (size_t i = 0; i < m->s.nwarm_slots; i++) {
        if (addr_eq(&m->s.warm_slots[i].a, a) && u256_eq(m->s.warm_slots[i].k, *key))
            return true;
    }
    m->s.warm_slots[m->s.nwarm_slots].a = *a;
    m->s.warm_slots[m->s.nwarm_slots].k = *key;
    m->s.nwarm_slots++;
    return false;
}

static void h_emit_log(void *ctx, const addr_t *a, const hash_t *topics, size_t ntopics,
                       const uint8_t *data, size_t n)
{
    mock_host_t *m = ctx;
    (void)data;
    (void)n;
    record(m, MC_EMIT_LOG, a, NULL);
    if (ntopics)
        m->last_topic0 = topics[0];
    m->s.nlogs++;
}

static void h_transfer(void *ctx, const addr_t *from, const addr_t *to, u256_t v)
{
    record(ctx, MC_TRANSFER, to, NULL);
    mock_account_t *f = mock_account(ctx, from);
    f->balance = u256_sub(f->balance, v);
    mock_account_t *t = mock_account(ctx, to);
    t->balance = u256_add(t->balance, v);
}

static void h_touch(void *ctx, const addr_t *a)
{
    record(ctx, MC_TOUCH, a, NULL);
}

static void h_create_account(void *ctx, const addr_t *a)
{
    record(ctx, MC_CREATE_ACCOUNT, a, NULL);
    mock_account(ctx, a)->created = true;
}

static void h_selfdestruct(void *ctx, const addr_t *a, const addr_t *b, evm_selfdestruct_mode_t md)
{
    (void)md;
    record(ctx, MC_SELFDESTRUCT, a, NULL);
    mock_account_t *x = mock_account(ctx, a);
    u256_t bal = x->balance;
    x->balance = u256_zero();
    mock_account_t *y = mock_account(ctx, b);
    y->balance = u256_add(y->balance, bal);
    x = mock_account(ctx, a);
    x->destructed = true;
}

static uint32_t h_snapshot(void *ctx)
{
    mock_host_t *m = ctx;
    if (m->nsnaps >= 64)
        abort();
    m->snaps[m->nsnaps] = malloc(sizeof(mock_state_t));
    memcpy(m->snaps[m->nsnaps], &m->s, sizeof(mock_state_t));
    return (uint32_t)m->nsnaps++;
}

static void h_revert(void *ctx, uint32_t snap)
{
    mock_host_t *m = ctx;
    memcpy(&m->s, m->snaps[snap], sizeof(mock_state_t));
    while (m->nsnaps > snap)
        free(m->snaps[--m->nsnaps]);
}

static hash_t h_block_hash(void *ctx, uint64_t n)
{
    mock_host_t *m = ctx;
    if (m->nrec < MOCK_MAX_RECORDS) {
        m->rec[m->nrec].call = MC_BLOCK_HASH;
        m->rec[m->nrec].number = n;
        m->nrec++;
    }
    hash_t h;
    memset(&h, 0, sizeof(h));
    h.b[31] = (uint8_t)n;
    h.b[0] = 0xbb;
    return h;
}

static const evm_host_t MOCK = {
    .account_exists = h_exists,
    .account_is_empty = h_is_empty,
    .get_balance = h_balance,
    .get_nonce = h_nonce,
    .set_nonce = h_set_nonce,
    .get_code = h_code,
    .get_code_hash = h_code_hash,
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

const evm_host_t *mock_table(void)
{
    return &MOCK;
}

mock_host_t *mock_new(void)
{
    return calloc(1, sizeof(mock_host_t));
}

void mock_free(mock_host_t *m)
{
    if (!m)
        return;
    while (m->nsnaps)
        free(m->snaps[--m->nsnaps]);
    free(m);
}

/* ---- running ---- */

static evm_t *vms[2];
static uint8_t outs[2][4096];

evm_result_t run_code(const bc_t *code, const run_opts_t *o, mock_host_t **host, bool *agree)
{
    static evm_rules_t cancun;
    static bool init;
    if (!init) {
        evm_rules_ethereum(&cancun, EVM_ETH_CANCUN);
        init = true;
    }
    evm_block_t defblock;
    memset(&defblock, 0, sizeof(defblock));
    defblock.number = 100;
    defblock.timestamp = 1000;
    defblock.gas_limit = 30000000;
    defblock.chain_id = u256_from_u64(1);
    defblock.coinbase = test_addr(0xc0b);
    defblock.base_fee = u256_from_u64(7);
    evm_tx_env_t tx;
    memset(&tx, 0, sizeof(tx));
    tx.origin = test_addr(0xca11);
    tx.gas_price = u256_from_u64(10);
    evm_result_t res[2];
    mock_host_t *hosts[2];
    for (int d = 0; d < 2; d++) {
        if (!vms[d]) {
            vms[d] = evm_new();
            evm_set_dispatch(vms[d], d ? EVM_DISPATCH_SWITCH : EVM_DISPATCH_CGOTO);
        }
        mock_host_t *m = mock_new();
        hosts[d] = m;
        addr_t self = test_addr(0xc0de), caller = test_addr(0xca11);
        mock_set_code(m, &self, code);
        mock_account(m, &self)->nonce = 1;
        mock_account(m, &caller)->balance = u256_from_u64(1000000000);
        mock_warm(m, &self);
        mock_warm(m, &caller);
        if (o->setup)
            o->setup(m);
        m->nrec = 0;
        evm_env_t env = {
            .rules = o->rules ? o->rules : &cancun,
            .host = mock_table(),
            .host_ctx = m,
            .block = o->block ? o->block : &defblock,
            .tx = &tx,
        };
        evm_message_t msg;
        memset(&msg, 0, sizeof(msg));
        msg.kind = EVM_CALL;
        msg.is_static = o->is_static;
        msg.gas = o->gas ? o->gas : 1000000;
        msg.recipient = msg.code_address = self;
        msg.sender = caller;
        msg.value = o->value;
        msg.input = o->input;
        msg.input_len = o->input_len;
        res[d] = evm_execute(vms[d], &env, &msg);
        size_t n = res[d].output.n < sizeof(outs[d]) ? res[d].output.n : sizeof(outs[d]);
        if (n)
            memcpy(outs[d], res[d].output.p, n);
        res[d].output = bview(outs[d], n);
    }
    *agree = res[0].status == res[1].status && res[0].gas_left == res[1].gas_left &&
             res[0].gas_refund == res[1].gas_refund && bview_eq(res[0].output, res[1].output);
    mock_free(hosts[1]);
    if (host)
        *host = hosts[0];
    else
        mock_free(hosts[0]);
    return res[0];
}
