/* The running node: database, transaction pool, the sequencer loop (ROLLUP-NODE.md §2), the
 * signer, and the JSON-RPC server with the node's own methods (sendRawTransaction, call,
 * estimateGas, gas price, sequencing switches).
 *
 * Threads: the main thread waits for SIGINT/SIGTERM; the sequencer thread is the only database
 * writer (one LMDB write transaction per block: state, block, receipts, signature, head); RPC
 * workers read in their own read transactions and add to the pool (its own mutex). */
#define LOG_TARGET "rollup_node::sequencer"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "evm/evm.h"
#include "node/node.h"
#include "node/node_int.h"
#include "rpc/rpc.h"
#include "signer/signer.h"
#include "state/state.h"
#include "txpool/txpool.h"

enum {
    MAX_BLOCK_CANDIDATES = 4096,
    MAX_TX_BYTES = 122880, /* SCROLL.md §10 */
    MIN_TX_BYTES = 100,    /* about the smallest signed transfer: a payload with less room left
                              than this is full */
};

typedef struct node_rt {
    const node_config_t *cfg;
    const chain_spec_t *spec;
    db_t *db;
    txpool_t *pool;
    signer_t *signer;
    evm_t *evm; /* the sequencer thread's */
    atomic_bool sequencing;
    atomic_bool stop;
    pthread_t seq;
    bool seq_started;
    uint64_t payload_id;
    size_t last_count; /* transactions in the last payload built: the next one's first reserve */
    rpc_registry_t *reg;
    rpc_ctx_t rpc_ctx;
    rpc_server_t *http;
    rpc_server_t *ws;
    pthread_mutex_t head_mu;
    struct head_view *head_view; /* the last head op_send_raw checked against (head_mu) */
} node_rt_t;

/* ---- reading the head state ---- */

static bool head_header(db_txn_t *txn, header_t *h, hash_t *hash)
{
    uint64_t n;
    return chain_head(txn, &n, hash) == ERR_OK && chain_read_header(txn, hash, h) == ERR_OK;
}

static void account_at_head(void *ud, const addr_t *a, uint64_t *nonce, u256_t *balance)
{
    db_txn_t *txn = ud;
    state_backend_t b = state_db_backend(txn);
    state_account_t acct;
    if (b.get_account(b.ctx, a, &acct)) {
        *nonce = acct.nonce;
        *balance = acct.balance;
    } else {
        *nonce = 0;
        *balance = u256_from_u64(0);
    }
}

/* ---- the sequencer ---- */

static void log_signed(const hash_t *hash, uint64_t number, const addr_t *signer)
{
#undef LOG_TARGET
#define LOG_TARGET "rollup_node::signer"
    char h[67], a[43];
    hex_encode_0x(h, hash->b, 32);
    addr_to_checksum_hex(a, signer);
    LOG_INFO("Signed block block_hash=%s block_number=%" PRIu64 " signer=%s", h, number, a);
#undef LOG_TARGET
#define LOG_TARGET "rollup_node::sequencer"
}

static void log_broadcast(const hash_t *hash, uint64_t number)
{
#undef LOG_TARGET
#define LOG_TARGET "scroll::network"
    char h[67];
    hex_encode_0x(h, hash->b, 32);
    LOG_INFO("Broadcast block block_hash=%s block_number=%" PRIu64 " peers=0", h, number);
#undef LOG_TARGET
#define LOG_TARGET "rollup_node::sequencer"
}

/* Hashes already in the payload (open addressing on the hash's first bytes). */
typedef struct hset {
    hash_t *slots;
    bool *used;
    size_t cap, n;
} hset_t;

static bool hset_has(const hset_t *s, const hash_t *h)
{
    if (!s->cap)
        return false;
    for (size_t i = be_load64(h->b) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->used[i])
            return false;
        if (hash_eq(&s->slots[i], h))
            return true;
    }
}

static void hset_add(hset_t *s, const hash_t *h)
{
    if (2 * (s->n + 1) > s->cap) {
        hset_t g = { RN_NEWV(hash_t, s->cap ? 2 * s->cap : 256),
                     RN_NEWV(bool, s->cap ? 2 * s->cap : 256), s->cap ? 2 * s->cap : 256, 0 };
        for (size_t i = 0; i < s->cap; i++)
            if (s->used[i])
                hset_add(&g, &s->slots[i]);
        rn_free(s->slots);
        rn_free(s->used);
        *s = g;
    }
    size_t i = be_load64(h->b) & (s->cap - 1);
    while (s->used[i])
        i = (i + 1) & (s->cap - 1);
    s->used[i] = true;
    s->slots[i] = *h;
    s->n++;
}

/* Sender → the next nonce the payload expects (open addressing on the address's first bytes). */
typedef struct nmap {
    addr_t *keys;
    uint64_t *next;
    bool *used;
    size_t cap, n;
} nmap_t;

static size_t nmap_slot(const nmap_t *m, const addr_t *a)
{
    size_t i = be_load64(a->b) & (m->cap - 1);
    while (m->used[i] && !addr_eq(&m->keys[i], a))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void nmap_set(nmap_t *m, const addr_t *a, uint64_t next)
{
    if (2 * (m->n + 1) > m->cap) {
        nmap_t g = { 0 };
        g.cap = m->cap ? 2 * m->cap : 256;
        g.keys = RN_NEWV(addr_t, g.cap);
        g.next = RN_NEWV(uint64_t, g.cap);
        g.used = RN_NEWV(bool, g.cap);
        for (size_t i = 0; i < m->cap; i++)
            if (m->used[i])
                nmap_set(&g, &m->keys[i], m->next[i]);
        rn_free(m->keys);
        rn_free(m->next);
        rn_free(m->used);
        *m = g;
    }
    size_t i = nmap_slot(m, a);
    if (!m->used[i]) {
        m->used[i] = true;
        m->keys[i] = *a;
        m->n++;
    }
    m->next[i] = next;
}

static bool nmap_next(void *ud, const addr_t *a, uint64_t *next)
{
    const nmap_t *m = ud;
    if (!m->cap)
        return false;
    size_t i = nmap_slot(m, a);
    if (!m->used[i])
        return false;
    *next = m->next[i];
    return true;
}

/* The most transactions the payload still has gas for: 21 000 each, a transfer's. */
static uint64_t transfers_left(const chain_builder_t *b)
{
    return (chain_builder_gas_limit(b) - chain_builder_gas_used(b)) / 21000;
}

/* Fill the builder from the pool until the payload-building deadline (ROLLUP-NODE.md §2:
 * transactions arriving while the payload is built still get in), the gas or the payload cap.
 * Best tip first; a sender whose transaction fails or does not fit is skipped for the rest of
 * the payload (its later nonces would fail too), except after "nonce too low". */
static void fill_block(node_rt_t *rt, chain_builder_t *b, uint64_t deadline_ns)
{
    txpool_tx_info_t *cand = RN_NEWV(txpool_tx_info_t, MAX_BLOCK_CANDIDATES);
    hset_t done = { 0 };
    nmap_t skipped = { 0 }; /* senders left out for the rest of the payload */
    bool full = false;
    nmap_t in_block = { 0 };
    uint64_t seen_gen = 0;
    bool polled = false, more = false;
    /* Room for a payload like the last at once: growing the builder's arrays poll after poll
     * would copy them, megabytes for a block of thousands. */
    uint64_t fit = transfers_left(b);
    chain_builder_reserve(b, rt->last_count < fit ? rt->last_count : (size_t)fit);
    while (!full && clock_mono_ns() < deadline_ns) {
        /* Poll only when the pool changed, and only for what the payload does not hold yet. */
        uint64_t gen = txpool_generation(rt->pool);
        size_t n = 0;
        if (!polled || gen != seen_gen || more)
            n = txpool_best_after(rt->pool, chain_builder_base_fee(b), nmap_next, &in_block, cand,
                                  MAX_BLOCK_CANDIDATES);
        polled = true;
        seen_gen = gen;
        /* Room for as many as can fit, at least 21 000 gas each. */
        uint64_t room = transfers_left(b);
        chain_builder_reserve(b, n < room ? n : (size_t)room);
        more = n == MAX_BLOCK_CANDIDATES; /* the pool may hold more than one poll returns */
        LOG_TRACE("Selecting transactions candidates=%zu included=%zu", n, chain_builder_count(b));
        for (size_t i = 0; i < n && !full; i++) {
            if (clock_mono_ns() >= deadline_ns)
                break;
            /* Full: no room for the cheapest transfer (21 000 gas, ~100 encoded bytes). */
            if (chain_builder_gas_used(b) + 21000 > chain_builder_gas_limit(b) ||
                chain_builder_payload_bytes(b) + MIN_TX_BYTES > rt->spec->max_tx_payload_bytes) {
                full = true;
                break;
            }
            if (i + 1 < n) /* its accounts come from memory while this one runs */
                chain_builder_prefetch(b, &cand[i + 1].sender,
                                       cand[i + 1].has_to ? &cand[i + 1].to : NULL);
            if (hset_has(&done, &cand[i].hash))
                continue;
            uint64_t unused;
            if (nmap_next(&skipped, &cand[i].sender, &unused))
                continue;
            size_t len;
            uint8_t *raw =
                txpool_get_raw_of(rt->pool, &cand[i].sender, cand[i].nonce, &cand[i].hash, &len);
            if (!raw)
                continue;
            bool fits =
                chain_builder_gas_used(b) + cand[i].gas_limit <= chain_builder_gas_limit(b) &&
                chain_builder_payload_bytes(b) + len <= rt->spec->max_tx_payload_bytes;
            bool drop_sender = !fits;
            tx_t tx;
            if (fits && tx_decode(&tx, bview(raw, len)) == ERR_OK) {
                chain_add_result_t res;
                chain_builder_add_z(b, &tx, &cand[i].sender, bview(raw, len), cand[i].raw_zstd,
                                    &res);
                tx_deinit(&tx);
                if (res.invalid == TX_VALID) {
                    hset_add(&done, &cand[i].hash);
                    nmap_set(&in_block, &cand[i].sender, cand[i].nonce + 1);
                } else {
                    char h[67];
                    hex_encode_0x(h, cand[i].hash.b, 32);
                    LOG_DEBUG("Skipping invalid transaction tx_hash=%s error=\"%s\"", h,
                              tx_invalid_msg(res.invalid));
                    drop_sender = res.invalid != TX_INVALID_NONCE_TOO_LOW;
                    txpool_remove(rt->pool, &cand[i]);
                }
            }
            if (drop_sender) {
                nmap_set(&skipped, &cand[i].sender, 0);
            }
            rn_free(raw);
        }
        /* Wait a little for more transactions, up to the deadline. */
        uint64_t now = clock_mono_ns();
        if (!full && now < deadline_ns)
            clock_sleep_until_ns(deadline_ns - now < 5000000ull ? deadline_ns : now + 5000000ull);
    }
    rn_free(skipped.keys);
    rn_free(skipped.next);
    rn_free(skipped.used);
    rn_free(in_block.keys);
    rn_free(in_block.next);
    rn_free(in_block.used);
    rn_free(done.slots);
    rn_free(done.used);
    rn_free(cand);
}

static void build_one(node_rt_t *rt, uint64_t slot_start_ns)
{
    const node_config_t *cfg = rt->cfg;
    db_txn_t *txn;
    if (db_txn_begin(rt->db, DB_TXN_WRITE, &txn) != ERR_OK) {
        LOG_ERROR("Cannot open a database write transaction; skipping the slot");
        return;
    }
    header_t parent;
    hash_t parent_hash;
    memset(&parent, 0, sizeof(parent));
    if (!head_header(txn, &parent, &parent_hash)) {
        LOG_ERROR("Cannot read the head block; skipping the slot");
        db_txn_abort(txn);
        return;
    }
    uint64_t now = clock_unix_us() / 1000000;
    uint64_t ts = now > parent.timestamp ? now : parent.timestamp;
    uint64_t id = ++rt->payload_id;
    LOG_TRACE("Building payload payload_id=%" PRIu64 " parent_number=%" PRIu64
              " timestamp=%" PRIu64,
              id, parent.number, ts);
    chain_builder_t *b = NULL;
    err_t e = chain_builder_new(&b, rt->spec, rt->evm, txn, &parent, &parent_hash, ts,
                                cfg->builder_gaslimit);
    header_deinit(&parent);
    if (e) {
        LOG_ERROR("Cannot start a payload: %s", err_str(e));
        db_txn_abort(txn);
        return;
    }
    size_t l1_count = 0;
    e = chain_builder_add_l1_messages(
        b, txn,
        cfg->sequencer.inclusion.kind == NODE_INCLUSION_DEPTH ? CHAIN_L1_DEPTH : CHAIN_L1_FINALIZED,
        cfg->sequencer.inclusion.depth, cfg->sequencer.max_l1_messages.v, &l1_count);
    if (e)
        LOG_ERROR("Cannot read L1 messages: %s; building without them", err_str(e));
    fill_block(rt, b, slot_start_ns + cfg->sequencer.payload_building_duration_ms * 1000000ull);
    size_t count = chain_builder_count(b);
    rt->last_count = count;
    if (count == 0 && !cfg->sequencer.allow_empty_blocks) {
        LOG_DEBUG("Built empty payload payload_id=%" PRIu64 ", discarding", id);
        chain_builder_free(b);
        db_txn_abort(txn);
        return;
    }
    block_t blk;
    hash_t hash;
    chain_receipts_t rs;
    e = chain_builder_seal(b, &blk, &hash, &rs);
    chain_builder_free(b);
    if (e) {
        LOG_ERROR("Cannot seal the payload payload_id=%" PRIu64 ": %s", id, err_str(e));
        db_txn_abort(txn);
        return;
    }
    char h[67];
    hex_encode_0x(h, hash.b, 32);
    LOG_INFO("Built payload payload_id=%" PRIu64 " block_hash=%s block_number=%" PRIu64
             " tx_count=%zu l1_messages=%zu gas_used=%" PRIu64,
             id, h, blk.header.number, count, l1_count, blk.header.gas_used);
    uint8_t sig[SIGNATURE_LEN];
    bool signed_ok = false;
    if (rt->signer) {
        e = signer_sign_header(rt->signer, &blk.header, sig);
        if (e) {
            LOG_ERROR("failed to sign block block_hash=%s: %s", h, err_str(e));
        } else {
            signed_ok = true;
        }
    }
    if (!e)
        e = chain_store_block(txn, &blk, &hash, &rs, signed_ok ? sig : NULL);
    if (!e) {
        e = db_txn_commit(txn);
        txn = NULL;
    }
    if (e) {
        LOG_ERROR("Cannot commit block block_hash=%s: %s", h, err_str(e));
        db_txn_abort(txn);
    } else {
        if (signed_ok)
            log_signed(&hash, blk.header.number, signer_address(rt->signer));
        log_broadcast(&hash, blk.header.number);
        rpc_publish_block(rt->reg, &blk, &hash, &rs);
        /* The included transactions leave the pool here: they are below their senders' nonces. */
        db_txn_t *r;
        if (db_txn_begin(rt->db, DB_TXN_READ, &r) == ERR_OK) {
            txpool_on_new_head(rt->pool, account_at_head, r);
            db_txn_abort(r);
        }
    }
    block_deinit(&blk);
    chain_receipts_free(&rs);
}

/* Between blocks: what the next block's commit would otherwise do in passing, done now in a
 * commit of its own, so that it takes the idle rest of the slot instead of delaying the next
 * block: the batches of the transaction lookup and history indexes (decision 0012), and writing
 * the tries back (decision 0019). */
static void between_blocks(node_rt_t *rt)
{
    uint64_t t0 = clock_mono_ns();
    db_txn_t *w;
    bool indexed = false;
    err_t e = db_txn_begin(rt->db, DB_TXN_WRITE, &w);
    if (!e) {
        /* Opening the cached backend moves the account cache on to the new head (the block's
         * accounts join it), which the next block would otherwise do first. */
        state_db_cached_t ac;
        (void)state_db_backend_cached(w, &ac);
        e = chain_index_ahead(w, &indexed);
    }
    bool write_back = !e && db_writeback_flush_due(rt->db);
    if (e || (!indexed && !write_back)) {
        db_txn_abort(w);
    } else {
        e = db_txn_commit(w);
        if (!e)
            LOG_DEBUG("Wrote state back between blocks indexes=%s tries=%s elapsed=%.1fms",
                      indexed ? "true" : "false", write_back ? "true" : "false",
                      (double)(clock_mono_ns() - t0) / 1e6);
    }
    if (e)
        LOG_WARN("Cannot write state back between blocks; the next block will: %s", err_str(e));
    db_writeback_prepare(rt->db); /* room and memory for a block like this one */
}

static void *sequencer_main(void *arg)
{
    node_rt_t *rt = arg;
    pthread_setname_np(pthread_self(), "sequencer"); /* top -H, perf, gdb name it */
    uint64_t period = rt->cfg->sequencer.block_time_ms * 1000000ull;
    uint64_t next = clock_mono_ns() + period;
    while (!atomic_load(&rt->stop)) {
        /* Sleep in short steps so shutdown is prompt. */
        uint64_t now = clock_mono_ns();
        if (now < next) {
            uint64_t step = next - now < 50000000ull ? next - now : 50000000ull;
            clock_sleep_until_ns(now + step);
            continue;
        }
        uint64_t start = next;
        next += period;
        if (next < clock_mono_ns()) /* fell behind: skip missed slots */
            next = clock_mono_ns() + period;
        if (atomic_load(&rt->sequencing)) {
            build_one(rt, start);
            between_blocks(rt);
        }
    }
    return NULL;
}

/* ---- RPC operations ---- */

static u256_t gpo_slot(void *backend, uint64_t slot)
{
    const state_backend_t *b = backend;
    u256_t k = u256_from_u64(slot);
    return b->get_storage(b->ctx, &SCROLL_GPO_ADDRESS, &k);
}

/* What checking a transaction sent over RPC needs from the head block: its fields and the L1
 * gas price oracle's values (eight storage reads). A block's hash fixes them, so they are read
 * once per head and shared by the RPC workers. */
typedef struct head_view {
    hash_t hash;
    uint64_t number, timestamp, gas_limit;
    gpo_values_t gpo;
} head_view_t;

static bool read_head_view(node_rt_t *rt, db_txn_t *txn, head_view_t *out)
{
    uint64_t n;
    if (chain_head(txn, &n, &out->hash) != ERR_OK)
        return false;
    pthread_mutex_lock(&rt->head_mu);
    bool hit = rt->head_view && hash_eq(&rt->head_view->hash, &out->hash);
    if (hit)
        *out = *rt->head_view;
    pthread_mutex_unlock(&rt->head_mu);
    if (hit)
        return true;
    header_t h;
    memset(&h, 0, sizeof(h));
    if (chain_read_header(txn, &out->hash, &h) != ERR_OK) {
        header_deinit(&h);
        return false;
    }
    out->number = h.number;
    out->timestamp = h.timestamp;
    out->gas_limit = h.gas_limit;
    header_deinit(&h);
    state_backend_t be = state_db_backend(txn);
    scroll_gpo_read(&out->gpo, gpo_slot, &be);
    pthread_mutex_lock(&rt->head_mu);
    if (!rt->head_view)
        rt->head_view = RN_NEW(head_view_t);
    *rt->head_view = *out;
    pthread_mutex_unlock(&rt->head_mu);
    return true;
}

static int op_send_raw(void *ud, bview_t raw, hash_t *hash, char *msg, size_t msg_len)
{
    node_rt_t *rt = ud;
    if (raw.n > MAX_TX_BYTES) {
        snprintf(msg, msg_len, "oversized data: transaction size %zu, limit %d", raw.n,
                 MAX_TX_BYTES);
        return RPC_SERVER_ERROR;
    }
    tx_t tx;
    err_t e = tx_decode(&tx, raw);
    if (e) {
        snprintf(msg, msg_len, "failed to decode signed transaction: %s", err_str(e));
        return RPC_SERVER_ERROR;
    }
    int code = RPC_SERVER_ERROR;
    db_txn_t *txn = NULL;
    head_view_t head;
    addr_t sender;
    if (tx.type == TX_L1_MESSAGE) {
        snprintf(msg, msg_len, "transaction type not supported");
        goto out;
    }
    if (!tx.has_chain_id) {
        snprintf(msg, msg_len, "only replay-protected (EIP-155) transactions allowed over RPC");
        goto out;
    }
    if (!u256_eq(tx.chain_id, u256_from_u64(rt->spec->chain_id))) {
        snprintf(msg, msg_len, "invalid chain id");
        goto out;
    }
    if (tx_recover_sender(&tx, &sender) != ERR_OK) {
        snprintf(msg, msg_len, "invalid sender");
        goto out;
    }
    if (db_txn_begin(rt->db, DB_TXN_READ, &txn) != ERR_OK || !read_head_view(rt, txn, &head)) {
        snprintf(msg, msg_len, "cannot read the head state");
        code = RPC_INTERNAL_ERROR;
        goto out;
    }
    scroll_spec_t level = chain_spec_level(rt->spec, head.number + 1, head.timestamp);
    if ((tx.type == TX_SET_CODE && level < SCROLL_SPEC_EUCLID) ||
        (tx.type != TX_LEGACY && level < SCROLL_SPEC_CURIE)) {
        snprintf(msg, msg_len, "transaction type not supported");
        goto out;
    }
    bool fee_market = tx.type == TX_DYNAMIC_FEE || tx.type == TX_SET_CODE;
    u256_t max_fee = fee_market ? tx.max_fee : tx.gas_price;
    u256_t tip = fee_market ? tx.max_priority_fee : tx.gas_price;
    if (u256_lt(max_fee, tip)) {
        snprintf(msg, msg_len, "%s", tx_invalid_msg(TX_INVALID_TIP_ABOVE_FEE_CAP));
        goto out;
    }
    unsigned rules = INTRINSIC_EIP3860 | (level >= SCROLL_SPEC_EUCLID ? INTRINSIC_EIP7702 : 0u);
    if (tx.gas_limit < tx_intrinsic_gas(&tx, rules)) {
        snprintf(msg, msg_len, "%s", tx_invalid_msg(TX_INVALID_INTRINSIC_GAS));
        goto out;
    }
    if (level >= SCROLL_SPEC_FEYNMAN && tx.gas_limit < tx_floor_gas(&tx)) {
        snprintf(msg, msg_len, "%s", tx_invalid_msg(TX_INVALID_FLOOR_DATA_GAS));
        goto out;
    }
    uint64_t gas_limit = rt->cfg->builder_gaslimit ? rt->cfg->builder_gaslimit : head.gas_limit;
    if (tx.gas_limit > gas_limit) {
        snprintf(msg, msg_len, "exceeds block gas limit");
        goto out;
    }
    if (!tx.has_to && tx.data_len > 49152) {
        snprintf(msg, msg_len, "%s", tx_invalid_msg(TX_INVALID_INITCODE_SIZE));
        goto out;
    }
    if (tx.type == TX_SET_CODE && tx.nauths == 0) {
        snprintf(msg, msg_len, "%s", tx_invalid_msg(TX_INVALID_EMPTY_AUTH_LIST));
        goto out;
    }
    txpool_tx_info_t info;
    memset(&info, 0, sizeof(info));
    if (level >= SCROLL_SPEC_GALILEO && raw.n) { /* kept for the block (scroll_l1_fee_z) */
        size_t z = scroll_zstd_size(raw.p, raw.n);
        info.raw_zstd = z == SIZE_MAX ? 0 : z;
    }
    u256_t l1 = u256_from_u64(
        scroll_l1_fee_z(level, &head.gpo, raw, bview(tx.data, tx.data_len), info.raw_zstd));
    info.hash = keccak256_hash(raw.p, raw.n); /* raw is the EIP-2718 encoding */
    info.sender = sender;
    info.to = tx.to;
    info.has_to = tx.has_to;
    info.nonce = tx.nonce;
    info.gas_limit = tx.gas_limit;
    info.max_fee = max_fee;
    info.max_priority_fee = tip;
    info.cost = u256_add(u256_add(tx.value, u256_mul(u256_from_u64(tx.gas_limit), max_fee)), l1);
    uint64_t nonce;
    u256_t balance;
    account_at_head(txn, &sender, &nonce, &balance);
    bool pending;
    txpool_reject_t rj = txpool_add(rt->pool, &info, raw, nonce, balance, &pending);
    if (rj != TXPOOL_OK) {
        snprintf(msg, msg_len, "%s", txpool_reject_message(rj));
        goto out;
    }
    *hash = info.hash;
    rpc_publish_pending_tx(rt->reg, hash);
    if (log_enabled(LOG_TARGET, LOG_LVL_DEBUG)) {
        char h[67], a[43];
        hex_encode_0x(h, hash->b, 32);
        addr_to_checksum_hex(a, &sender);
        LOG_DEBUG("Transaction added to the pool tx_hash=%s sender=%s nonce=%" PRIu64 " pending=%s",
                  h, a, tx.nonce, pending ? "true" : "false");
    }
    code = 0;
out:
    db_txn_abort(txn);
    tx_deinit(&tx);
    return code;
}

/* eth_gasPrice = next block's base fee + the suggested tip; eth_maxPriorityFeePerGas = the tip:
 * --gpo.default-suggest-priority-fee (100 wei), reth's floor when recent blocks pay no more. */
static void op_fees(void *ud, u256_t *gas_price, u256_t *tip)
{
    node_rt_t *rt = ud;
    *tip = u256_from_u64(rt->cfg->gpo_default_suggest_priority_fee);
    *gas_price = *tip;
    db_txn_t *txn;
    if (db_txn_begin(rt->db, DB_TXN_READ, &txn) != ERR_OK)
        return;
    header_t head;
    memset(&head, 0, sizeof(head));
    hash_t hh;
    chain_builder_t *b = NULL;
    evm_t *evm = evm_thread();
    uint64_t now = clock_unix_us() / 1000000;
    if (head_header(txn, &head, &hh) &&
        chain_builder_new(&b, rt->spec, evm, txn, &head, &hh,
                          now > head.timestamp ? now : head.timestamp, 0) == ERR_OK)
        *gas_price = u256_add(chain_builder_base_fee(b), *tip);
    chain_builder_free(b);
    header_deinit(&head);
    db_txn_abort(txn);
}

static bool op_set_sequencing(void *ud, bool on)
{
    node_rt_t *rt = ud;
    bool was = atomic_exchange(&rt->sequencing, on);
    if (was != on)
        LOG_INFO("%s automatic sequencing", on ? "Enabled" : "Disabled");
    return was != on;
}

static void op_pool_counts(void *ud, size_t *pending, size_t *queued)
{
    txpool_counts(((node_rt_t *)ud)->pool, pending, queued);
}

static uint64_t op_pool_next_nonce(void *ud, const addr_t *sender, uint64_t state_nonce)
{
    return txpool_next_nonce(((node_rt_t *)ud)->pool, sender, state_nonce);
}

static uint8_t *op_pool_raw(void *ud, const hash_t *h, size_t *len)
{
    return txpool_get_raw(((node_rt_t *)ud)->pool, h, len);
}

typedef struct visit_adapter {
    void (*fn)(void *vud, bview_t raw, const addr_t *sender, bool pending);
    void *vud;
} visit_adapter_t;

static void visit_one(void *ud, const txpool_tx_info_t *info, bview_t raw, bool pending)
{
    visit_adapter_t *v = ud;
    v->fn(v->vud, raw, &info->sender, pending);
}

static void op_pool_visit(void *ud, void (*fn)(void *, bview_t, const addr_t *, bool), void *vud)
{
    visit_adapter_t v = { fn, vud };
    txpool_foreach(((node_rt_t *)ud)->pool, visit_one, &v);
}

static const rpc_node_ops_t NODE_OPS = {
    .send_raw_tx = op_send_raw,
    .fees = op_fees,
    .set_sequencing = op_set_sequencing,
    .pool_counts = op_pool_counts,
    .pool_raw = op_pool_raw,
    .pool_next_nonce = op_pool_next_nonce,
    .pool_visit = op_pool_visit,
};

/* ---- start and stop ---- */

static err_t open_db(node_rt_t *rt, char *diag, size_t diag_len)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/db", rt->cfg->datadir);
    TRY(db_open(&rt->db, dir, 0, DB_OPEN_DEFAULT, diag, diag_len));
    db_txn_t *txn;
    TRY(db_txn_begin(rt->db, DB_TXN_WRITE, &txn));
    hash_t genesis;
    bool written;
    err_t e = chain_genesis_init(txn, rt->spec, &genesis, &written, diag, diag_len);
    if (e) {
        db_txn_abort(txn);
        return e;
    }
    TRY(db_txn_commit(txn));
    char g[67];
    hex_encode_0x(g, genesis.b, 32);
    uint64_t head = 0;
    hash_t hh;
    if (db_txn_begin(rt->db, DB_TXN_READ, &txn) == ERR_OK) {
        if (chain_head(txn, &head, &hh) != ERR_OK)
            head = 0;
        db_txn_abort(txn);
    }
    LOG_INFO("Opened database datadir=%s genesis_hash=%s%s head=%" PRIu64, rt->cfg->datadir, g,
             written ? " (genesis written)" : "", head);
    return ERR_OK;
}

static err_t start_rpc(node_rt_t *rt, char *diag, size_t diag_len)
{
    const node_config_t *cfg = rt->cfg;
    rt->rpc_ctx.db = rt->db;
    rt->rpc_ctx.chain_id = rt->spec->chain_id;
    rt->rpc_ctx.node = &NODE_OPS;
    rt->rpc_ctx.ud = rt;
    uint32_t extra = (cfg->rpc_rollup_node ? RPC_NS_ROLLUP_NODE : 0u) |
                     (cfg->rpc_rollup_node_admin ? RPC_NS_ROLLUP_NODE_ADMIN : 0u);
    rt->rpc_ctx.ns_enabled =
        (cfg->http ? cfg->http_api : 0u) | (cfg->ws ? cfg->ws_api : 0u) | extra;
    rt->reg = rpc_registry_new(&rt->rpc_ctx);
    rt->rpc_ctx.registry = rt->reg;
    rt->rpc_ctx.spec = rt->spec;
    rt->rpc_ctx.proof_window = rt->cfg->rpc_eth_proof_window;
    rpc_register_all(rt->reg);
    rpc_register_node(rt->reg);
    if (cfg->http) {
        rpc_server_config_t sc = { .addr = cfg->http_addr,
                                   .port = cfg->http_port,
                                   .ns_enabled = cfg->http_api | extra,
                                   .cors = cfg->http_corsdomain };
        TRY(rpc_server_start(&rt->http, &sc, rt->reg, diag, diag_len));
#undef LOG_TARGET
#define LOG_TARGET "reth::cli"
        LOG_INFO("RPC HTTP server started url=%s:%u", cfg->http_addr, rpc_server_port(rt->http));
    }
    if (cfg->ws) {
        rpc_server_config_t sc = { .addr = cfg->ws_addr,
                                   .port = cfg->ws_port,
                                   .ns_enabled = cfg->ws_api | extra,
                                   .cors = cfg->ws_origins };
        TRY(rpc_server_start(&rt->ws, &sc, rt->reg, diag, diag_len));
        LOG_INFO("RPC WS server started url=%s:%u", cfg->ws_addr, rpc_server_port(rt->ws));
#undef LOG_TARGET
#define LOG_TARGET "rollup_node::sequencer"
    }
    return ERR_OK;
}

/* On a clean stop, write the unflushed trie nodes and flat entries (decision 0019) when that is
 * quick, so the next start needs no replay; a large backlog is left to the replay (the flat
 * entries are in the write-back log; the stop stays fast). */
static void flush_tries(db_t *db)
{
    enum {
        QUICK_FLUSH_BYTES = 16u << 20
    };

    if (!db)
        return;
    db_writeback_stats_t st;
    db_writeback_get_stats(db, &st);
    if (st.dirty_bytes == 0)
        return;
    if (st.dirty_bytes > QUICK_FLUSH_BYTES) {
        LOG_INFO("Leaving unflushed state to replay at the next start unflushed_mib=%.1f",
                 (double)st.dirty_bytes / (1 << 20));
        return;
    }
    db_txn_t *w;
    if (db_txn_begin(db, DB_TXN_WRITE, &w) != ERR_OK)
        return;
    db_txn_writeback_flush(w);
    err_t e = db_txn_commit(w);
    if (e)
        LOG_WARN("Cannot write the state trie nodes, the next start replays them: %s", err_str(e));
}

int node__run(const node_config_t *cfg)
{
    node_rt_t rt;
    memset(&rt, 0, sizeof(rt));
    rt.cfg = cfg;
    rt.spec = cfg->chain;
    pthread_mutex_init(&rt.head_mu, NULL);
    char diag[NODE_DIAG_MAX] = "";
    int rc = NODE_EXIT_ERROR;

    /* Signals go to the main thread only: block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    if (cfg->signer.kind == NODE_SIGNER_AWS_KMS) {
        fprintf(stderr, "error: signing with AWS KMS (--signer.aws-kms-key-id) is not available "
                        "in this build yet; use --signer.key-file\n");
        goto out;
    }
    if (open_db(&rt, diag, sizeof(diag)) != ERR_OK) {
        LOG_ERROR("%s", diag[0] ? diag : "cannot open the database");
        fprintf(stderr, "error: %s\n", diag[0] ? diag : "cannot open the database");
        goto out;
    }
    txpool_config_t pc;
    txpool_config_default(&pc);
    pc.max_pending = cfg->txpool.pending_max;
    pc.max_queued = cfg->txpool.queued_max;
    pc.max_per_sender = cfg->txpool.account_slots;
    pc.price_bump_pct = (unsigned)cfg->txpool.price_bump;
    rt.pool = txpool_new(&pc);
    if (cfg->signer.has_key && signer_new_key(&rt.signer, cfg->signer.key) != ERR_OK) {
        fprintf(stderr, "error: the signer key cannot be used\n");
        goto out;
    }
    if (start_rpc(&rt, diag, sizeof(diag)) != ERR_OK) {
        fprintf(stderr, "error: %s\n", diag[0] ? diag : "cannot start the RPC server");
        goto out;
    }
    if (cfg->sequencer.enabled) {
        rt.evm = evm_new();
        atomic_store(&rt.sequencing, cfg->sequencer.auto_start);
        if (pthread_create(&rt.seq, NULL, sequencer_main, &rt) != 0) {
            fprintf(stderr, "error: cannot start the sequencer thread\n");
            goto out;
        }
        rt.seq_started = true;
        LOG_INFO("Sequencer started block_time_ms=%" PRIu64 " payload_building_duration_ms=%" PRIu64
                 " auto_start=%s allow_empty_blocks=%s",
                 cfg->sequencer.block_time_ms, cfg->sequencer.payload_building_duration_ms,
                 cfg->sequencer.auto_start ? "true" : "false",
                 cfg->sequencer.allow_empty_blocks ? "true" : "false");
    }
    /* libcrypto is dlopen()ed off the start-up path (decision 0024); load it now, so that the
     * first precompile call or WebSocket handshake does not wait for it. */
    crypto_preload();
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    LOG_INFO("Received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    rc = NODE_EXIT_OK;
out:
    atomic_store(&rt.stop, true);
    if (rt.seq_started)
        pthread_join(rt.seq, NULL);
    rpc_server_stop(rt.http);
    rpc_server_stop(rt.ws);
    rpc_registry_free(rt.reg);
    evm_free(rt.evm);
    signer_free(rt.signer);
    txpool_free(rt.pool);
    rn_free(rt.head_view);
    pthread_mutex_destroy(&rt.head_mu);
    flush_tries(rt.db);
    db_close(rt.db);
    return rc;
}
