/* Block building and import: SCROLL.md §5 (base fee), §6 (validity), §7 (execution pipeline),
 * §9.3 (GPO migrations) and §11 (building). One builder serves the sequencer (transactions added
 * one by one, rejected ones skipped) and import (every transaction must be valid). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "chain/chain_int.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "evm/evm.h"
#include "primitives/primitives.h"
#include "rlp/rlp.h"
#include "state/state.h"
#include "trie/trie.h"

enum {
    SYSTEM_CALL_GAS = 30000000,
    GAS_LIMIT_MIN = 5000,
    GAS_LIMIT_BOUND_DIVISOR = 1024,
};

static const addr_t SYSTEM_ADDR = {
    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe }
};

/* A block's transaction bytes stay far below this: at 4 gas a byte or more it would take a gas
 * limit above 8 G. */
static const size_t RAW_MAX = (size_t)1 << 31;

/* Blocks of this many transactions or more seal their lists on a second thread. */
static const size_t SEAL_THREAD_MIN = 32;

enum {
    L2_SYSTEM_CONFIG_SLOT_OVERHEAD = 101,
    L2_SYSTEM_CONFIG_SLOT_SCALAR = 102,
};

struct chain_builder {
    const chain_spec_t *spec;
    evm_t *evm;
    db_txn_t *txn;
    state_backend_t backend;
    state_db_cached_t cached; /**< the default backend's context */
    state_t *st;
    scroll_spec_t level;
    evm_rules_t rules;
    evm_block_t env;
    header_t header; /* fields filled at seal */
    gpo_values_t gpo;
    tx_t *txs;
    receipt_t *receipts;
    u256_t *l1_fees;
    addr_t *senders;
    buf_t raw;       /**< the transactions' EIP-2718 encodings, back to back */
    size_t *raw_end; /**< where each one ends in raw */
    size_t n, cap;
    uint64_t gas_used;
    uint64_t payload_bytes;
};

static u256_t slot(state_t *st, const addr_t *a, uint64_t k)
{
    u256_t key = u256_from_u64(k);
    return state_storage(st, a, &key);
}

static void set_slot(state_t *st, const addr_t *a, uint64_t k, uint64_t v)
{
    u256_t key = u256_from_u64(k);
    state_set_storage(st, a, &key, u256_from_u64(v));
}

/* §9.3: one-time GPO migrations (reth's rule: Curie at its block, Feynman/GalileoV2 whenever
 * active and the flag slot is not 1). */
static void gpo_migrations(chain_builder_t *b)
{
    const chain_spec_t *s = b->spec;
    uint64_t num = b->env.number, ts = b->env.timestamp;
    state_t *st = b->st;
    if (!s->forks[FORK_CURIE].by_time && s->forks[FORK_CURIE].at == num && num > 0 &&
        rn_code_gpo_curie_len) {
        state_set_code(st, &SCROLL_GPO_ADDRESS, rn_code_gpo_curie, rn_code_gpo_curie_len);
        set_slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_L1_BLOB_BASE_FEE, 1);
        set_slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_COMMIT_SCALAR, 230759955285ull);
        set_slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_BLOB_SCALAR, 417565260ull);
        set_slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_IS_CURIE, 1);
    }
    u256_t one = u256_from_u64(1);
    if (chain_fork_active(s, FORK_FEYNMAN, num, ts) && rn_code_gpo_feynman_len &&
        !u256_eq(slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_IS_FEYNMAN), one)) {
        state_set_code(st, &SCROLL_GPO_ADDRESS, rn_code_gpo_feynman, rn_code_gpo_feynman_len);
        set_slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_PENALTY_THRESHOLD, 1000000000ull);
        set_slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_PENALTY_FACTOR, 1000000000ull);
        set_slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_IS_FEYNMAN, 1);
    }
    if (chain_fork_active(s, FORK_GALILEO_V2, num, ts) && rn_code_gpo_galileo_v2_len &&
        !u256_eq(slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_IS_GALILEO), one)) {
        state_set_code(st, &SCROLL_GPO_ADDRESS, rn_code_gpo_galileo_v2, rn_code_gpo_galileo_v2_len);
        set_slot(st, &SCROLL_GPO_ADDRESS, GPO_SLOT_IS_GALILEO, 1);
    }
}

/* §7.1 step 5: the EIP-2935 system call with the parent hash. */
static void history_call(chain_builder_t *b, const hash_t *parent_hash)
{
    if (!state_code(b->st, &EVM_HISTORY_CONTRACT).n)
        return;
    state_tx_begin(b->st);
    evm_tx_env_t txe = { .origin = SYSTEM_ADDR };
    evm_env_t e = {
        .rules = &b->rules, .host = state_host(), .host_ctx = b->st, .block = &b->env, .tx = &txe
    };
    evm_message_t m = { .kind = EVM_CALL,
                        .gas = SYSTEM_CALL_GAS,
                        .recipient = EVM_HISTORY_CONTRACT,
                        .sender = SYSTEM_ADDR,
                        .code_address = EVM_HISTORY_CONTRACT,
                        .input = parent_hash->b,
                        .input_len = 32 };
    (void)evm_execute(b->evm, &e, &m);
    state_tx_end(b->st);
}

static u256_t gpo_slot(void *st, uint64_t k)
{
    return slot(st, &SCROLL_GPO_ADDRESS, k);
}

static void read_gpo(chain_builder_t *b)
{
    scroll_gpo_read(&b->gpo, gpo_slot, b->st);
}

/* §5.1, from the parent state (before this block's pre-execution). */
static bool base_fee(chain_builder_t *b, const header_t *parent, uint64_t *out)
{
    const chain_spec_t *s = b->spec;
    uint64_t num = b->env.number, ts = b->env.timestamp;
    if (!chain_fork_active(s, FORK_CURIE, num, ts))
        return false;
    /* L2SystemConfig slots; a zero address (dev) or zero slots mean the defaults. */
    bool has_cfg = !addr_eq(&s->l2_system_config, &(addr_t){ { 0 } });
    u256_t overhead = has_cfg ? slot(b->st, &s->l2_system_config, L2_SYSTEM_CONFIG_SLOT_OVERHEAD)
                              : u256_from_u64(0);
    if (chain_fork_active(s, FORK_FEYNMAN, num, ts)) {
        bool parent_feynman = chain_fork_active(s, FORK_FEYNMAN, parent->number, parent->timestamp);
        uint64_t ov =
            u256_is_zero(overhead) ? SCROLL_DEFAULT_BASE_FEE_OVERHEAD : (uint64_t)overhead.w[0];
        uint64_t pbf = parent->has_base_fee ? (uint64_t)parent->base_fee.w[0] : 0;
        *out = scroll_base_fee_feynman(parent_feynman, parent->has_base_fee, pbf, parent->gas_limit,
                                       parent->gas_used, ov);
        return true;
    }
    u256_t scalar = has_cfg ? slot(b->st, &s->l2_system_config, L2_SYSTEM_CONFIG_SLOT_SCALAR)
                            : u256_from_u64(0);
    *out = scroll_base_fee_curie(slot(b->st, &SCROLL_GPO_ADDRESS, GPO_SLOT_L1_BASE_FEE), scalar,
                                 overhead);
    return true;
}

err_t chain_builder_new(chain_builder_t **out, const chain_spec_t *spec, evm_t *evm, db_txn_t *txn,
                        const header_t *parent, const hash_t *parent_hash, uint64_t timestamp,
                        uint64_t gas_limit)
{
    return chain_builder_new_on(out, spec, evm, txn, NULL, parent, parent_hash, timestamp,
                                gas_limit);
}

err_t chain_builder_new_on(chain_builder_t **out, const chain_spec_t *spec, evm_t *evm,
                           db_txn_t *txn, const state_backend_t *backend, const header_t *parent,
                           const hash_t *parent_hash, uint64_t timestamp, uint64_t gas_limit)
{
    chain_builder_t *b = RN_NEW(chain_builder_t);
    b->spec = spec;
    b->evm = evm;
    b->txn = txn;
    b->backend = backend ? *backend : state_db_backend_cached(txn, &b->cached);
    b->st = state_new(&b->backend);
    buf_init(&b->raw, RAW_MAX);
    b->env.number = parent->number + 1;
    b->env.timestamp = timestamp;
    b->env.gas_limit = gas_limit ? gas_limit : parent->gas_limit;
    b->env.coinbase = spec->has_fee_vault ? spec->fee_vault : (addr_t){ 0 };
    b->env.chain_id = u256_from_u64(spec->chain_id);
    b->level = chain_spec_level(spec, b->env.number, timestamp);
    evm_rules_scroll(&b->rules, (evm_scroll_spec_t)b->level);
    uint64_t bf;
    b->header.has_base_fee = base_fee(b, parent, &bf);
    if (b->header.has_base_fee) {
        b->header.base_fee = u256_from_u64(bf);
        b->env.base_fee = b->header.base_fee;
    }
    b->header.parent_hash = *parent_hash;
    b->header.number = b->env.number;
    b->header.timestamp = timestamp;
    b->header.gas_limit = b->env.gas_limit;
    b->header.difficulty = u256_from_u64(1);
    gpo_migrations(b);
    if (chain_fork_active(spec, FORK_FEYNMAN, b->env.number, timestamp))
        history_call(b, parent_hash);
    read_gpo(b);
    *out = b;
    return ERR_OK;
}

void chain_builder_free(chain_builder_t *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        tx_deinit(&b->txs[i]);
        receipt_deinit(&b->receipts[i]);
    }
    rn_free(b->txs);
    rn_free(b->receipts);
    rn_free(b->l1_fees);
    rn_free(b->senders);
    rn_free(b->raw_end);
    buf_deinit(&b->raw);
    state_free(b->st);
    header_deinit(&b->header);
    rn_free(b);
}

void chain_builder_set_base_fee(chain_builder_t *b, u256_t base_fee)
{
    b->header.base_fee = base_fee;
    b->env.base_fee = base_fee;
}

state_t *chain_builder_state(chain_builder_t *b)
{
    return b->st;
}

addr_t chain_builder_coinbase(const chain_builder_t *b)
{
    return b->env.coinbase;
}

size_t chain_builder_count(const chain_builder_t *b)
{
    return b->n;
}

void chain_builder_prefetch(chain_builder_t *b, const addr_t *sender, const addr_t *to)
{
    state_prefetch_account(b->st, sender);
    if (to)
        state_prefetch_account(b->st, to);
}

void chain_builder_reserve(chain_builder_t *b, size_t n)
{
    if (n <= b->cap - b->n)
        return;
    /* At least double: the sequencer reserves again at every poll of the pool (every few ms
     * while transactions arrive), and growing by the poll's few would copy the arrays each time. */
    b->cap = b->n + n > 2 * b->cap ? b->n + n : 2 * b->cap;
    b->txs = rn_realloc_huge(b->txs, b->cap * sizeof(tx_t));
    b->receipts = rn_realloc_huge(b->receipts, b->cap * sizeof(receipt_t));
    b->l1_fees = rn_realloc_huge(b->l1_fees, b->cap * sizeof(u256_t));
    b->senders = rn_realloc_huge(b->senders, b->cap * sizeof(addr_t));
    b->raw_end = rn_realloc_huge(b->raw_end, b->cap * sizeof(size_t));
    state_reserve_accounts(b->st, 2 * (b->cap - b->n)); /* a transfer's sender and recipient */
}

uint64_t chain_builder_gas_used(const chain_builder_t *b)
{
    return b->gas_used;
}

uint64_t chain_builder_gas_limit(const chain_builder_t *b)
{
    return b->env.gas_limit;
}

uint64_t chain_builder_payload_bytes(const chain_builder_t *b)
{
    return b->payload_bytes;
}

u256_t chain_builder_base_fee(const chain_builder_t *b)
{
    return b->env.base_fee;
}

/* §3.1 type gating. */
static bool type_allowed(const chain_builder_t *b, tx_type_t t)
{
    switch (t) {
    case TX_LEGACY:
    case TX_L1_MESSAGE:
        return true;
    case TX_ACCESS_LIST:
    case TX_DYNAMIC_FEE:
        return b->level >= SCROLL_SPEC_CURIE;
    case TX_SET_CODE:
        return b->level >= SCROLL_SPEC_EUCLID;
    default:
        return false;
    }
}

#ifdef RN_DEBUG
/* The block's lists hash the bytes given (seal_lists): they must be the transaction's encoding,
 * which strict decoding guarantees for the bytes the pool and imports receive. */
static void check_raw(const tx_t *tx, bview_t raw)
{
    buf_t enc;
    buf_init(&enc, BUF_MAX_DEFAULT);
    ENSURE(tx_encode(tx, &enc) == ERR_OK && bview_eq(buf_view(&enc), raw));
    buf_deinit(&enc);
}
#endif

void chain_builder_add(chain_builder_t *b, tx_t *tx, const addr_t *sender, bview_t raw,
                       chain_add_result_t *res)
{
    chain_builder_add_z(b, tx, sender, raw, 0, res);
}

void chain_builder_add_z(chain_builder_t *b, tx_t *tx, const addr_t *sender, bview_t raw,
                         size_t raw_zstd, chain_add_result_t *res)
{
    memset(res, 0, sizeof(*res));
    if (!type_allowed(b, tx->type)) {
        res->invalid = TX_INVALID_TYPE_NOT_SUPPORTED;
        return;
    }
    if (raw.n > b->raw.max - b->raw.n) { /* unreachable below 8 G gas (4 gas a byte at least) */
        res->invalid = TX_INVALID_GAS_LIMIT_REACHED;
        return;
    }
    state_tx_env_t env = {
        .evm = b->evm,
        .rules = &b->rules,
        .block = &b->env,
        .l1_fee = tx->type == TX_L1_MESSAGE
                      ? u256_from_u64(0)
                      : u256_from_u64(scroll_l1_fee_z(b->level, &b->gpo, raw,
                                                      bview(tx->data, tx->data_len), raw_zstd)),
        .block_gas_used = b->gas_used,
    };
    state_tx_result_t r;
    res->invalid = state_tx_apply(b->st, &env, tx, sender, &r);
    if (res->invalid != TX_VALID)
        return;
    if (b->n == b->cap)
        chain_builder_reserve(b, b->cap ? b->cap : 16);
    b->gas_used += r.gas_used;
    if (tx->type != TX_L1_MESSAGE)
        b->payload_bytes += raw.n;
    receipt_t *rc = &b->receipts[b->n];
    memset(rc, 0, sizeof(*rc));
    rc->type = tx->type;
    rc->status = r.status == EVM_SUCCESS;
    rc->cumulative_gas = b->gas_used;
    size_t nlogs;
    const log_t *logs = state_logs(b->st, &nlogs);
    if (nlogs) {
        rc->logs = RN_NEWV(log_t, nlogs);
        for (size_t i = 0; i < nlogs; i++) {
            rc->logs[i] = logs[i];
            rc->logs[i].data = NULL;
            if (logs[i].data_len) {
                rc->logs[i].data = rn_malloc(logs[i].data_len);
                memcpy(rc->logs[i].data, logs[i].data, logs[i].data_len);
            }
            bloom_add_log(rc->bloom, &rc->logs[i]);
        }
        rc->nlogs = nlogs;
    }
    b->l1_fees[b->n] = env.l1_fee;
    b->senders[b->n] = *sender;
#ifdef RN_DEBUG
    check_raw(tx, raw);
#endif
    ENSURE(buf_append(&b->raw, raw.p, raw.n) == ERR_OK); /* within max: checked above */
    b->raw_end[b->n] = b->raw.n;
    b->txs[b->n] = *tx;
    memset(tx, 0, sizeof(*tx));
    b->n++;
    res->gas_used = r.gas_used;
    res->l1_fee = env.l1_fee;
    res->status = rc->status;
}

/* At least the bytes receipt_encode appends for r: each length prefix counted at its largest
 * (9 bytes). Reserving the block's sum once spares growing a buffer of megabytes by copies. */
static size_t receipt_size_bound(const receipt_t *r)
{
    size_t n = 1 + 9 + 9 + 9 + 9 + 256 + 9; /* type, list, status, gas, bloom, logs' list */
    for (size_t i = 0; i < r->nlogs; i++)
        n += 9 + 21 + 9 + 33 * (size_t)r->logs[i].ntopics + 9 + r->logs[i].data_len;
    return n;
}

/* The receipts root: the receipts encoded back to back into *all (enc_end[i]: where the i-th
 * ends; kept for the store), then the ordered trie over them. */
static err_t receipts_root(hash_t *out, const receipt_t *rs, size_t n, buf_t *all, size_t *enc_end)
{
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += receipt_size_bound(&rs[i]);
    err_t e = buf_reserve(all, want);
    for (size_t i = 0; i < n && !e; i++) {
        e = receipt_encode(&rs[i], all);
        enc_end[i] = all->n;
    }
    bview_t *v = RN_NEWV(bview_t, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        v[i] = chain__packed_at(all->p, enc_end, i);
    if (!e)
        e = trie_root_ordered(out, v, n);
    rn_free(v);
    return e;
}

/* The body as chain_store_block stores it, rlp([[tx…], []]), from the raw encodings: typed
 * transactions as byte strings, legacy ones as their list. */
static err_t body_from_raw(const chain_builder_t *b, const bview_t *raw, buf_t *out)
{
    size_t outer, txs;
    TRY(buf_reserve(out, b->raw.n + 4 * b->n + 16));
    TRY(rlp_list_begin(out, &outer));
    TRY(rlp_list_begin(out, &txs));
    for (size_t i = 0; i < b->n; i++)
        TRY(b->txs[i].type == TX_LEGACY ? rlp_encode_raw(out, raw[i].p, raw[i].n)
                                        : rlp_encode_bytes(out, raw[i].p, raw[i].n));
    TRY(rlp_list_end(out, txs));
    TRY(rlp_encode_raw(out, (const uint8_t *)"\xc0", 1));
    return rlp_list_end(out, outer);
}

/* What sealing computes from the transactions and receipts alone: the transactions' hashes, the
 * two list roots, and the encodings the store keeps (the receipts', the body). It runs on a
 * thread of its own while the state is committed. */
typedef struct seal_lists {
    const chain_builder_t *b;
    hash_t *tx_hash; /**< b->n */
    hash_t tx_root, receipts_root;
    buf_t enc, body;
    size_t *enc_end; /**< b->n */
    err_t e;
} seal_lists_t;

static void *seal_lists(void *arg)
{
    seal_lists_t *j = arg;
    const chain_builder_t *b = j->b;
    bview_t *v = RN_NEWV(bview_t, b->n ? b->n : 1);
    for (size_t i = 0; i < b->n; i++)
        v[i] = chain__packed_at(b->raw.p, b->raw_end, i);
    keccak256_many(j->tx_hash, v, b->n);
    j->e = trie_root_ordered(&j->tx_root, v, b->n);
    if (!j->e)
        j->e = receipts_root(&j->receipts_root, b->receipts, b->n, &j->enc, j->enc_end);
    if (!j->e)
        j->e = body_from_raw(b, v, &j->body);
    rn_free(v);
    return NULL;
}

/* What the lists hold, when sealing fails (on success the receipts take it). */
static void seal_lists_free(seal_lists_t *j)
{
    rn_free(j->tx_hash);
    rn_free(j->enc_end);
    buf_deinit(&j->enc);
    buf_deinit(&j->body);
}

err_t chain_builder_seal(chain_builder_t *b, block_t *out, hash_t *hash, chain_receipts_t *rs)
{
    memset(out, 0, sizeof(*out));
    memset(rs, 0, sizeof(*rs));
    /* The lists on a second thread (blocks of SEAL_THREAD_MIN or more: below, starting a
     * thread costs more than it saves), the state on this one. */
    seal_lists_t lists = { .b = b,
                           .tx_hash = RN_NEWV(hash_t, b->n ? b->n : 1),
                           .enc_end = RN_NEWV(size_t, b->n ? b->n : 1) };
    buf_init(&lists.enc, 1u << 30);
    buf_init(&lists.body, RAW_MAX + (1u << 20));
    pthread_t worker;
    bool threaded =
        b->n >= SEAL_THREAD_MIN && pthread_create(&worker, NULL, seal_lists, &lists) == 0;
    state_changes_t ch;
    header_t *h = &b->header;
    err_t e = state_changes(b->st, &ch);
    if (!e) {
        e = state_db_commit(b->txn, h->number, &ch, &h->state_root);
        state_changes_free(&ch);
    }
    if (threaded)
        pthread_join(worker, NULL);
    else
        seal_lists(&lists);
    if (!e)
        e = lists.e;
    if (e) {
        seal_lists_free(&lists);
        return e;
    }
    static const hash_t empty_ommers = { { 0x1d, 0xcc, 0x4d, 0xe8, 0xde, 0xc7, 0x5d, 0x7a,
                                           0xab, 0x85, 0xb5, 0x67, 0xb6, 0xcc, 0xd4, 0x1a,
                                           0xd3, 0x12, 0x45, 0x1b, 0x94, 0x8a, 0x74, 0x13,
                                           0xf0, 0xa1, 0x42, 0xfd, 0x40, 0xd4, 0x93, 0x47 } };
    h->ommers_hash = empty_ommers;
    h->gas_used = b->gas_used;
    h->tx_root = lists.tx_root;
    h->receipts_root = lists.receipts_root;
    memset(h->bloom, 0, sizeof(h->bloom));
    for (size_t i = 0; i < b->n; i++) {
        if (!b->receipts[i].nlogs) /* its bloom is all zero */
            continue;
        for (size_t j = 0; j < 256; j++)
            h->bloom[j] |= b->receipts[i].bloom[j];
    }
    if ((e = header_hash(h, hash)) != ERR_OK) {
        seal_lists_free(&lists);
        return e;
    }
    out->header = *h;
    memset(h, 0, sizeof(*h));
    out->txs = b->txs;
    out->ntxs = b->n;
    rs->r = b->receipts;
    rs->l1_fee = b->l1_fees;
    rs->from = b->senders;
    rs->tx_hash = lists.tx_hash;
    rs->enc = lists.enc;
    rs->enc_end = lists.enc_end;
    rs->body = lists.body;
    rs->n = b->n;
    b->txs = NULL;
    b->receipts = NULL;
    b->l1_fees = NULL;
    b->senders = NULL;
    b->n = b->cap = 0;
    buf_reset(&b->raw);
    return ERR_OK;
}

/* ---- import ---- */

static const char *const INVALID_MSG[CHAIN_INVALID_COUNT_] = {
    [CHAIN_VALID] = "valid",
    [CHAIN_INVALID_PARENT] = "unknown parent or wrong number",
    [CHAIN_INVALID_TIMESTAMP] = "timestamp before the parent's",
    [CHAIN_INVALID_OMMERS] = "ommers hash is not the empty list's",
    [CHAIN_INVALID_BASE_FEE] = "invalid base fee",
    [CHAIN_INVALID_GAS_LIMIT] = "invalid gas limit",
    [CHAIN_INVALID_TX] = "invalid transaction",
    [CHAIN_INVALID_TX_TYPE] = "transaction type not allowed",
    [CHAIN_INVALID_L1_ORDER] = "L1 messages must come first",
    [CHAIN_INVALID_L1_QUEUE] = "L1 message queue index is not the next expected one",
    [CHAIN_INVALID_L1_MESSAGE] = "L1 message does not match the L1 message queue",
    [CHAIN_INVALID_PAYLOAD_SIZE] = "transaction payload too large",
    [CHAIN_INVALID_GAS_USED] = "gas used mismatch",
    [CHAIN_INVALID_TX_ROOT] = "transactions root mismatch",
    [CHAIN_INVALID_RECEIPTS_ROOT] = "receipts root mismatch",
    [CHAIN_INVALID_BLOOM] = "logs bloom mismatch",
    [CHAIN_INVALID_STATE_ROOT] = "state root mismatch",
};

const char *chain_invalid_msg(chain_invalid_t v)
{
    return (unsigned)v < CHAIN_INVALID_COUNT_ ? INVALID_MSG[v] : "unknown";
}

static chain_invalid_t check_header(const chain_spec_t *s, const header_t *h, const header_t *p,
                                    const hash_t *parent_hash, char *diag, size_t dl)
{
    static const uint8_t empty_ommers[32] = { 0x1d, 0xcc, 0x4d, 0xe8, 0xde, 0xc7, 0x5d, 0x7a,
                                              0xab, 0x85, 0xb5, 0x67, 0xb6, 0xcc, 0xd4, 0x1a,
                                              0xd3, 0x12, 0x45, 0x1b, 0x94, 0x8a, 0x74, 0x13,
                                              0xf0, 0xa1, 0x42, 0xfd, 0x40, 0xd4, 0x93, 0x47 };
    if (h->number != p->number + 1 || memcmp(h->parent_hash.b, parent_hash->b, 32) != 0) {
        snprintf(diag, dl, "block %" PRIu64 " does not extend the head %" PRIu64, h->number,
                 p->number);
        return CHAIN_INVALID_PARENT;
    }
    if (h->timestamp < p->timestamp) {
        snprintf(diag, dl, "timestamp %" PRIu64 " < parent timestamp %" PRIu64, h->timestamp,
                 p->timestamp);
        return CHAIN_INVALID_TIMESTAMP;
    }
    if (memcmp(h->ommers_hash.b, empty_ommers, 32) != 0) {
        snprintf(diag, dl, "ommers hash is not keccak(rlp([]))");
        return CHAIN_INVALID_OMMERS;
    }
    bool curie = chain_fork_active(s, FORK_CURIE, h->number, h->timestamp);
    if (curie != h->has_base_fee ||
        (h->has_base_fee && u256_gt(h->base_fee, u256_from_u64(SCROLL_MAX_BASE_FEE)))) {
        snprintf(diag, dl, "base fee %s",
                 !curie             ? "present before Curie"
                 : !h->has_base_fee ? "missing from Curie on"
                                    : "above 10 gwei");
        return CHAIN_INVALID_BASE_FEE;
    }
    uint64_t diff =
        h->gas_limit > p->gas_limit ? h->gas_limit - p->gas_limit : p->gas_limit - h->gas_limit;
    if (diff >= p->gas_limit / GAS_LIMIT_BOUND_DIVISOR || h->gas_limit < GAS_LIMIT_MIN ||
        h->gas_limit > INT64_MAX || h->gas_used > h->gas_limit) {
        snprintf(diag, dl, "gas limit %" PRIu64 " (used %" PRIu64 ") against parent %" PRIu64,
                 h->gas_limit, h->gas_used, p->gas_limit);
        return CHAIN_INVALID_GAS_LIMIT;
    }
    return CHAIN_VALID;
}

/* SCROLL.md §3.2: queue indices continue from the last included one, and the content is what
 * the L1 queue holds at that index (a message this node has not seen on L1 cannot be checked:
 * the block waits, like the reference node waits for its L1 watcher). */
static chain_invalid_t check_l1_message(db_txn_t *txn, const tx_t *tx, uint64_t expected, size_t i,
                                        char *diag, size_t dl, err_t *err)
{
    if (tx->queue_index != expected) {
        snprintf(diag, dl, "transaction %zu has queue index %" PRIu64 ", expected %" PRIu64, i,
                 tx->queue_index, expected);
        return CHAIN_INVALID_L1_QUEUE;
    }
    chain_l1_message_t m;
    err_t e = chain_l1_get_message(txn, tx->queue_index, &m);
    if (e == ERR_NOT_FOUND) {
        snprintf(diag, dl, "L1 message %" PRIu64 " is not known from L1", tx->queue_index);
        return CHAIN_INVALID_L1_MESSAGE;
    }
    if (e) {
        *err = e;
        return CHAIN_VALID;
    }
    hash_t h;
    e = tx_hash(tx, &h);
    bool same = !e && hash_eq(&h, &m.tx_hash);
    chain_l1_message_deinit(&m);
    if (e) {
        *err = e;
        return CHAIN_VALID;
    }
    if (!same) {
        snprintf(diag, dl, "L1 message %" PRIu64 " differs from the one on L1", tx->queue_index);
        return CHAIN_INVALID_L1_MESSAGE;
    }
    return CHAIN_VALID;
}

err_t chain_import_block(db_txn_t *txn, const chain_spec_t *spec, evm_t *evm, block_t *blk,
                         const uint8_t sig[65], chain_invalid_t *why, char *diag, size_t dl)
{
    *why = CHAIN_VALID;
    diag[0] = 0;
    uint64_t head;
    hash_t head_hash;
    header_t parent;
    TRY(chain_head(txn, &head, &head_hash));
    TRY(chain_read_header(txn, &head_hash, &parent));
    const header_t *h = &blk->header;
    *why = check_header(spec, h, &parent, &head_hash, diag, dl);
    if (*why != CHAIN_VALID) {
        header_deinit(&parent);
        return ERR_OK;
    }
    chain_builder_t *b;
    err_t e =
        chain_builder_new(&b, spec, evm, txn, &parent, &head_hash, h->timestamp, h->gas_limit);
    header_deinit(&parent);
    if (e)
        return e;
    /* The header's base fee is what the EVM sees (consensus does not recompute it, §5.1). */
    if (h->has_base_fee)
        chain_builder_set_base_fee(b, h->base_fee);
    buf_t raw;
    buf_init(&raw, 1u << 26);
    bool l1_done = false;
    uint64_t next_queue = 0;
    e = chain_l1_next_index(txn, &next_queue);
    for (size_t i = 0; i < blk->ntxs && !e && *why == CHAIN_VALID; i++) {
        tx_t *tx = &blk->txs[i];
        if (tx->type == TX_L1_MESSAGE && l1_done) {
            *why = CHAIN_INVALID_L1_ORDER;
            snprintf(diag, dl, "L1 message at index %zu after other transactions", i);
            break;
        }
        if (tx->type == TX_L1_MESSAGE) {
            *why = check_l1_message(txn, tx, next_queue, i, diag, dl, &e);
            if (*why != CHAIN_VALID || e)
                break;
            next_queue++;
        }
        l1_done = l1_done || tx->type != TX_L1_MESSAGE;
        if (!type_allowed(b, tx->type)) {
            *why = CHAIN_INVALID_TX_TYPE;
            snprintf(diag, dl, "transaction %zu has type 0x%x, not allowed at this fork", i,
                     (unsigned)tx->type);
            break;
        }
        buf_reset(&raw);
        addr_t sender;
        e = tx_encode(tx, &raw);
        if (tx->type == TX_L1_MESSAGE)
            sender = tx->sender; /* no signature: the (aliased) L1 sender */
        else if (!e && tx_recover_sender(tx, &sender) != ERR_OK) {
            *why = CHAIN_INVALID_TX;
            snprintf(diag, dl, "transaction %zu: invalid signature", i);
            break;
        }
        if (!e && tx->type != TX_L1_MESSAGE &&
            b->payload_bytes + raw.n > spec->max_tx_payload_bytes) {
            *why = CHAIN_INVALID_PAYLOAD_SIZE;
            snprintf(diag, dl, "transaction payload above %" PRIu64 " bytes",
                     spec->max_tx_payload_bytes);
            break;
        }
        chain_add_result_t res;
        tx_t copy = *tx; /* the builder takes ownership on success: give it the block's tx */
        if (!e)
            chain_builder_add(b, &copy, &sender, buf_view(&raw), &res);
        if (!e && res.invalid != TX_VALID) {
            *why = CHAIN_INVALID_TX;
            snprintf(diag, dl, "transaction %zu: %s", i, tx_invalid_msg(res.invalid));
        } else if (!e) {
            memset(tx, 0, sizeof(*tx)); /* now owned by the builder */
        }
    }
    buf_deinit(&raw);
    if (e || *why != CHAIN_VALID) {
        chain_builder_free(b);
        return e;
    }
    /* Fields the builder does not decide come from the imported header. */
    b->header.coinbase = h->coinbase;
    b->header.difficulty = h->difficulty;
    b->header.mix_hash = h->mix_hash;
    b->header.nonce = h->nonce;
    if (h->extra_len) {
        b->header.extra = rn_malloc(h->extra_len);
        memcpy(b->header.extra, h->extra, h->extra_len);
        b->header.extra_len = h->extra_len;
    }
    block_t built;
    hash_t hash;
    chain_receipts_t rs;
    e = chain_builder_seal(b, &built, &hash, &rs);
    chain_builder_free(b);
    if (e)
        return e;
    const header_t *g = &built.header;
    if (g->gas_used != h->gas_used) {
        *why = CHAIN_INVALID_GAS_USED;
        snprintf(diag, dl, "gas used %" PRIu64 ", header says %" PRIu64, g->gas_used, h->gas_used);
    } else if (memcmp(g->tx_root.b, h->tx_root.b, 32) != 0) {
        *why = CHAIN_INVALID_TX_ROOT;
    } else if (memcmp(g->receipts_root.b, h->receipts_root.b, 32) != 0) {
        *why = CHAIN_INVALID_RECEIPTS_ROOT;
    } else if (memcmp(g->bloom, h->bloom, 256) != 0) {
        *why = CHAIN_INVALID_BLOOM;
    } else if (memcmp(g->state_root.b, h->state_root.b, 32) != 0) {
        *why = CHAIN_INVALID_STATE_ROOT;
        char a[67], c[67];
        hex_encode_0x(a, g->state_root.b, 32);
        hex_encode_0x(c, h->state_root.b, 32);
        snprintf(diag, dl, "state root %s, header says %s", a, c);
    }
    if (*why == CHAIN_VALID && !diag[0]) {
        e = header_hash(h, &hash);
        /* The transactions moved into `built`; store that block under the imported header. */
        block_t stored = built;
        stored.header = *h;
        if (!e)
            e = chain_store_block(txn, &stored, &hash, &rs, sig);
    } else if (!diag[0]) {
        snprintf(diag, dl, "%s", chain_invalid_msg(*why));
    }
    block_deinit(&built);
    chain_receipts_free(&rs);
    return e;
}
