/* src/state/statetest.c — the state-test runner (ethereum/tests GeneralStateTests, EEST state
 * fixtures, evmone's state tests) and the loader the EVM benchmark reuses.
 *
 * Per post entry: the transaction is built from the JSON fields by the entry's indexes and its
 * sender derived from secretKey; it runs over a fresh overlay on the pre-state with Ethereum
 * rules for the fork; afterwards the coinbase is touched (as geth's runner does, so an empty
 * coinbase disappears under EIP-161); the post-state root (MPT), keccak(rlp(logs)) and
 * expectException are compared. Blob transactions and the tests listed in the unsupported file
 * are reported as unsupported, never silently skipped. */
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/crypto.h"
#include "rlp/rlp.h"
#include "state/state_int.h"

/* ---- JSON field helpers ---- */

static const char *jstr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static err_t parse_u256_str(const char *s, u256_t *out)
{
    if (!s)
        return ERR_JSON_INVALID;
    return u256_parse(s, strlen(s), out);
}

static err_t parse_u64_str(const char *s, uint64_t *out)
{
    if (!s)
        return ERR_JSON_INVALID;
    u256_t v;
    TRY(u256_parse(s, strlen(s), &v));
    if (!u256_fits_u64(v))
        return ERR_NUM_OVERFLOW;
    *out = v.w[0];
    return ERR_OK;
}

static err_t parse_addr_str(const char *s, addr_t *out)
{
    if (!s)
        return ERR_JSON_INVALID;
    return addr_from_hex(out, s, strlen(s));
}

static err_t parse_bytes_str(const char *s, buf_t *out)
{
    if (!s)
        return ERR_JSON_INVALID;
    return hex_decode_buf(out, s, strlen(s));
}

static err_t field_u256(const json_t *o, const char *key, u256_t *out)
{
    return parse_u256_str(jstr(o, key), out);
}

static err_t field_u64(const json_t *o, const char *key, uint64_t *out)
{
    return parse_u64_str(jstr(o, key), out);
}

/* ---- entries ---- */

typedef struct pre_ref {
    state_mem_t *m;
    size_t refs;
} pre_ref_t;

struct state_test_entry {
    char *name;
    char *fork;
    size_t index;
    evm_rules_t rules;
    evm_block_t block;
    pre_ref_t *pre;
    tx_t tx;
    addr_t sender;
    bool tx_bad;             /**< a field does not fit its type: the tx is invalid */
    const char *unsupported; /**< reason, or NULL */
    bool has_root, has_logs;
    hash_t root, logs;
    char *expect_exception;
};

const char *state_test_entry_name(const state_test_entry_t *e)
{
    return e->name;
}

static void entry_free(state_test_entry_t *e)
{
    if (!e)
        return;
    if (e->pre && --e->pre->refs == 0) {
        state_mem_free(e->pre->m);
        rn_free(e->pre);
    }
    tx_deinit(&e->tx);
    rn_free(e->name);
    rn_free(e->fork);
    rn_free(e->expect_exception);
    rn_free(e);
}

void state_test_entries_free(state_test_entry_t **e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        entry_free(e[i]);
    rn_free(e);
}

static err_t load_pre(const json_t *pre, state_mem_t *m)
{
    const char *key;
    const json_t *acct;
    buf_t code;
    buf_init(&code, BUF_MAX_DEFAULT);
    err_t e = ERR_OK;
    json_object_foreach((json_t *)pre, key, acct)
    {
        addr_t a;
        u256_t bal;
        uint64_t nonce;
        buf_reset(&code);
        if ((e = parse_addr_str(key, &a)) || (e = field_u256(acct, "balance", &bal)) ||
            (e = field_u64(acct, "nonce", &nonce)) ||
            (e = parse_bytes_str(jstr(acct, "code"), &code)))
            break;
        state_mem_put_account(m, &a, nonce, bal, code.p, code.n);
        const json_t *storage = json_object_get(acct, "storage");
        const char *sk;
        const json_t *sv;
        json_object_foreach((json_t *)storage, sk, sv)
        {
            u256_t k, v;
            if ((e = parse_u256_str(sk, &k)) || (e = parse_u256_str(json_string_value(sv), &v)))
                break;
            state_mem_put_storage(m, &a, &k, v);
        }
        if (e)
            break;
    }
    buf_deinit(&code);
    return e;
}

/** EIP-4844 fake_exponential(1, excess, fraction): the blob base fee. */
static u256_t blob_base_fee(u256_t excess, uint64_t fraction)
{
    u256_t den = u256_from_u64(fraction);
    u256_t out = u256_zero();
    u256_t acc = den; /* factor (1) · denominator */
    for (uint64_t i = 1; !u256_is_zero(acc) && i < 1000; i++) {
        out = u256_add(out, acc);
        acc = u256_div(u256_mul(acc, excess), u256_mul(den, u256_from_u64(i)));
    }
    return u256_div(out, den);
}

static err_t load_env(const json_t *env, const json_t *config, const evm_rules_t *rules,
                      evm_block_t *b)
{
    memset(b, 0, sizeof(*b));
    TRY(parse_addr_str(jstr(env, "currentCoinbase"), &b->coinbase));
    TRY(field_u64(env, "currentGasLimit", &b->gas_limit));
    TRY(field_u64(env, "currentNumber", &b->number));
    TRY(field_u64(env, "currentTimestamp", &b->timestamp));
    if (jstr(env, "currentRandom"))
        TRY(field_u256(env, "currentRandom", &b->prevrandao));
    else if (jstr(env, "currentDifficulty"))
        TRY(field_u256(env, "currentDifficulty", &b->prevrandao));
    if (jstr(env, "currentBaseFee"))
        TRY(field_u256(env, "currentBaseFee", &b->base_fee));
    else
        b->base_fee = u256_from_u64(10); /* the retesteth default geth's runner also uses */
    b->chain_id = u256_from_u64(1);
    if (config && jstr(config, "chainid"))
        TRY(field_u256(config, "chainid", &b->chain_id));
    if (evm_rules_has(rules, EVM_F_BLOBBASEFEE)) {
        u256_t excess = u256_zero(); /* absent: 0, i.e. the minimum blob base fee of 1 */
        if (jstr(env, "currentExcessBlobGas"))
            TRY(field_u256(env, "currentExcessBlobGas", &excess));
        /* BLOB_BASE_FEE_UPDATE_FRACTION: Cancun 3338477, Prague 5007716 (EIP-7691). */
        uint64_t frac =
            rules->chain == EVM_CHAIN_ETHEREUM && rules->fork >= EVM_ETH_PRAGUE ? 5007716 : 3338477;
        b->blob_base_fee = blob_base_fee(excess, frac);
    }
    return ERR_OK;
}

static err_t load_access_list(const json_t *al, tx_t *tx)
{
    size_t n = json_array_size(al);
    tx->access_list = RN_NEWV(access_tuple_t, n ? n : 1);
    tx->naccess = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(al, i);
        access_tuple_t *at = &tx->access_list[i];
        TRY(parse_addr_str(jstr(t, "address"), &at->addr));
        const json_t *keys = json_object_get(t, "storageKeys");
        size_t nk = json_array_size(keys);
        at->keys = RN_NEWV(hash_t, nk ? nk : 1);
        at->nkeys = nk;
        for (size_t k = 0; k < nk; k++) {
            const char *s = json_string_value(json_array_get(keys, k));
            if (!s)
                return ERR_JSON_INVALID;
            u256_t v;
            TRY(parse_u256_str(s, &v));
            u256_to_be(at->keys[k].b, v);
        }
    }
    return ERR_OK;
}

static err_t load_auths(const json_t *list, tx_t *tx)
{
    size_t n = json_array_size(list);
    tx->auths = RN_NEWV(authorization_t, n ? n : 1);
    tx->nauths = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *j = json_array_get(list, i);
        authorization_t *a = &tx->auths[i];
        u256_t v, nonce;
        TRY(field_u256(j, "chainId", &a->chain_id));
        TRY(parse_addr_str(jstr(j, "address"), &a->addr));
        TRY(field_u256(j, "nonce", &nonce));
        /* Values that do not fit the field make the tuple invalid; keep them invalid. */
        a->nonce = u256_fits_u64(nonce) ? nonce.w[0] : UINT64_MAX;
        const char *vs = jstr(j, "v") ? jstr(j, "v") : jstr(j, "yParity");
        TRY(parse_u256_str(vs, &v));
        a->y_parity = (u256_fits_u64(v) && v.w[0] <= 1) ? (uint8_t)v.w[0] : 2;
        TRY(field_u256(j, "r", &a->r));
        TRY(field_u256(j, "s", &a->s));
    }
    return ERR_OK;
}

/** Build the transaction of one post entry. ERR_NUM_OVERFLOW etc. = a field that cannot be
 *  represented (the transaction is invalid). */
static err_t build_tx(const json_t *jt, size_t di, size_t gi, size_t vi, tx_t *tx, addr_t *sender)
{
    memset(tx, 0, sizeof(*tx));
    const json_t *data = json_object_get(jt, "data");
    const json_t *gas = json_object_get(jt, "gasLimit");
    const json_t *value = json_object_get(jt, "value");
    if (di >= json_array_size(data) || gi >= json_array_size(gas) || vi >= json_array_size(value))
        return ERR_JSON_INVALID;
    buf_t d;
    buf_init(&d, BUF_MAX_DEFAULT);
    err_t e = parse_bytes_str(json_string_value(json_array_get(data, di)), &d);
    if (e) {
        buf_deinit(&d);
        return e;
    }
    size_t dn;
    tx->data = buf_take(&d, &dn);
    tx->data_len = dn;
    TRY(parse_u64_str(json_string_value(json_array_get(gas, gi)), &tx->gas_limit));
    TRY(parse_u256_str(json_string_value(json_array_get(value, vi)), &tx->value));
    TRY(field_u64(jt, "nonce", &tx->nonce));
    const char *to = jstr(jt, "to");
    if (to && *to) {
        TRY(parse_addr_str(to, &tx->to));
        tx->has_to = true;
    }
    tx->has_chain_id = true;
    tx->chain_id = u256_from_u64(1);
    const json_t *als = json_object_get(jt, "accessLists");
    const json_t *al = json_is_array(als) ? json_array_get(als, di) : NULL;
    const json_t *auths = json_object_get(jt, "authorizationList");
    if (json_is_array(auths)) {
        tx->type = TX_SET_CODE;
        TRY(load_auths(auths, tx));
    } else if (json_object_get(jt, "blobVersionedHashes")) {
        tx->type = TX_BLOB;
    } else if (jstr(jt, "maxFeePerGas")) {
        tx->type = TX_DYNAMIC_FEE;
    } else if (json_is_array(al)) {
        tx->type = TX_ACCESS_LIST;
    } else {
        tx->type = TX_LEGACY;
    }
    if (json_is_array(al))
        TRY(load_access_list(al, tx));
    if (jstr(jt, "maxFeePerGas")) {
        TRY(field_u256(jt, "maxFeePerGas", &tx->max_fee));
        TRY(field_u256(jt, "maxPriorityFeePerGas", &tx->max_priority_fee));
    } else {
        TRY(field_u256(jt, "gasPrice", &tx->gas_price));
    }
    uint8_t sk[32];
    const char *sks = jstr(jt, "secretKey");
    if (!sks)
        return ERR_JSON_INVALID;
    TRY(hex_decode_fixed(sk, 32, sks, strlen(sks)));
    e = addr_from_seckey(sender, sk);
    secure_wipe(sk, sizeof(sk));
    return e;
}

static bool is_supported_fork(const char *f)
{
    return strcmp(f, "Shanghai") == 0 || strcmp(f, "Cancun") == 0 || strcmp(f, "Prague") == 0 ||
           strcmp(f, "Osaka") == 0;
}

typedef struct loader {
    const state_test_opts_t *opts;
    const char *fork_override;
    regex_t *re;
    state_test_stats_t *stats;
    state_test_entry_t **v;
    size_t n, cap;
} loader_t;

static err_t load_test(loader_t *L, const char *name, const json_t *t)
{
    const json_t *post = json_object_get(t, "post");
    const json_t *jt = json_object_get(t, "transaction");
    const json_t *env = json_object_get(t, "env");
    const json_t *pre = json_object_get(t, "pre");
    if (!json_is_object(post) || !json_is_object(jt) || !json_is_object(env) ||
        !json_is_object(pre))
        return ERR_JSON_INVALID;
    if (L->re && regexec(L->re, name, 0, NULL, 0) != 0)
        return ERR_OK;
    pre_ref_t *pref = NULL;
    const char *fork;
    const json_t *ents;
    err_t e = ERR_OK;
    json_object_foreach((json_t *)post, fork, ents)
    {
        const char *run_fork = fork;
        if (L->fork_override) {
            run_fork = L->fork_override;
        } else {
            if (!is_supported_fork(fork) ||
                (L->opts && L->opts->fork && strcmp(L->opts->fork, fork) != 0)) {
                if (L->stats && !is_supported_fork(fork))
                    L->stats->other_forks += json_array_size(ents);
                continue;
            }
        }
        evm_rules_t rules;
        if (evm_rules_from_name(&rules, run_fork) != ERR_OK)
            return ERR_NOT_FOUND;
        if (!pref) {
            pref = RN_NEW(pre_ref_t);
            pref->m = state_mem_new();
            if ((e = load_pre(pre, pref->m)) != ERR_OK) {
                state_mem_free(pref->m);
                rn_free(pref);
                return e;
            }
        }
        for (size_t i = 0; i < json_array_size(ents); i++) {
            const json_t *pe = json_array_get(ents, i);
            state_test_entry_t *x = RN_NEW(state_test_entry_t);
            x->name = rn_strdup(name);
            x->fork = rn_strdup(fork);
            x->index = i;
            x->rules = rules;
            x->pre = pref;
            pref->refs++;
            STATE_GROW(L->v, L->n, L->cap);
            L->v[L->n++] = x;
            if ((e = load_env(env, json_object_get(t, "config"), &rules, &x->block)) != ERR_OK)
                return e;
            const json_t *idx = json_object_get(pe, "indexes");
            size_t di = (size_t)json_integer_value(json_object_get(idx, "data"));
            size_t gi = (size_t)json_integer_value(json_object_get(idx, "gas"));
            size_t vi = (size_t)json_integer_value(json_object_get(idx, "value"));
            err_t be = build_tx(jt, di, gi, vi, &x->tx, &x->sender);
            if (be == ERR_JSON_INVALID || be == ERR_HEX_INVALID || be == ERR_HEX_ODD_LENGTH ||
                be == ERR_CRYPTO_BAD_KEY)
                return be;
            x->tx_bad = be != ERR_OK;
            if (x->tx.type == TX_BLOB)
                x->unsupported = "blob transaction (EIP-4844 type 3) is not supported";
            const char *h = jstr(pe, "hash");
            if (h && hash_from_hex(&x->root, h, strlen(h)) == ERR_OK)
                x->has_root = true;
            const char *lg = jstr(pe, "logs");
            if (lg && hash_from_hex(&x->logs, lg, strlen(lg)) == ERR_OK)
                x->has_logs = true;
            const char *ex = jstr(pe, "expectException");
            if (ex)
                x->expect_exception = rn_strdup(ex);
        }
    }
    return ERR_OK;
}

static err_t load_file(loader_t *L, const char *file)
{
    json_error_t jerr;
    json_t *root = json_load_file(file, 0, &jerr);
    if (!root)
        return ERR_JSON_INVALID;
    err_t e = ERR_OK;
    const char *name;
    const json_t *t;
    json_object_foreach(root, name, t)
    {
        if ((e = load_test(L, name, t)) != ERR_OK)
            break;
    }
    json_decref(root);
    return e;
}

err_t state_test_load(const char *file, const char *fork_override, state_test_entry_t ***out,
                      size_t *n)
{
    loader_t L;
    memset(&L, 0, sizeof(L));
    L.fork_override = fork_override;
    err_t e = load_file(&L, file);
    if (e) {
        state_test_entries_free(L.v, L.n);
        *out = NULL;
        *n = 0;
        return e;
    }
    *out = L.v;
    *n = L.n;
    return ERR_OK;
}

/* ---- execution ---- */

static hash_t geth_block_hash(void *ud, uint64_t n)
{
    /* The state-test convention (geth's vmTestBlockHash): keccak256 of the decimal number. */
    (void)ud;
    char s[24];
    int len = snprintf(s, sizeof(s), "%" PRIu64, n);
    return keccak256_hash((const uint8_t *)s, (size_t)len);
}

static err_t logs_hash(const log_t *logs, size_t n, hash_t *out)
{
    buf_t b;
    buf_init(&b, BUF_MAX_DEFAULT);
    size_t m;
    err_t e = rlp_list_begin(&b, &m);
    for (size_t i = 0; !e && i < n; i++)
        e = log_encode(&logs[i], &b);
    if (!e)
        e = rlp_list_end(&b, m);
    if (!e)
        *out = keccak256_hash(b.p, b.n);
    buf_deinit(&b);
    return e;
}

typedef struct exec_out {
    tx_invalid_t invalid;
    state_tx_result_t res;
    hash_t root, logs;
} exec_out_t;

static err_t entry_exec(state_test_entry_t *x, evm_t *evm, bool want_root, exec_out_t *o)
{
    memset(o, 0, sizeof(*o));
    state_backend_t be = state_mem_backend(x->pre->m);
    state_t *st = state_new(&be);
    state_set_block_hashes(st, geth_block_hash, NULL);
    state_tx_env_t env;
    memset(&env, 0, sizeof(env));
    env.evm = evm;
    env.rules = &x->rules;
    env.block = &x->block;
    o->invalid = TX_INVALID_INSUFFICIENT_FUNDS; /* a field beyond its type: rejected */
    if (!x->tx_bad)
        o->invalid = state_tx_apply(st, &env, &x->tx, &x->sender, &o->res);
    err_t e = ERR_OK;
    size_t nlogs = 0;
    const log_t *logs = state_logs(st, &nlogs);
    if (o->invalid != TX_VALID)
        nlogs = 0;
    if (want_root) {
        e = logs_hash(logs, nlogs, &o->logs);
        /* geth's runner adds a zero reward to the coinbase after the tx (a touch). */
        state_tx_begin(st);
        state_touch(st, &x->block.coinbase);
        state_tx_end(st);
        state_changes_t ch;
        if (!e)
            e = state_changes(st, &ch);
        if (!e) {
            state_mem_t *post = state_mem_clone(x->pre->m);
            state_mem_apply(post, &ch);
            e = state_mem_root(post, &o->root);
            state_mem_free(post);
            state_changes_free(&ch);
        }
    }
    state_free(st);
    return e;
}

err_t state_test_entry_exec(state_test_entry_t *e, evm_t *evm, uint64_t *gas_used)
{
    exec_out_t o;
    TRY(entry_exec(e, evm, false, &o));
    *gas_used = o.invalid == TX_VALID ? o.res.gas_used : 0;
    return ERR_OK;
}

/* ---- EIP-3155 tracing ---- */

static void trace_step(void *ud, uint32_t pc, uint8_t op, int64_t gas, int64_t cost,
                       size_t mem_size, const u256_t *stack, size_t stack_n, int32_t depth,
                       int64_t refund)
{
    FILE *f = ud;
    const char *name = evm_op_name(op);
    fprintf(f,
            "{\"pc\":%u,\"op\":%u,\"gas\":\"0x%" PRIx64 "\",\"gasCost\":\"0x%" PRIx64
            "\",\"memSize\":%zu,\"stack\":[",
            pc, op, (uint64_t)gas, (uint64_t)cost, mem_size);
    for (size_t i = 0; i < stack_n; i++) {
        char hx[67];
        u256_to_hex(hx, stack[i]);
        fprintf(f, "%s\"%s\"", i ? "," : "", hx);
    }
    fprintf(f, "],\"depth\":%d,\"refund\":%" PRId64 ",\"opName\":\"%s\"}\n", depth + 1, refund,
            name ? name : "UNDEFINED");
}

/* ---- the runner ---- */

typedef struct unsup {
    char **names;
    char **reasons;
    size_t n;
} unsup_t;

static void unsup_load(unsup_t *u, const char *path, FILE *out)
{
    memset(u, 0, sizeof(*u));
    if (!path)
        return;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(out, "warning: cannot read unsupported list %s\n", path);
        return;
    }
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == 0)
            continue;
        char *end = p;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n')
            end++;
        char *reason = end;
        while (*reason == ' ' || *reason == '\t')
            reason++;
        size_t rl = strcspn(reason, "\n");
        reason[rl] = 0;
        *end = 0;
        if (u->n == cap) {
            cap = cap ? cap * 2 : 64;
            u->names = rn_realloc(u->names, cap * sizeof(char *));
            u->reasons = rn_realloc(u->reasons, cap * sizeof(char *));
        }
        u->names[u->n] = rn_strdup(p);
        u->reasons[u->n] = rn_strdup(*reason ? reason : "listed as unsupported");
        u->n++;
    }
    fclose(f);
}

static void unsup_free(unsup_t *u)
{
    for (size_t i = 0; i < u->n; i++) {
        rn_free(u->names[i]);
        rn_free(u->reasons[i]);
    }
    rn_free(u->names);
    rn_free(u->reasons);
}

/** Reason if name is listed (exact, or a prefix ending in '*'). */
static const char *unsup_find(const unsup_t *u, const char *name)
{
    for (size_t i = 0; i < u->n; i++) {
        const char *p = u->names[i];
        size_t l = strlen(p);
        if (l && p[l - 1] == '*') {
            if (strncmp(p, name, l - 1) == 0)
                return u->reasons[i];
        } else if (strcmp(p, name) == 0) {
            return u->reasons[i];
        }
    }
    return NULL;
}

/** Does our rejection match the fixture's expectException ("A|B" = either)? The floor-gas
 *  rejection (EIP-7623) was filled as INTRINSIC_GAS_TOO_LOW before EEST split the name. */
static bool exception_matches(const char *expected, tx_invalid_t got)
{
    const char *ours = tx_invalid_eest(got);
    const char *alias =
        got == TX_INVALID_FLOOR_DATA_GAS ? tx_invalid_eest(TX_INVALID_INTRINSIC_GAS) : NULL;
    const char *p = expected;
    while (*p) {
        size_t l = strcspn(p, "|");
        if ((strlen(ours) == l && strncmp(p, ours, l) == 0) ||
            (alias && strlen(alias) == l && strncmp(p, alias, l) == 0))
            return true;
        p += l;
        if (*p == '|')
            p++;
    }
    return false;
}

static void run_entry(state_test_entry_t *x, evm_t *evm, const state_test_opts_t *o,
                      const unsup_t *u, const char *file, state_test_stats_t *stats)
{
    FILE *out = o->out ? o->out : stdout;
    const char *why = x->unsupported ? x->unsupported : unsup_find(u, x->name);
    size_t fi = x->rules.chain == EVM_CHAIN_ETHEREUM ? (size_t)x->rules.fork & 3 : 0;
    if (why) {
        stats->unsupported++;
        stats->fork_unsupported[fi]++;
        fprintf(out, "UNSUPPORTED %s %s[%zu]: %s\n", x->name, x->fork, x->index, why);
        return;
    }
    exec_out_t r;
    err_t e = entry_exec(x, evm, true, &r);
    char msg[512];
    msg[0] = 0;
    if (e) {
        snprintf(msg, sizeof(msg), "runner error: %s", err_str(e));
    } else if (x->tx_bad) {
        /* A field beyond its RLP type (e.g. a value of 2^256): the transaction cannot exist. */
        if (!x->expect_exception || !strstr(x->expect_exception, "TransactionException.RLP_"))
            snprintf(msg, sizeof(msg), "a transaction field does not fit its type, expected %s",
                     x->expect_exception ? x->expect_exception : "a valid transaction");
    } else if (x->expect_exception) {
        if (r.invalid == TX_VALID)
            snprintf(msg, sizeof(msg), "expected %s, the transaction was valid",
                     x->expect_exception);
        else if (!exception_matches(x->expect_exception, r.invalid))
            snprintf(msg, sizeof(msg), "expected %s, got %s (%s)", x->expect_exception,
                     tx_invalid_eest(r.invalid), tx_invalid_msg(r.invalid));
    } else if (r.invalid != TX_VALID) {
        snprintf(msg, sizeof(msg), "transaction rejected: %s", tx_invalid_msg(r.invalid));
    }
    if (!msg[0] && x->has_root && !hash_eq(&r.root, &x->root)) {
        char a[67], b[67];
        hex_encode_0x(a, r.root.b, 32);
        hex_encode_0x(b, x->root.b, 32);
        snprintf(msg, sizeof(msg), "state root %s, expected %s (status %s, gas used %" PRIu64 ")",
                 a, b, evm_status_name(r.res.status), r.res.gas_used);
    }
    if (!msg[0] && x->has_logs && !hash_eq(&r.logs, &x->logs)) {
        char a[67], b[67];
        hex_encode_0x(a, r.logs.b, 32);
        hex_encode_0x(b, x->logs.b, 32);
        snprintf(msg, sizeof(msg), "logs hash %s, expected %s", a, b);
    }
    if (o->trace) {
        fprintf(stderr, "{\"output\":\"0x");
        for (size_t i = 0; i < r.res.output.n; i++)
            fprintf(stderr, "%02x", r.res.output.p[i]);
        fprintf(stderr, "\",\"gasUsed\":\"0x%" PRIx64 "\",\"status\":\"%s\"}\n", r.res.gas_used,
                r.invalid == TX_VALID ? evm_status_name(r.res.status) : tx_invalid_msg(r.invalid));
    }
    if (msg[0]) {
        stats->failed++;
        stats->fork_failed[fi]++;
        fprintf(out, "FAIL %s %s[%zu] (%s): %s\n", x->name, x->fork, x->index, file, msg);
    } else {
        stats->passed++;
        stats->fork_passed[fi]++;
        if (o->verbose)
            fprintf(out, "PASS %s %s[%zu]\n", x->name, x->fork, x->index);
    }
}

static void run_file(const char *file, evm_t *evm, const state_test_opts_t *o, regex_t *re,
                     const unsup_t *u, state_test_stats_t *stats)
{
    FILE *out = o->out ? o->out : stdout;
    loader_t L;
    memset(&L, 0, sizeof(L));
    L.opts = o;
    L.re = re;
    L.stats = stats;
    stats->files++;
    err_t e = load_file(&L, file);
    if (e) {
        stats->failed++;
        fprintf(out, "FAIL %s: cannot load: %s\n", file, err_str(e));
    } else {
        for (size_t i = 0; i < L.n; i++)
            run_entry(L.v[i], evm, o, u, file, stats);
    }
    state_test_entries_free(L.v, L.n);
    /* Tests are unrelated: do not let one file's analysed code pile up for the next. */
    evm_clear_cache(evm);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct pathlist {
    char **v;
    size_t n, cap;
} pathlist_t;

static void collect(const char *path, pathlist_t *pl)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        STATE_GROW(pl->v, pl->n, pl->cap);
        pl->v[pl->n++] = rn_strdup(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        size_t l = strlen(path) + strlen(de->d_name) + 2;
        char *p = rn_malloc(l);
        snprintf(p, l, "%s/%s", path, de->d_name);
        struct stat cs;
        if (stat(p, &cs) == 0 && S_ISDIR(cs.st_mode)) {
            collect(p, pl);
        } else {
            size_t nl = strlen(de->d_name);
            if (nl > 5 && strcmp(de->d_name + nl - 5, ".json") == 0) {
                STATE_GROW(pl->v, pl->n, pl->cap);
                pl->v[pl->n++] = p;
                continue;
            }
        }
        rn_free(p);
    }
    closedir(d);
}

err_t state_test_run_path(const char *path, const state_test_opts_t *o, state_test_stats_t *stats)
{
    FILE *out = o->out ? o->out : stdout;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(out, "FAIL %s: no such file or directory\n", path);
        stats->failed++;
        return ERR_IO;
    }
    regex_t re;
    bool have_re = false;
    if (o->run_regex) {
        if (regcomp(&re, o->run_regex, REG_EXTENDED | REG_NOSUB) != 0)
            return ERR_INVALID_ARG;
        have_re = true;
    }
    unsup_t u;
    unsup_load(&u, o->unsupported, out);
    pathlist_t pl;
    memset(&pl, 0, sizeof(pl));
    collect(path, &pl);
    qsort(pl.v, pl.n, sizeof(char *), cmp_str);
    evm_t *evm = evm_new();
    evm_set_dispatch(evm, o->dispatch);
    evm_tracer_t tr = { .step = trace_step, .ud = stderr };
    if (o->trace)
        evm_set_tracer(evm, &tr);
    for (size_t i = 0; i < pl.n; i++) {
        run_file(pl.v[i], evm, o, have_re ? &re : NULL, &u, stats);
        rn_free(pl.v[i]);
    }
    rn_free(pl.v);
    evm_free(evm);
    unsup_free(&u);
    if (have_re)
        regfree(&re);
    return ERR_OK;
}
