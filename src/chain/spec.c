/* Chain specs: named chains (built in) and genesis JSON files (SCROLL.md §1.1, §12, §14). */
#define LOG_TARGET "scroll::chain"
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain/chain.h"
#include "chain/chain_int.h"

/* ORDER SCROLL_FORK */
static const char *const fork_names[FORK_COUNT] = {
    "Archimedes", "Shanghai", "Bernoulli", "Curie",   "Darwin",    "DarwinV2",
    "Euclid",     "EuclidV2", "Feynman",   "Galileo", "GalileoV2",
};

/* l2geth/reth genesis config keys, ORDER SCROLL_FORK; shanghai accepts a block or a time. */
static const char *const fork_keys[FORK_COUNT] = {
    "archimedesBlock", "shanghaiBlock", "bernoulliBlock", "curieBlock",
    "darwinTime",      "darwinV2Time",  "euclidTime",     "euclidV2Time",
    "feynmanTime",     "galileoTime",   "galileoV2Time",
};

const char *chain_fork_name(scroll_fork_t fork)
{
    return (unsigned)fork < FORK_COUNT ? fork_names[fork] : "?";
}

static void diagf(char *diag, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void diagf(char *diag, size_t len, const char *fmt, ...)
{
    if (!diag || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag, len, fmt, ap);
    va_end(ap);
}

/* Numbers in genesis files come as JSON integers, hex strings or decimal strings. */
static err_t json_u256(const json_t *v, u256_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return ERR_NUM_INVALID;
        *out = u256_from_u64((uint64_t)i);
        return ERR_OK;
    }
    if (!json_is_string(v))
        return ERR_NUM_INVALID;
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        /* Leading zeros beyond 64 digits (the e2e timestamp has 64 digits) are fine. */
        size_t skip = 2;
        while (n - skip > 64 && s[skip] == '0')
            skip++;
        return u256_from_hex(s + skip, n - skip, out);
    }
    return u256_from_dec(s, n, out);
}

static err_t json_u64(const json_t *v, uint64_t *out)
{
    u256_t x;
    TRY(json_u256(v, &x));
    if (!u256_fits_u64(x))
        return ERR_NUM_OVERFLOW;
    *out = u256_low64(x);
    return ERR_OK;
}

static err_t json_bytes(const json_t *v, uint8_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (!json_is_string(v))
        return ERR_HEX_INVALID;
    const char *s = json_string_value(v);
    buf_t b;
    buf_init(&b, 64u << 20);
    err_t e = hex_decode_buf(&b, s, strlen(s));
    if (e) {
        buf_deinit(&b);
        return e;
    }
    if (b.n == 0) {
        buf_deinit(&b);
        return ERR_OK;
    }
    *out = buf_take(&b, n);
    return ERR_OK;
}

static err_t json_addr(const json_t *v, addr_t *out)
{
    if (!json_is_string(v))
        return ERR_HEX_INVALID;
    const char *s = json_string_value(v);
    return addr_from_hex(out, s, strlen(s));
}

static int cmp_slot(const void *a, const void *b)
{
    return u256_cmp(((const genesis_slot_t *)a)->key, ((const genesis_slot_t *)b)->key);
}

static void account_deinit(genesis_account_t *a)
{
    rn_free(a->code);
    rn_free(a->storage);
}

static err_t parse_account(const char *key, const json_t *v, genesis_account_t *a, char *diag,
                           size_t dl)
{
    memset(a, 0, sizeof(*a));
    if (addr_from_hex(&a->addr, key, strlen(key)) || !json_is_object(v)) {
        diagf(diag, dl, "invalid alloc entry '%s'", key);
        return ERR_CONFIG_INVALID;
    }
    const json_t *f;
    if ((f = json_object_get(v, "balance")) && json_u256(f, &a->balance)) {
        diagf(diag, dl, "invalid balance of alloc account %s", key);
        return ERR_CONFIG_INVALID;
    }
    if ((f = json_object_get(v, "nonce")) && json_u64(f, &a->nonce)) {
        diagf(diag, dl, "invalid nonce of alloc account %s", key);
        return ERR_CONFIG_INVALID;
    }
    if (json_bytes(json_object_get(v, "code"), &a->code, &a->code_len)) {
        diagf(diag, dl, "invalid code of alloc account %s", key);
        return ERR_CONFIG_INVALID;
    }
    const json_t *st = json_object_get(v, "storage");
    if (st && json_is_object(st) && json_object_size(st)) {
        a->storage = RN_NEWV(genesis_slot_t, json_object_size(st));
        const char *sk;
        const json_t *sv;
        json_object_foreach((json_t *)st, sk, sv)
        {
            genesis_slot_t *s = &a->storage[a->nstorage];
            json_t *kj = json_string(sk);
            err_t e = json_u256(kj, &s->key);
            json_decref(kj);
            if (e || json_u256(sv, &s->value)) {
                diagf(diag, dl, "invalid storage slot '%s' of alloc account %s", sk, key);
                return ERR_CONFIG_INVALID;
            }
            if (!u256_is_zero(s->value))
                a->nstorage++;
        }
        qsort(a->storage, a->nstorage, sizeof(genesis_slot_t), cmp_slot);
    }
    return ERR_OK;
}

static int cmp_account(const void *a, const void *b)
{
    return memcmp(((const genesis_account_t *)a)->addr.b, ((const genesis_account_t *)b)->addr.b,
                  20);
}

/* Sort by address; of entries with the same address (the e2e file lists one address twice with
 * different letter case) keep the one that came last in the file, like a JSON map decoder. */
static void alloc_normalise(chain_spec_t *s)
{
    /* Insertion sort is stable and allocs are small (tens of accounts). */
    for (size_t i = 1; i < s->nalloc; i++) {
        genesis_account_t t = s->alloc[i];
        size_t j = i;
        while (j > 0 && cmp_account(&s->alloc[j - 1], &t) > 0) {
            s->alloc[j] = s->alloc[j - 1];
            j--;
        }
        s->alloc[j] = t;
    }
    size_t out = 0;
    for (size_t i = 0; i < s->nalloc; i++) {
        if (out > 0 && cmp_account(&s->alloc[out - 1], &s->alloc[i]) == 0) {
            account_deinit(&s->alloc[out - 1]);
            s->alloc[out - 1] = s->alloc[i];
        } else {
            s->alloc[out++] = s->alloc[i];
        }
    }
    s->nalloc = out;
}

static err_t parse_alloc(chain_spec_t *s, const json_t *alloc, char *diag, size_t dl)
{
    if (!json_is_object(alloc)) {
        diagf(diag, dl, "genesis has no \"alloc\" object");
        return ERR_CONFIG_INVALID;
    }
    s->alloc = RN_NEWV(genesis_account_t, json_object_size(alloc) + 8);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)alloc, k, v)
    {
        err_t e = parse_account(k, v, &s->alloc[s->nalloc], diag, dl);
        s->nalloc++;
        if (e)
            return e;
    }
    alloc_normalise(s);
    return ERR_OK;
}

static err_t parse_config(chain_spec_t *s, const json_t *cfg, char *diag, size_t dl)
{
    for (int f = 0; f < FORK_COUNT; f++) {
        s->forks[f].by_time = f >= FORK_DARWIN;
        s->forks[f].at = FORK_NEVER;
    }
    if (!json_is_object(cfg))
        return ERR_OK;
    const json_t *v;
    if ((v = json_object_get(cfg, "chainId")) && json_u64(v, &s->chain_id)) {
        diagf(diag, dl, "invalid config.chainId");
        return ERR_CONFIG_INVALID;
    }
    for (int f = 0; f < FORK_COUNT; f++) {
        v = json_object_get(cfg, fork_keys[f]);
        if (!v && f == FORK_SHANGHAI && (v = json_object_get(cfg, "shanghaiTime")) != NULL)
            s->forks[f].by_time = true;
        if (v && !json_is_null(v) && json_u64(v, &s->forks[f].at)) {
            diagf(diag, dl, "invalid config.%s", fork_keys[f]);
            return ERR_CONFIG_INVALID;
        }
    }
    const json_t *sc = json_object_get(cfg, "scroll");
    if (!json_is_object(sc))
        return ERR_OK;
    if ((v = json_object_get(sc, "feeVaultAddress")) && !json_is_null(v)) {
        if (json_addr(v, &s->fee_vault)) {
            diagf(diag, dl, "invalid config.scroll.feeVaultAddress");
            return ERR_CONFIG_INVALID;
        }
        s->has_fee_vault = true;
    }
    if ((v = json_object_get(sc, "maxTxPayloadBytesPerBlock")))
        (void)json_u64(v, &s->max_tx_payload_bytes);
    if ((v = json_object_get(sc, "maxTxPerBlock")))
        (void)json_u64(v, &s->max_tx_per_block);
    if ((v = json_object_get(sc, "l1DataFeeBufferCheck")))
        s->l1_data_fee_buffer_check = json_is_true(v);
    const json_t *l1 = json_object_get(sc, "l1Config");
    if (json_is_object(l1)) {
        static const struct {
            const char *key;
            size_t off;
        } addrs[] = {
            { "l1MessageQueueAddress", offsetof(chain_spec_t, l1_message_queue) },
            { "l1MessageQueueV2Address", offsetof(chain_spec_t, l1_message_queue_v2) },
            { "scrollChainAddress", offsetof(chain_spec_t, scroll_chain) },
            { "systemContractAddress", offsetof(chain_spec_t, system_contract) },
            { "l2SystemConfigAddress", offsetof(chain_spec_t, l2_system_config) },
        };

        for (size_t i = 0; i < RN_ARRAY_LEN(addrs); i++) {
            v = json_object_get(l1, addrs[i].key);
            if (v && json_addr(v, (addr_t *)((char *)s + addrs[i].off))) {
                diagf(diag, dl, "invalid config.scroll.l1Config.%s", addrs[i].key);
                return ERR_CONFIG_INVALID;
            }
        }
        if ((v = json_object_get(l1, "l1ChainId")))
            (void)json_u64(v, &s->l1_chain_id);
        if ((v = json_object_get(l1, "numL1MessagesPerBlock")))
            (void)json_u64(v, &s->num_l1_messages_per_block);
        if ((v = json_object_get(l1, "startL1Block")))
            (void)json_u64(v, &s->start_l1_block);
    }
    return ERR_OK;
}

static err_t parse_header_fields(chain_spec_t *s, const json_t *root, char *diag, size_t dl)
{
    const json_t *v;
    static const char *const u64_keys[] = { "timestamp", "gasLimit", "nonce" };
    uint64_t *u64_dst[] = { &s->timestamp, &s->gas_limit, &s->nonce };
    for (size_t i = 0; i < 3; i++) {
        if ((v = json_object_get(root, u64_keys[i])) && json_u64(v, u64_dst[i])) {
            diagf(diag, dl, "invalid genesis %s", u64_keys[i]);
            return ERR_CONFIG_INVALID;
        }
    }
    if ((v = json_object_get(root, "difficulty")) && json_u256(v, &s->difficulty)) {
        diagf(diag, dl, "invalid genesis difficulty");
        return ERR_CONFIG_INVALID;
    }
    if ((v = json_object_get(root, "mixHash")) && json_is_string(v) &&
        hash_from_hex(&s->mix_hash, json_string_value(v), strlen(json_string_value(v)))) {
        diagf(diag, dl, "invalid genesis mixHash");
        return ERR_CONFIG_INVALID;
    }
    if ((v = json_object_get(root, "coinbase")) && json_addr(v, &s->coinbase)) {
        diagf(diag, dl, "invalid genesis coinbase");
        return ERR_CONFIG_INVALID;
    }
    if (json_bytes(json_object_get(root, "extraData"), &s->extra_data, &s->extra_len)) {
        diagf(diag, dl, "invalid genesis extraData");
        return ERR_CONFIG_INVALID;
    }
    v = json_object_get(root, "baseFeePerGas");
    if (v && !json_is_null(v)) {
        if (json_u256(v, &s->base_fee)) {
            diagf(diag, dl, "invalid genesis baseFeePerGas");
            return ERR_CONFIG_INVALID;
        }
        s->has_base_fee = true;
    }
    return ERR_OK;
}

err_t chain_spec_from_json(chain_spec_t **out, const char *json, size_t n, char *diag, size_t dl)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(json, n, 0, &jerr);
    if (!root) {
        diagf(diag, dl, "genesis is not valid JSON: %s (line %d)", jerr.text, jerr.line);
        return ERR_JSON_INVALID;
    }
    chain_spec_t *s = RN_NEW(chain_spec_t);
    snprintf(s->name, sizeof(s->name), "custom");
    s->max_tx_payload_bytes = 122880;
    s->num_l1_messages_per_block = 10;
    err_t e = parse_config(s, json_object_get(root, "config"), diag, dl);
    if (!e)
        e = parse_header_fields(s, root, diag, dl);
    if (!e)
        e = parse_alloc(s, json_object_get(root, "alloc"), diag, dl);
    json_decref(root);
    if (e) {
        chain_spec_free(s);
        return e;
    }
    /* l2geth's rule (SCROLL.md §8.5): the genesis header has baseFeePerGas iff Curie is active
     * at block 0; its value defaults to 0 when the file gives none. */
    if (chain_fork_active(s, FORK_CURIE, 0, s->timestamp)) {
        s->has_base_fee = true;
    } else {
        s->has_base_fee = false;
        s->base_fee = u256_zero();
    }
    *out = s;
    return ERR_OK;
}

void chain_spec_free(chain_spec_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nalloc; i++)
        account_deinit(&s->alloc[i]);
    rn_free(s->alloc);
    rn_free(s->extra_data);
    rn_free(s);
}

bool chain_fork_active(const chain_spec_t *s, scroll_fork_t f, uint64_t number, uint64_t timestamp)
{
    const fork_activation_t *a = &s->forks[f];
    if (a->at == FORK_NEVER)
        return false;
    return a->by_time ? timestamp >= a->at : number >= a->at;
}

scroll_spec_t chain_spec_level(const chain_spec_t *s, uint64_t number, uint64_t ts)
{
    if (chain_fork_active(s, FORK_GALILEO, number, ts))
        return SCROLL_SPEC_GALILEO;
    if (chain_fork_active(s, FORK_FEYNMAN, number, ts))
        return SCROLL_SPEC_FEYNMAN;
    if (chain_fork_active(s, FORK_EUCLID_V2, number, ts))
        return SCROLL_SPEC_EUCLID;
    if (chain_fork_active(s, FORK_DARWIN, number, ts))
        return SCROLL_SPEC_DARWIN;
    if (chain_fork_active(s, FORK_CURIE, number, ts))
        return SCROLL_SPEC_CURIE;
    if (chain_fork_active(s, FORK_BERNOULLI, number, ts))
        return SCROLL_SPEC_BERNOULLI;
    return SCROLL_SPEC_SHANGHAI;
}

const genesis_account_t *chain_genesis_account(const chain_spec_t *s, const addr_t *a)
{
    genesis_account_t key;
    key.addr = *a;
    return bsearch(&key, s->alloc, s->nalloc, sizeof(key), cmp_account);
}

/* ---- named chains ---- */

typedef struct named_forks {
    uint64_t bernoulli, curie, darwin, darwin_v2, euclid, euclid_v2, feynman, galileo, galileo_v2;
} named_forks_t;

/* SCROLL.md §1.1. */
static const named_forks_t MAINNET_FORKS = { 5220340,    7096836,    1724227200,
                                             1725264000, 1744815600, 1745305200,
                                             1755576000, 1765868400, 1766041200 };
static const named_forks_t SEPOLIA_FORKS = { 3747132,    4740239,    1723622400,
                                             1724832000, 1741680000, 1741852800,
                                             1753167600, 1764054000, 1764831600 };

static void set_forks(chain_spec_t *s, const named_forks_t *f)
{
    const uint64_t at[FORK_COUNT] = { 0,
                                      0,
                                      f->bernoulli,
                                      f->curie,
                                      f->darwin,
                                      f->darwin_v2,
                                      f->euclid,
                                      f->euclid_v2,
                                      f->feynman,
                                      f->galileo,
                                      f->galileo_v2 };
    for (int i = 0; i < FORK_COUNT; i++) {
        s->forks[i].at = at[i];
        s->forks[i].by_time = i >= FORK_DARWIN || i == FORK_SHANGHAI;
    }
}

static err_t hex_hash(hash_t *h, const char *s)
{
    return hash_from_hex(h, s, strlen(s));
}

static err_t load_builtin(chain_spec_t **out, const unsigned char *data, size_t len,
                          const char *name, char *diag, size_t dl)
{
    if (len == 0) {
        diagf(diag, dl,
              "chain '%s' is not built into this binary (its genesis data was missing at build "
              "time)",
              name);
        return ERR_NOT_FOUND;
    }
    return chain_spec_from_json(out, (const char *)data, len, diag, dl);
}

/* A genesis account from raw parts (code copied). */
static void put_account(chain_spec_t *s, const char *addr_hex, uint64_t nonce, const uint8_t *code,
                        size_t code_len)
{
    genesis_account_t *a = &s->alloc[s->nalloc++];
    memset(a, 0, sizeof(*a));
    if (addr_from_hex(&a->addr, addr_hex, strlen(addr_hex)))
        PANIC("bad built-in address %s", addr_hex);
    a->nonce = nonce;
    if (code_len) {
        a->code = rn_memdup(code, code_len);
        a->code_len = code_len;
    }
}

static void set_slot(genesis_account_t *a, uint64_t key, u256_t value)
{
    for (size_t i = 0; i < a->nstorage; i++) {
        if (u256_eq(a->storage[i].key, u256_from_u64(key))) {
            a->storage[i].value = value;
            return;
        }
    }
    a->storage = rn_realloc(a->storage, (a->nstorage + 1) * sizeof(genesis_slot_t));
    a->storage[a->nstorage].key = u256_from_u64(key);
    a->storage[a->nstorage].value = value;
    a->nstorage++;
    qsort(a->storage, a->nstorage, sizeof(genesis_slot_t), cmp_slot);
}

static genesis_account_t *find_mut(chain_spec_t *s, const char *addr_hex)
{
    addr_t a;
    if (addr_from_hex(&a, addr_hex, strlen(addr_hex)))
        return NULL;
    return (genesis_account_t *)chain_genesis_account(s, &a);
}

static err_t decode_code(const unsigned char *hex, size_t len, buf_t *out)
{
    while (len && (hex[len - 1] == '\n' || hex[len - 1] == '\r' || hex[len - 1] == ' '))
        len--;
    return hex_decode_buf(out, (const char *)hex, len);
}

/* The dev chain of SCROLL.md §14 / ROLLUP-NODE.md §5: reth's dev genesis (20 funded test
 * accounts), chain id 1337, every fork at genesis, the predeploys of the e2e genesis, the
 * GalileoV2 gas price oracle with realistic fee parameters, and the EIP-2935 history contract. */
static err_t load_dev(chain_spec_t **out, char *diag, size_t dl)
{
    chain_spec_t *s, *e2e;
    TRY(load_builtin(&s, rn_genesis_dev, rn_genesis_dev_len, "dev", diag, dl));
    err_t e = load_builtin(&e2e, rn_genesis_e2e, rn_genesis_e2e_len, "dev", diag, dl);
    if (e) {
        chain_spec_free(s);
        return e;
    }
    buf_t gpo, h2935;
    buf_init(&gpo, 1 << 20);
    buf_init(&h2935, 1 << 20);
    if (rn_code_gpo_galileo_v2_len == 0 || rn_code_eip2935_len == 0 ||
        decode_code(rn_code_gpo_galileo_v2, rn_code_gpo_galileo_v2_len, &gpo) ||
        decode_code(rn_code_eip2935, rn_code_eip2935_len, &h2935)) {
        diagf(diag, dl, "chain 'dev' is not built into this binary (bytecode data missing)");
        e = ERR_NOT_FOUND;
        goto out;
    }
    snprintf(s->name, sizeof(s->name), "dev");
    s->chain_id = 1337;
    for (int f = 0; f < FORK_COUNT; f++) {
        s->forks[f].at = 0;
        s->forks[f].by_time = f >= FORK_DARWIN;
    }
    s->fee_vault = e2e->fee_vault;
    s->has_fee_vault = true;
    s->max_tx_payload_bytes = 122880;
    s->num_l1_messages_per_block = 10;
    /* Predeploys from the e2e genesis: L2MessageQueue, Whitelist, fee vault, deterministic
     * deployment proxy. */
    static const char *const predeploys[] = { "0x5300000000000000000000000000000000000000",
                                              "0x5300000000000000000000000000000000000003",
                                              "0x5300000000000000000000000000000000000005",
                                              "0x4e59b44847b379578588920ca78fbf26c0b4956c" };
    size_t extra = RN_ARRAY_LEN(predeploys) + 2;
    s->alloc = rn_realloc(s->alloc, (s->nalloc + extra) * sizeof(genesis_account_t));
    for (size_t i = 0; i < RN_ARRAY_LEN(predeploys); i++) {
        const genesis_account_t *src = find_mut(e2e, predeploys[i]);
        if (!src || find_mut(s, predeploys[i]))
            continue;
        genesis_account_t *a = &s->alloc[s->nalloc++];
        *a = *src;
        a->code = src->code_len ? rn_memdup(src->code, src->code_len) : NULL;
        a->storage =
            src->nstorage ? rn_memdup(src->storage, src->nstorage * sizeof(genesis_slot_t)) : NULL;
    }
    put_account(s, "0x0000F90827F1C53a10cb7A02335B175320002935", 1, h2935.p, h2935.n);
    alloc_normalise(s);
    /* The oracle: dev.json gives storage only; add the GalileoV2 code and flags. */
    genesis_account_t *o = find_mut(s, "0x5300000000000000000000000000000000000002");
    if (!o) {
        s->alloc = rn_realloc(s->alloc, (s->nalloc + 1) * sizeof(genesis_account_t));
        put_account(s, "0x5300000000000000000000000000000000000002", 0, NULL, 0);
        alloc_normalise(s);
        o = find_mut(s, "0x5300000000000000000000000000000000000002");
    }
    rn_free(o->code);
    o->code = rn_memdup(gpo.p, gpo.n);
    o->code_len = gpo.n;
    addr_t owner;
    if (addr_from_hex(&owner, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42))
        PANIC("bad owner");
    uint8_t word[32] = { 0 };
    memcpy(word + 12, owner.b, 20);
    set_slot(o, 0, u256_from_be(word, 32));
    set_slot(o, GPO_SLOT_IS_CURIE, u256_from_u64(1));
    set_slot(o, GPO_SLOT_PENALTY_THRESHOLD, u256_from_u64(1000000000));
    set_slot(o, GPO_SLOT_PENALTY_FACTOR, u256_from_u64(1000000000));
    set_slot(o, GPO_SLOT_IS_FEYNMAN, u256_from_u64(1));
    set_slot(o, GPO_SLOT_IS_GALILEO, u256_from_u64(1));
    /* Curie at genesis: a 16-field header. Its base fee is the one every later block gets on an
     * idle dev chain (SCROLL.md §5.3: the default overhead), not the file's 0: wallets price the
     * first transaction from the latest block's base fee (alloy, viem), and with 0 there it
     * would sit in the pool below block 1's base fee forever. */
    s->has_base_fee = true;
    s->base_fee = u256_from_u64(SCROLL_DEFAULT_BASE_FEE_OVERHEAD);
    *out = s;
    s = NULL;
    e = ERR_OK;
out:
    buf_deinit(&gpo);
    buf_deinit(&h2935);
    chain_spec_free(s);
    chain_spec_free(e2e);
    return e;
}

err_t chain_spec_load(chain_spec_t **out, const char *name, char *diag, size_t dl)
{
    *out = NULL;
    if (strcmp(name, "dev") == 0)
        return load_dev(out, diag, dl);
    bool mainnet = !strcmp(name, "scroll-mainnet") || !strcmp(name, "scroll");
    bool sepolia = !strcmp(name, "scroll-sepolia") || !strcmp(name, "sepolia");
    if (mainnet || sepolia) {
        chain_spec_t *s;
        TRY(mainnet ? load_builtin(&s, rn_genesis_mainnet, rn_genesis_mainnet_len, name, diag, dl)
                    : load_builtin(&s, rn_genesis_sepolia, rn_genesis_sepolia_len, name, diag, dl));
        snprintf(s->name, sizeof(s->name), "%s", mainnet ? "scroll-mainnet" : "scroll-sepolia");
        set_forks(s, mainnet ? &MAINNET_FORKS : &SEPOLIA_FORKS);
        s->has_base_fee = false; /* Curie came later: 15-field genesis header */
        /* SCROLL.md §0 and §8.4: canonical hashes; mainnet's header carries the zktrie root. */
        err_t e = hex_hash(
            &s->canonical_genesis_hash,
            mainnet ? "0xbbc05efd412b7cd47a2ed0e5ddfcf87af251e414ea4c801d78b6784513180a80"
                    : "0xaa62d1a8b2bffa9e5d2368b63aae0d98d54928bd713125e3fd9e5c896c68592c");
        if (!e && mainnet)
            e = hex_hash(&s->genesis_state_root_override,
                         "0x08d535cc60f40af5dd3b31e0998d7567c2d568b224bed2ba26070aeb078d1339");
        if (mainnet) {
            if (addr_from_hex(&s->l1_message_queue_v2, "0x56971da63A3C0205184FEF096E9ddFc7A8C2D18a",
                              42) ||
                addr_from_hex(&s->system_contract, "0xD83C4892BB5aA241B63d8C4C134920111E142A20",
                              42) ||
                addr_from_hex(&s->l2_system_config, "0x331A873a2a85219863d80d248F9e2978fE88D0Ea",
                              42))
                e = ERR_INVALID_ARG;
        } else {
            if (addr_from_hex(&s->l1_message_queue_v2, "0xA0673eC0A48aa924f067F1274EcD281A10c5f19F",
                              42) ||
                addr_from_hex(&s->system_contract, "0x687E0E85AD67ff71aC134CF61b65905b58Ab43b2",
                              42) ||
                addr_from_hex(&s->l2_system_config, "0xF444cF06A3E3724e20B35c2989d3942ea8b59124",
                              42))
                e = ERR_INVALID_ARG;
        }
        if (e) {
            chain_spec_free(s);
            return e;
        }
        *out = s;
        return ERR_OK;
    }
    FILE *f = fopen(name, "rb");
    if (!f) {
        diagf(diag, dl,
              "unknown chain '%s': expected dev, scroll-mainnet, scroll-sepolia or the path of a "
              "genesis JSON file",
              name);
        return ERR_NOT_FOUND;
    }
    buf_t b;
    buf_init(&b, 256u << 20);
    uint8_t chunk[65536];
    size_t r;
    err_t e = ERR_OK;
    while (!e && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
        e = buf_append(&b, chunk, r);
    fclose(f);
    if (e) {
        diagf(diag, dl, "genesis file %s is too large", name);
        buf_deinit(&b);
        return e;
    }
    e = chain_spec_from_json(out, (const char *)b.p, b.n, diag, dl);
    buf_deinit(&b);
    return e;
}

/* ---- writing a spec back as a genesis file (`rollup-node dump-genesis`) ---- */

static json_t *j_hex_u64(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "0x%llx", (unsigned long long)v);
    return json_string(s);
}

static json_t *j_u256(u256_t v)
{
    char s[67];
    u256_to_hex(s, v);
    return json_string(s);
}

static json_t *j_bytes(const uint8_t *p, size_t n)
{
    char *s = rn_malloc(2 * n + 3);
    hex_encode_0x(s, p, n);
    json_t *j = json_string(s);
    rn_free(s);
    return j;
}

static json_t *j_addr(const addr_t *a)
{
    return j_bytes(a->b, 20);
}

static json_t *alloc_json(const chain_spec_t *s)
{
    json_t *alloc = json_object();
    for (size_t i = 0; i < s->nalloc; i++) {
        const genesis_account_t *a = &s->alloc[i];
        json_t *o = json_object();
        json_object_set_new(o, "balance", j_u256(a->balance));
        if (a->nonce)
            json_object_set_new(o, "nonce", j_hex_u64(a->nonce));
        if (a->code_len)
            json_object_set_new(o, "code", j_bytes(a->code, a->code_len));
        if (a->nstorage) {
            json_t *st = json_object();
            for (size_t k = 0; k < a->nstorage; k++) {
                uint8_t kb[32], vb[32];
                u256_to_be(kb, a->storage[k].key);
                u256_to_be(vb, a->storage[k].value);
                char ks[67];
                hex_encode_0x(ks, kb, 32);
                json_object_set_new(st, ks, j_bytes(vb, 32));
            }
            json_object_set_new(o, "storage", st);
        }
        char as[43];
        hex_encode_0x(as, a->addr.b, 20);
        json_object_set_new(alloc, as, o);
    }
    return alloc;
}

char *chain_spec_to_json(const chain_spec_t *s)
{
    json_t *cfg = json_object();
    json_object_set_new(cfg, "chainId", json_integer((json_int_t)s->chain_id));
    /* The Ethereum forks before Scroll's own are active from genesis on every Scroll chain. */
    static const char *const eth_blocks[] = {
        "homesteadBlock",      "eip150Block",     "eip155Block",   "eip158Block", "byzantiumBlock",
        "constantinopleBlock", "petersburgBlock", "istanbulBlock", "berlinBlock", "londonBlock"
    };
    for (size_t i = 0; i < RN_ARRAY_LEN(eth_blocks); i++)
        json_object_set_new(cfg, eth_blocks[i], json_integer(0));
    for (int f = 0; f < FORK_COUNT; f++) {
        if (s->forks[f].at == FORK_NEVER)
            continue;
        const char *key = fork_keys[f];
        if (f == FORK_SHANGHAI && s->forks[f].by_time)
            key = "shanghaiTime";
        json_object_set_new(cfg, key, json_integer((json_int_t)s->forks[f].at));
    }
    json_t *sc = json_object();
    json_object_set_new(sc, "useZktrie", json_false());
    json_object_set_new(sc, "maxTxPayloadBytesPerBlock",
                        json_integer((json_int_t)s->max_tx_payload_bytes));
    if (s->max_tx_per_block)
        json_object_set_new(sc, "maxTxPerBlock", json_integer((json_int_t)s->max_tx_per_block));
    if (s->has_fee_vault)
        json_object_set_new(sc, "feeVaultAddress", j_addr(&s->fee_vault));
    json_object_set_new(sc, "l1DataFeeBufferCheck", json_boolean(s->l1_data_fee_buffer_check));
    json_t *l1 = json_object();
    json_object_set_new(l1, "l1ChainId", json_integer((json_int_t)s->l1_chain_id));
    json_object_set_new(l1, "l1MessageQueueAddress", j_addr(&s->l1_message_queue));
    json_object_set_new(l1, "l1MessageQueueV2Address", j_addr(&s->l1_message_queue_v2));
    json_object_set_new(l1, "scrollChainAddress", j_addr(&s->scroll_chain));
    json_object_set_new(l1, "systemContractAddress", j_addr(&s->system_contract));
    json_object_set_new(l1, "l2SystemConfigAddress", j_addr(&s->l2_system_config));
    json_object_set_new(l1, "numL1MessagesPerBlock",
                        json_integer((json_int_t)s->num_l1_messages_per_block));
    json_object_set_new(l1, "startL1Block", json_integer((json_int_t)s->start_l1_block));
    json_object_set_new(sc, "l1Config", l1);
    json_object_set_new(cfg, "scroll", sc);

    json_t *root = json_object();
    json_object_set_new(root, "config", cfg);
    json_object_set_new(root, "nonce", j_hex_u64(s->nonce));
    json_object_set_new(root, "timestamp", j_hex_u64(s->timestamp));
    json_object_set_new(root, "extraData", j_bytes(s->extra_data, s->extra_len));
    json_object_set_new(root, "gasLimit", j_hex_u64(s->gas_limit));
    json_object_set_new(root, "difficulty", j_u256(s->difficulty));
    json_object_set_new(root, "mixHash", j_bytes(s->mix_hash.b, 32));
    json_object_set_new(root, "coinbase", j_addr(&s->coinbase));
    if (s->has_base_fee)
        json_object_set_new(root, "baseFeePerGas", j_u256(s->base_fee));
    json_object_set_new(root, "alloc", alloc_json(s));
    json_object_set_new(root, "number", json_string("0x0"));
    json_object_set_new(root, "gasUsed", json_string("0x0"));
    json_object_set_new(root, "parentHash", j_bytes((const uint8_t[32]){ 0 }, 32));
    size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
    size_t n = json_dumpb(root, NULL, 0, flags);
    char *out = rn_malloc(n + 1);
    if (n == 0 || json_dumpb(root, out, n, flags) != n)
        PANIC("cannot write a genesis file");
    out[n] = '\0';
    json_decref(root);
    return out;
}
