/* Transaction pool: per-sender nonce-ordered lists, hash index, best-tip ordering. See txpool.h. */
#include <pthread.h>
#include <string.h>

#include "txpool/txpool.h"

typedef struct entry {
    txpool_tx_info_t info;
    uint8_t *raw;
    size_t len;
} entry_t;

typedef struct account {
    addr_t sender;
    uint64_t state_nonce; /**< account nonce at the pool's head */
    u256_t balance;
    entry_t *txs; /**< sorted by nonce, distinct nonces */
    size_t n, cap;
    size_t pend; /**< pending: the run of txs from state_nonce the balance covers (recount) */
} account_t;

/* Open-addressing map from a key prefix (first 8 bytes of an address or hash) to a slot. */
typedef struct amap {
    account_t **slots;
    size_t cap; /**< power of two */
    size_t used;
} amap_t;

struct txpool {
    pthread_mutex_t mu;
    txpool_config_t cfg;
    amap_t accounts;
    size_t pending, queued;
    uint64_t generation; /**< bumped by every change (recount) */
};

void txpool_config_default(txpool_config_t *cfg)
{
    cfg->max_pending = 10000;
    cfg->max_queued = 10000;
    cfg->max_per_sender = 64;
    cfg->price_bump_pct = 10;
    cfg->max_nonce_gap = 1024;
}

/* ORDER TXPOOL_REJECT */
static const char *const reject_msgs[] = {
    "ok",
    "already known",
    "nonce too low",
    "replacement transaction underpriced",
    "insufficient funds for gas * price + value",
    "txpool is full",
    "too many transactions from this sender",
    "nonce too high",
};

const char *txpool_reject_message(txpool_reject_t r)
{
    return (unsigned)r < RN_ARRAY_LEN(reject_msgs) ? reject_msgs[r] : "rejected";
}

static uint64_t addr_key(const addr_t *a)
{
    uint64_t k;
    memcpy(&k, a->b + 12, 8);
    return k * 0x9e3779b97f4a7c15ull;
}

static account_t **amap_find(amap_t *m, const addr_t *a)
{
    if (!m->cap)
        return NULL;
    size_t i = (size_t)addr_key(a) & (m->cap - 1);
    for (;;) {
        account_t *s = m->slots[i];
        if (!s)
            return &m->slots[i];
        if (addr_eq(&s->sender, a))
            return &m->slots[i];
        i = (i + 1) & (m->cap - 1);
    }
}

static void amap_insert(amap_t *m, account_t *acc);

static void amap_grow(amap_t *m)
{
    amap_t old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = RN_NEWV(account_t *, m->cap);
    m->used = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i])
            amap_insert(m, old.slots[i]);
    }
    rn_free(old.slots);
}

static void amap_insert(amap_t *m, account_t *acc)
{
    if ((m->used + 1) * 2 > m->cap)
        amap_grow(m);
    *amap_find(m, &acc->sender) = acc;
    m->used++;
}

/* Remove with backward-shift deletion (linear probing). */
static void amap_remove(amap_t *m, const addr_t *a)
{
    account_t **slot = amap_find(m, a);
    if (!slot || !*slot)
        return;
    size_t i = (size_t)(slot - m->slots);
    m->slots[i] = NULL;
    m->used--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & (m->cap - 1);
        account_t *s = m->slots[j];
        if (!s)
            break;
        size_t home = (size_t)addr_key(&s->sender) & (m->cap - 1);
        /* Move s back to i if its home is not in the cyclic range (i, j]. */
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            m->slots[i] = s;
            m->slots[j] = NULL;
            i = j;
        }
    }
}

txpool_t *txpool_new(const txpool_config_t *cfg)
{
    txpool_t *p = RN_NEW(txpool_t);
    pthread_mutex_init(&p->mu, NULL);
    if (cfg)
        p->cfg = *cfg;
    else
        txpool_config_default(&p->cfg);
    return p;
}

static void account_free(account_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        rn_free(a->txs[i].raw);
    rn_free(a->txs);
    rn_free(a);
}

void txpool_free(txpool_t *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->accounts.cap; i++) {
        if (p->accounts.slots[i])
            account_free(p->accounts.slots[i]);
    }
    rn_free(p->accounts.slots);
    pthread_mutex_destroy(&p->mu);
    rn_free(p);
}

/* Recount after changing an account's transactions at index `from` or later (0 when its state
 * nonce or balance changed too), and adjust the pool totals by the difference. The pending run
 * is the contiguous run of nonces from the state nonce whose cost the balance covers; the part
 * of the old run before `from` still stands, so only the rest is scanned: adding at the end of
 * a long run costs one step, not the run's length. */
static void recount(txpool_t *p, account_t *a, size_t n_before, size_t from)
{
    size_t pend = from < a->pend ? from : a->pend;
    while (pend < a->n && a->txs[pend].info.nonce == a->state_nonce + pend &&
           !u256_gt(a->txs[pend].info.cost, a->balance))
        pend++;
    p->pending = p->pending - a->pend + pend;
    p->queued = p->queued - (n_before - a->pend) + (a->n - pend);
    a->pend = pend;
    p->generation++;
}

uint64_t txpool_generation(txpool_t *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t g = p->generation;
    pthread_mutex_unlock(&p->mu);
    return g;
}

static void drop_at(account_t *a, size_t i)
{
    rn_free(a->txs[i].raw);
    memmove(&a->txs[i], &a->txs[i + 1], (a->n - i - 1) * sizeof(entry_t));
    a->n--;
}

static void maybe_free_account(txpool_t *p, account_t *a)
{
    if (a->n == 0) {
        amap_remove(&p->accounts, &a->sender);
        account_free(a);
    }
}

/* new ≥ old · (100 + bump) / 100 */
static bool bumped(u256_t new_fee, u256_t old_fee, unsigned pct)
{
    u256_t lhs, rhs;
    if (u256_mul_overflow(new_fee, u256_from_u64(100), &lhs))
        return true;
    if (u256_mul_overflow(old_fee, u256_from_u64(100u + pct), &rhs))
        return false;
    return !u256_lt(lhs, rhs);
}

/* Evict the cheapest transaction that is last in its sender's list among those of the wanted
 * kind (queued or pending), if it is cheaper than `than`. */
static bool evict_cheapest(txpool_t *p, bool want_pending, u256_t than)
{
    account_t *victim = NULL;
    u256_t best = than;
    for (size_t i = 0; i < p->accounts.cap; i++) {
        account_t *a = p->accounts.slots[i];
        if (!a || a->n == 0)
            continue;
        bool last_is_pending = a->pend == a->n;
        if (last_is_pending != want_pending)
            continue;
        const entry_t *e = &a->txs[a->n - 1];
        if (u256_lt(e->info.max_priority_fee, best)) {
            best = e->info.max_priority_fee;
            victim = a;
        }
    }
    if (!victim)
        return false;
    size_t nb = victim->n;
    drop_at(victim, nb - 1);
    recount(p, victim, nb, nb - 1);
    maybe_free_account(p, victim);
    return true;
}

txpool_reject_t txpool_add(txpool_t *p, const txpool_tx_info_t *tx, bview_t raw,
                           uint64_t account_nonce, u256_t balance, bool *pending)
{
    txpool_reject_t r = TXPOOL_OK;
    pthread_mutex_lock(&p->mu);
    if (tx->nonce < account_nonce) {
        r = TXPOOL_NONCE_TOO_LOW;
        goto out;
    }
    if (tx->nonce - account_nonce > p->cfg.max_nonce_gap) {
        r = TXPOOL_NONCE_GAP;
        goto out;
    }
    if (u256_gt(tx->cost, balance)) {
        r = TXPOOL_INSUFFICIENT_FUNDS;
        goto out;
    }
    account_t **slot = amap_find(&p->accounts, &tx->sender);
    account_t *a = slot ? *slot : NULL;
    if (!a) {
        a = RN_NEW(account_t);
        a->sender = tx->sender;
        amap_insert(&p->accounts, a);
    }
    /* The caller read the account's state, possibly after a block the pool has not yet seen:
     * fold the change into the totals before counting anything else. */
    if (a->state_nonce != account_nonce || !u256_eq(a->balance, balance)) {
        a->state_nonce = account_nonce;
        a->balance = balance;
        recount(p, a, a->n, 0);
    }
    /* Transactions the new state nonce made stale go. */
    if (a->n && a->txs[0].info.nonce < account_nonce) {
        size_t drop = 0;
        while (drop < a->n && a->txs[drop].info.nonce < account_nonce)
            drop++;
        size_t nb0 = a->n;
        for (size_t i = 0; i < drop; i++)
            rn_free(a->txs[i].raw);
        memmove(a->txs, a->txs + drop, (a->n - drop) * sizeof(entry_t));
        a->n -= drop;
        recount(p, a, nb0, 0);
    }
    /* Position by nonce. */
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a->txs[mid].info.nonce < tx->nonce)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t pb = a->pend, nb = a->n;
    bool replace = lo < a->n && a->txs[lo].info.nonce == tx->nonce;
    if (replace) {
        entry_t *old = &a->txs[lo];
        if (hash_eq(&old->info.hash, &tx->hash)) {
            r = TXPOOL_ALREADY_KNOWN;
            goto out_account;
        }
        if (!bumped(tx->max_fee, old->info.max_fee, p->cfg.price_bump_pct) ||
            !bumped(tx->max_priority_fee, old->info.max_priority_fee, p->cfg.price_bump_pct)) {
            r = TXPOOL_UNDERPRICED_REPLACE;
            goto out_account;
        }
        rn_free(old->raw);
        old->info = *tx;
        old->raw = rn_memdup(raw.p, raw.n);
        old->len = raw.n;
    } else {
        if (a->n >= p->cfg.max_per_sender) {
            r = TXPOOL_SENDER_LIMIT;
            goto out_account;
        }
        bool will_pend = tx->nonce == account_nonce + (uint64_t)pb && lo == pb;
        if (will_pend && p->pending >= p->cfg.max_pending &&
            !evict_cheapest(p, true, tx->max_priority_fee)) {
            r = TXPOOL_FULL;
            goto out_account;
        }
        if (!will_pend && p->queued >= p->cfg.max_queued &&
            !evict_cheapest(p, false, tx->max_priority_fee)) {
            r = TXPOOL_FULL;
            goto out_account;
        }
        /* Eviction may have changed this account; recompute its position and counts. */
        slot = amap_find(&p->accounts, &tx->sender);
        if (!slot || !*slot) {
            a = RN_NEW(account_t);
            a->sender = tx->sender;
            a->state_nonce = account_nonce;
            a->balance = balance;
            amap_insert(&p->accounts, a);
        } else {
            a = *slot;
        }
        nb = a->n;
        lo = 0;
        while (lo < a->n && a->txs[lo].info.nonce < tx->nonce)
            lo++;
        if (a->n == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 4;
            a->txs = rn_realloc(a->txs, a->cap * sizeof(entry_t));
        }
        memmove(&a->txs[lo + 1], &a->txs[lo], (a->n - lo) * sizeof(entry_t));
        a->txs[lo].info = *tx;
        a->txs[lo].raw = rn_memdup(raw.p, raw.n);
        a->txs[lo].len = raw.n;
        a->n++;
    }
    recount(p, a, nb, lo);
    if (pending)
        *pending = lo < a->pend;
out_account:
    maybe_free_account(p, a);
out:
    pthread_mutex_unlock(&p->mu);
    return r;
}

void txpool_counts(txpool_t *p, size_t *pending, size_t *queued)
{
    pthread_mutex_lock(&p->mu);
    if (pending)
        *pending = p->pending;
    if (queued)
        *queued = p->queued;
    pthread_mutex_unlock(&p->mu);
}

/* Linear search over accounts: lookups by hash alone are rare (RPC reads); removals and the
 * builder know the sender and nonce (find_tx). */
static entry_t *find_hash(txpool_t *p, const hash_t *h)
{
    for (size_t i = 0; i < p->accounts.cap; i++) {
        account_t *a = p->accounts.slots[i];
        if (!a)
            continue;
        for (size_t j = 0; j < a->n; j++) {
            if (hash_eq(&a->txs[j].info.hash, h))
                return &a->txs[j];
        }
    }
    return NULL;
}

/* The sender's transaction with this nonce and hash: its index in *a's list, or SIZE_MAX. */
static size_t find_tx(txpool_t *p, const addr_t *sender, uint64_t nonce, const hash_t *hash,
                      account_t **out)
{
    account_t **slot = amap_find(&p->accounts, sender);
    if (!slot || !*slot)
        return SIZE_MAX;
    account_t *a = *slot;
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a->txs[mid].info.nonce < nonce)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= a->n || a->txs[lo].info.nonce != nonce || !hash_eq(&a->txs[lo].info.hash, hash))
        return SIZE_MAX;
    *out = a;
    return lo;
}

bool txpool_contains(txpool_t *p, const hash_t *hash)
{
    pthread_mutex_lock(&p->mu);
    bool found = find_hash(p, hash) != NULL;
    pthread_mutex_unlock(&p->mu);
    return found;
}

uint8_t *txpool_get_raw(txpool_t *p, const hash_t *hash, size_t *len)
{
    pthread_mutex_lock(&p->mu);
    entry_t *e = find_hash(p, hash);
    uint8_t *copy = e ? rn_memdup(e->raw, e->len) : NULL;
    if (e && len)
        *len = e->len;
    pthread_mutex_unlock(&p->mu);
    return copy;
}

void txpool_remove(txpool_t *p, const txpool_tx_info_t *tx)
{
    pthread_mutex_lock(&p->mu);
    account_t *a = NULL;
    size_t idx = find_tx(p, &tx->sender, tx->nonce, &tx->hash, &a);
    if (idx != SIZE_MAX) {
        size_t nb = a->n;
        drop_at(a, idx);
        recount(p, a, nb, idx);
        maybe_free_account(p, a);
    }
    pthread_mutex_unlock(&p->mu);
}

void txpool_on_new_head(txpool_t *p, txpool_account_fn account, void *ud)
{
    pthread_mutex_lock(&p->mu);
    /* Collect accounts first: removing an empty one reshuffles the map. */
    size_t n = 0;
    account_t **list = RN_NEWV(account_t *, p->accounts.used + 1);
    for (size_t i = 0; i < p->accounts.cap; i++) {
        if (p->accounts.slots[i])
            list[n++] = p->accounts.slots[i];
    }
    for (size_t k = 0; k < n; k++) {
        account_t *a = list[k];
        size_t nb = a->n;
        account(ud, &a->sender, &a->state_nonce, &a->balance);
        size_t drop = 0;
        while (drop < a->n && a->txs[drop].info.nonce < a->state_nonce)
            drop++;
        for (size_t i = 0; i < drop; i++)
            rn_free(a->txs[i].raw);
        memmove(a->txs, a->txs + drop, (a->n - drop) * sizeof(entry_t));
        a->n -= drop;
        recount(p, a, nb, 0);
        maybe_free_account(p, a);
    }
    rn_free(list);
    pthread_mutex_unlock(&p->mu);
}

/* effective tip = min(maxPriorityFee, maxFee − baseFee) */
static u256_t eff_tip(const txpool_tx_info_t *t, u256_t base_fee)
{
    u256_t room = u256_sub(t->max_fee, base_fee);
    return u256_lt(t->max_priority_fee, room) ? t->max_priority_fee : room;
}

typedef struct head {
    account_t *a;
    size_t i;   /**< next tx index */
    size_t end; /**< pending count */
    u256_t tip;
} head_t;

static bool head_better(const head_t *x, const head_t *y)
{
    return u256_gt(x->tip, y->tip);
}

static void sift_down(head_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, b = i;
        if (l < n && head_better(&h[l], &h[b]))
            b = l;
        if (r < n && head_better(&h[r], &h[b]))
            b = r;
        if (b == i)
            return;
        head_t t = h[i];
        h[i] = h[b];
        h[b] = t;
        i = b;
    }
}

size_t txpool_best(txpool_t *p, u256_t base_fee, txpool_tx_info_t *out, size_t cap)
{
    return txpool_best_after(p, base_fee, NULL, NULL, out, cap);
}

size_t txpool_best_after(txpool_t *p, u256_t base_fee, txpool_nonce_fn next, void *ud,
                         txpool_tx_info_t *out, size_t cap)
{
    pthread_mutex_lock(&p->mu);
    head_t *heap = RN_NEWV(head_t, p->accounts.used + 1);
    size_t hn = 0;
    for (size_t i = 0; i < p->accounts.cap; i++) {
        account_t *a = p->accounts.slots[i];
        if (!a)
            continue;
        size_t pend = a->pend, first = 0;
        uint64_t n;
        if (pend && next && next(ud, &a->sender, &n)) {
            /* pending nonces are contiguous from txs[0] */
            if (n < a->txs[0].info.nonce || n - a->txs[0].info.nonce >= pend)
                continue; /* all of them in already, or a gap the block cannot fill */
            first = (size_t)(n - a->txs[0].info.nonce);
        }
        if (first >= pend || u256_lt(a->txs[first].info.max_fee, base_fee))
            continue;
        heap[hn++] = (head_t){ a, first, pend, eff_tip(&a->txs[first].info, base_fee) };
    }
    for (size_t i = hn / 2; i-- > 0;)
        sift_down(heap, hn, i);
    size_t count = 0;
    while (hn && count < cap) {
        head_t *h = &heap[0];
        out[count++] = h->a->txs[h->i].info;
        h->i++;
        if (h->i < h->end && !u256_lt(h->a->txs[h->i].info.max_fee, base_fee)) {
            h->tip = eff_tip(&h->a->txs[h->i].info, base_fee);
        } else {
            heap[0] = heap[--hn];
        }
        sift_down(heap, hn, 0);
    }
    rn_free(heap);
    pthread_mutex_unlock(&p->mu);
    return count;
}

void txpool_foreach(txpool_t *p, txpool_visit_fn fn, void *ud)
{
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->accounts.cap; i++) {
        const account_t *a = p->accounts.slots[i];
        if (!a)
            continue;
        size_t pend = a->pend;
        for (size_t k = 0; k < a->n; k++)
            fn(ud, &a->txs[k].info, bview(a->txs[k].raw, a->txs[k].len), k < pend);
    }
    pthread_mutex_unlock(&p->mu);
}

uint64_t txpool_next_nonce(txpool_t *p, const addr_t *sender, uint64_t state_nonce)
{
    pthread_mutex_lock(&p->mu);
    uint64_t n = state_nonce;
    account_t **slot = amap_find(&p->accounts, sender);
    if (slot && *slot) {
        const account_t *a = *slot;
        for (size_t k = 0; k < a->n; k++) {
            if (a->txs[k].info.nonce == n)
                n++;
            else if (a->txs[k].info.nonce > n)
                break;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return n;
}

uint8_t *txpool_get_raw_of(txpool_t *p, const addr_t *sender, uint64_t nonce, const hash_t *hash,
                           size_t *len)
{
    pthread_mutex_lock(&p->mu);
    uint8_t *copy = NULL;
    account_t *a = NULL;
    size_t i = find_tx(p, sender, nonce, hash, &a);
    if (i != SIZE_MAX) {
        copy = rn_memdup(a->txs[i].raw, a->txs[i].len);
        *len = a->txs[i].len;
    }
    pthread_mutex_unlock(&p->mu);
    return copy;
}
