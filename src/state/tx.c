/* src/state/tx.c — transaction execution over the overlay: validation, gas purchase, access-list
 * and precompile warming, EIP-7702 authorizations, the call, refunds (EIP-3529), the EIP-7623
 * floor and fee payment (Ethereum: tip to the coinbase, base fee burned; Scroll: everything plus
 * the L1 fee to the fee vault, SCROLL.md §4.4), and Scroll's L1 messages (SCROLL.md §3.2). */
#include "state/state_int.h"

/* clang-format off */
static const char *const TXI_MSG[TX_INVALID_COUNT_] = { /* ORDER TXI */
    [TX_VALID]                              = "valid",
    [TX_INVALID_TYPE_NOT_SUPPORTED]         = "transaction type not supported",
    [TX_INVALID_NONCE_TOO_LOW]              = "nonce too low",
    [TX_INVALID_NONCE_TOO_HIGH]             = "nonce too high",
    [TX_INVALID_NONCE_MAX]                  = "nonce has max value",
    [TX_INVALID_SENDER_NOT_EOA]             = "sender not an eoa",
    [TX_INVALID_TIP_ABOVE_FEE_CAP]          = "max priority fee per gas higher than max fee per gas",
    [TX_INVALID_FEE_CAP_TOO_LOW]            = "max fee per gas less than block base fee",
    [TX_INVALID_SET_CODE_CREATE]            = "EIP-7702 transaction cannot be used to create contract",
    [TX_INVALID_EMPTY_AUTH_LIST]            = "EIP-7702 transaction with empty auth list",
    [TX_INVALID_INSUFFICIENT_FUNDS]         = "insufficient funds for gas * price + value",
    [TX_INVALID_GAS_LIMIT_REACHED]          = "gas limit reached",
    [TX_INVALID_INTRINSIC_GAS]              = "intrinsic gas too low",
    [TX_INVALID_FLOOR_DATA_GAS]             = "insufficient gas for floor data gas cost",
    [TX_INVALID_INSUFFICIENT_FUNDS_TRANSFER] = "insufficient funds for transfer",
    [TX_INVALID_INITCODE_SIZE]              = "max initcode size exceeded",
    [TX_INVALID_GAS_LIMIT_TOO_HIGH]         = "transaction gas limit too high",
    [TX_INVALID_INSUFFICIENT_FUNDS_L1_FEE]  = "insufficient funds for l1 fee",
};

static const char *const TXI_EEST[TX_INVALID_COUNT_] = { /* ORDER TXI */
    [TX_VALID]                              = "",
    [TX_INVALID_TYPE_NOT_SUPPORTED]         = "TransactionException.TYPE_NOT_SUPPORTED",
    [TX_INVALID_NONCE_TOO_LOW]              = "TransactionException.NONCE_MISMATCH_TOO_LOW",
    [TX_INVALID_NONCE_TOO_HIGH]             = "TransactionException.NONCE_MISMATCH_TOO_HIGH",
    [TX_INVALID_NONCE_MAX]                  = "TransactionException.NONCE_IS_MAX",
    [TX_INVALID_SENDER_NOT_EOA]             = "TransactionException.SENDER_NOT_EOA",
    [TX_INVALID_TIP_ABOVE_FEE_CAP]          = "TransactionException.PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS",
    [TX_INVALID_FEE_CAP_TOO_LOW]            = "TransactionException.INSUFFICIENT_MAX_FEE_PER_GAS",
    [TX_INVALID_SET_CODE_CREATE]            = "TransactionException.TYPE_4_TX_CONTRACT_CREATION",
    [TX_INVALID_EMPTY_AUTH_LIST]            = "TransactionException.TYPE_4_EMPTY_AUTHORIZATION_LIST",
    [TX_INVALID_INSUFFICIENT_FUNDS]         = "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS",
    [TX_INVALID_GAS_LIMIT_REACHED]          = "TransactionException.GAS_ALLOWANCE_EXCEEDED",
    [TX_INVALID_INTRINSIC_GAS]              = "TransactionException.INTRINSIC_GAS_TOO_LOW",
    [TX_INVALID_FLOOR_DATA_GAS]             = "TransactionException.INTRINSIC_GAS_BELOW_FLOOR_GAS_COST",
    [TX_INVALID_INSUFFICIENT_FUNDS_TRANSFER] = "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS",
    [TX_INVALID_INITCODE_SIZE]              = "TransactionException.INITCODE_SIZE_EXCEEDED",
    [TX_INVALID_GAS_LIMIT_TOO_HIGH]         = "TransactionException.GAS_LIMIT_EXCEEDS_MAXIMUM",
    [TX_INVALID_INSUFFICIENT_FUNDS_L1_FEE]  = "TransactionException.INSUFFICIENT_ACCOUNT_FUNDS",
};

/* clang-format on */

const char *tx_invalid_msg(tx_invalid_t t)
{
    return (unsigned)t < TX_INVALID_COUNT_ ? TXI_MSG[t] : "unknown";
}

const char *tx_invalid_eest(tx_invalid_t t)
{
    return (unsigned)t < TX_INVALID_COUNT_ ? TXI_EEST[t] : "";
}

enum {
    TX_GAS_LIMIT_CAP = 1u << 24, /* EIP-7825 */
    AUTH_BASE_COST = 12500,      /* EIP-7702 PER_AUTH_BASE_COST */
    NEW_ACCOUNT_COST = 25000,    /* EIP-7702 PER_EMPTY_ACCOUNT_COST */
};

/** EIP-2929 + EIP-3651 + EIP-2930: what is warm before the first instruction. */
static void warm_initial(state_t *st, const evm_rules_t *r, const evm_block_t *b, const tx_t *tx,
                         const addr_t *sender)
{
    state_warm_account(st, sender);
    if (tx->has_to)
        state_warm_account(st, &tx->to);
    state_warm_account(st, &b->coinbase); /* EIP-3651 (Scroll: the fee vault) */
    /* The precompiles are warm too, without ~20 warm-set entries per transaction: the state
     * answers them warm while this transaction runs (h_access_account). */
    st->warm_pre = &r->precompiles;
    for (size_t i = 0; i < tx->naccess; i++) {
        const access_tuple_t *t = &tx->access_list[i];
        state_warm_account(st, &t->addr);
        for (size_t k = 0; k < t->nkeys; k++) {
            u256_t key = u256_from_be(t->keys[k].b, 32);
            state_warm_slot(st, &t->addr, &key);
        }
    }
}

/** EIP-7702: one authorization tuple; invalid ones are skipped. Returns the refund it earns. */
static int64_t apply_authorization(state_t *st, const evm_block_t *b, const authorization_t *au)
{
    if (!u256_is_zero(au->chain_id) && !u256_eq(au->chain_id, b->chain_id))
        return 0;
    if (au->nonce == UINT64_MAX) /* EIP-2681 */
        return 0;
    addr_t authority;
    if (authorization_recover(au, &authority) != ERR_OK)
        return 0;
    state_warm_account(st, &authority); /* even if the checks below fail */
    bview_t code = state_code(st, &authority);
    addr_t cur;
    if (code.n && !evm_parse_delegation(code, &cur))
        return 0;
    if (state_nonce(st, &authority) != au->nonce)
        return 0;
    int64_t refund = state_exists(st, &authority) ? NEW_ACCOUNT_COST - AUTH_BASE_COST : 0;
    state_set_nonce(st, &authority, au->nonce + 1);
    addr_t zero;
    memset(&zero, 0, sizeof(zero));
    if (addr_eq(&au->addr, &zero)) {
        state_set_code(st, &authority, NULL, 0); /* delegation to 0 clears it */
    } else {
        uint8_t d[EVM_DELEGATION_LEN];
        evm_make_delegation(d, &au->addr);
        state_set_code(st, &authority, d, sizeof(d));
    }
    return refund;
}

static bool sender_has_code(state_t *st, const evm_rules_t *r, const addr_t *sender)
{
    /* EIP-3607; a 7702 delegation designator is still an EOA. */
    bview_t code = state_code(st, sender);
    addr_t t;
    return code.n && !(evm_rules_has(r, EVM_F_EIP7702) && evm_parse_delegation(code, &t));
}

static unsigned intrinsic_rules(const evm_rules_t *r)
{
    return INTRINSIC_EIP3860 | (evm_rules_has(r, EVM_F_EIP7702) ? INTRINSIC_EIP7702 : 0u);
}

static int64_t clamp_gas(uint64_t g)
{
    return g > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)g;
}

static tx_invalid_t apply_l1_message(state_t *st, const state_tx_env_t *env, const tx_t *tx,
                                     const addr_t *sender, state_tx_result_t *out)
{
    const evm_rules_t *r = env->rules;
    const evm_block_t *b = env->block;
    uint64_t intrinsic = tx_intrinsic_gas(tx, intrinsic_rules(r));
    if (tx->gas_limit < intrinsic)
        return TX_INVALID_INTRINSIC_GAS;
    if (sender_has_code(st, r, sender))
        return TX_INVALID_SENDER_NOT_EOA;
    if (b->gas_limit < env->block_gas_used || tx->gas_limit > b->gas_limit - env->block_gas_used)
        return TX_INVALID_GAS_LIMIT_REACHED;
    /* Before EuclidV2 an L1 message whose sender cannot pay the value is invalid; from then on
     * it stays in the block and its call fails (SCROLL.md §3.2). */
    if (!evm_rules_has(r, EVM_F_L1_MSG_FAIL_VALUE) && u256_lt(state_balance(st, sender), tx->value))
        return TX_INVALID_INSUFFICIENT_FUNDS;

    warm_initial(st, r, b, tx, sender);
    state_set_nonce(st, sender, state_nonce(st, sender) + 1); /* no nonce check, still +1 */
    evm_tx_env_t txenv;
    memset(&txenv, 0, sizeof(txenv));
    txenv.origin = *sender;
    evm_env_t e = { .rules = r, .host = state_host(), .host_ctx = st, .block = b, .tx = &txenv };
    evm_message_t m;
    memset(&m, 0, sizeof(m));
    m.kind = EVM_CALL;
    m.gas = clamp_gas(tx->gas_limit - intrinsic);
    m.recipient = m.code_address = tx->to;
    m.sender = *sender;
    m.value = tx->value;
    m.input = tx->data;
    m.input_len = tx->data_len;
    evm_result_t res = evm_execute(env->evm, &e, &m);
    /* No gas purchase, no refund, no floor, no fee (SCROLL.md §3.2). */
    out->status = res.status;
    out->gas_used = tx->gas_limit - (uint64_t)res.gas_left;
    out->output = res.output;
    state_tx_end(st);
    return TX_VALID;
}

static tx_invalid_t tx_apply(state_t *st, const state_tx_env_t *env, const tx_t *tx,
                             const addr_t *sender, state_tx_result_t *out)
{
    const evm_rules_t *r = env->rules;
    const evm_block_t *b = env->block;
    memset(out, 0, sizeof(*out));
    state_tx_begin(st);
    if (tx->type == TX_L1_MESSAGE)
        return r->chain == EVM_CHAIN_SCROLL ? apply_l1_message(st, env, tx, sender, out)
                                            : TX_INVALID_TYPE_NOT_SUPPORTED;

    switch (tx->type) {
    case TX_LEGACY:
        break;
    case TX_ACCESS_LIST:
    case TX_DYNAMIC_FEE:
        /* SCROLL.md §3.1: typed transactions from Curie. */
        if (r->chain == EVM_CHAIN_SCROLL && r->fork < EVM_SCROLL_CURIE)
            return TX_INVALID_TYPE_NOT_SUPPORTED;
        break;
    case TX_SET_CODE:
        if (!evm_rules_has(r, EVM_F_EIP7702))
            return TX_INVALID_TYPE_NOT_SUPPORTED;
        break;
    case TX_BLOB:
    case TX_L1_MESSAGE:
    default:
        return TX_INVALID_TYPE_NOT_SUPPORTED; /* blob transactions are not supported */
    }
    if (evm_rules_has(r, EVM_F_TX_GAS_CAP) && tx->gas_limit > TX_GAS_LIMIT_CAP)
        return TX_INVALID_GAS_LIMIT_TOO_HIGH;

    uint64_t nonce = state_nonce(st, sender);
    if (nonce < tx->nonce)
        return TX_INVALID_NONCE_TOO_HIGH;
    if (nonce > tx->nonce)
        return TX_INVALID_NONCE_TOO_LOW;
    if (nonce == UINT64_MAX)
        return TX_INVALID_NONCE_MAX; /* EIP-2681 */
    if (sender_has_code(st, r, sender))
        return TX_INVALID_SENDER_NOT_EOA;

    bool typed_fees = tx->type == TX_DYNAMIC_FEE || tx->type == TX_SET_CODE;
    u256_t max_fee = typed_fees ? tx->max_fee : tx->gas_price;
    u256_t tip_cap = typed_fees ? tx->max_priority_fee : tx->gas_price;
    u256_t price = tx->gas_price;
    bool base_fee = evm_rules_has(r, EVM_F_BASEFEE); /* EIP-1559 (Scroll: from Curie) */
    if (base_fee) {
        if (u256_lt(max_fee, tip_cap))
            return TX_INVALID_TIP_ABOVE_FEE_CAP;
        if (u256_lt(max_fee, b->base_fee))
            return TX_INVALID_FEE_CAP_TOO_LOW;
        u256_t sum;
        bool ovf = u256_add_overflow(b->base_fee, tip_cap, &sum);
        price = (!ovf && u256_lt(sum, max_fee)) ? sum : max_fee;
    }
    if (tx->type == TX_SET_CODE) {
        if (!tx->has_to)
            return TX_INVALID_SET_CODE_CREATE;
        if (tx->nauths == 0)
            return TX_INVALID_EMPTY_AUTH_LIST;
    }

    /* Gas purchase: balance must cover gasLimit·maxFee + value; gasLimit·price is taken. */
    u256_t balance = state_balance(st, sender);
    u256_t gl = u256_from_u64(tx->gas_limit);
    u256_t need, upfront;
    if (u256_mul_overflow(gl, max_fee, &need) || u256_add_overflow(need, tx->value, &need) ||
        u256_lt(balance, need))
        return TX_INVALID_INSUFFICIENT_FUNDS;
    if (b->gas_limit < env->block_gas_used || tx->gas_limit > b->gas_limit - env->block_gas_used)
        return TX_INVALID_GAS_LIMIT_REACHED;
    upfront = u256_mul(gl, price);
    u256_t after = u256_sub(balance, upfront);
    if (!u256_is_zero(env->l1_fee)) {
        /* SCROLL.md §4.4 step 2: the L1 fee comes out of what is left after the gas purchase. */
        if (u256_lt(after, env->l1_fee))
            return TX_INVALID_INSUFFICIENT_FUNDS_L1_FEE;
        after = u256_sub(after, env->l1_fee);
    }
    uint64_t intrinsic = tx_intrinsic_gas(tx, intrinsic_rules(r));
    if (tx->gas_limit < intrinsic)
        return TX_INVALID_INTRINSIC_GAS;
    uint64_t floor = evm_rules_has(r, EVM_F_EIP7623) ? tx_floor_gas(tx) : 0;
    if (tx->gas_limit < floor)
        return TX_INVALID_FLOOR_DATA_GAS;
    if (u256_lt(after, tx->value))
        return TX_INVALID_INSUFFICIENT_FUNDS_TRANSFER;
    if (!tx->has_to && tx->data_len > EVM_MAX_INITCODE_SIZE)
        return TX_INVALID_INITCODE_SIZE; /* EIP-3860 */

    /* Valid: from here on the state changes. */
    state_sub_balance(st, sender, u256_add(upfront, env->l1_fee));
    warm_initial(st, r, b, tx, sender);
    evm_tx_env_t txenv;
    memset(&txenv, 0, sizeof(txenv));
    txenv.origin = *sender;
    txenv.gas_price = price;
    evm_env_t e = { .rules = r, .host = state_host(), .host_ctx = st, .block = b, .tx = &txenv };
    evm_message_t m;
    memset(&m, 0, sizeof(m));
    m.gas = clamp_gas(tx->gas_limit - intrinsic);
    m.sender = *sender;
    m.value = tx->value;
    m.input = tx->data;
    m.input_len = tx->data_len;
    int64_t auth_refund = 0;
    if (!tx->has_to) {
        m.kind = EVM_CREATE; /* the EVM increments the nonce */
    } else {
        state_set_nonce(st, sender, nonce + 1);
        for (size_t i = 0; i < tx->nauths; i++)
            auth_refund += apply_authorization(st, b, &tx->auths[i]);
        addr_t target;
        if (evm_rules_has(r, EVM_F_EIP7702) &&
            evm_parse_delegation(state_code(st, &tx->to), &target))
            state_warm_account(st, &target);
        m.kind = EVM_CALL;
        m.recipient = m.code_address = tx->to;
    }
    evm_result_t res = evm_execute(env->evm, &e, &m);

    uint64_t gas_left = (uint64_t)res.gas_left + (tx->gas_limit - intrinsic - (uint64_t)m.gas);
    uint64_t used = tx->gas_limit - gas_left;
    int64_t refund_counter = auth_refund + res.gas_refund;
    uint64_t refund = refund_counter > 0 ? (uint64_t)refund_counter : 0;
    if (refund > used / 5)
        refund = used / 5; /* EIP-3529 */
    gas_left += refund;
    used = tx->gas_limit - gas_left;
    if (used < floor) { /* EIP-7623 */
        used = floor;
        gas_left = tx->gas_limit - floor;
    }
    state_add_balance(st, sender, u256_mul(u256_from_u64(gas_left), price));
    u256_t fee;
    if (evm_rules_has(r, EVM_F_FEE_VAULT))
        fee = u256_add(u256_mul(u256_from_u64(used), price), env->l1_fee); /* no burn */
    else
        fee = u256_mul(u256_from_u64(used), u256_sub(price, base_fee ? b->base_fee : u256_zero()));
    state_add_balance(st, &b->coinbase, fee);

    out->status = res.status;
    out->gas_used = used;
    out->gas_refund = refund;
    out->output = res.output;
    if (!tx->has_to)
        out->create_address = res.create_address;
    state_tx_end(st);
    return TX_VALID;
}

tx_invalid_t state_tx_apply(state_t *st, const state_tx_env_t *env, const tx_t *tx,
                            const addr_t *sender, state_tx_result_t *out)
{
    tx_invalid_t v = tx_apply(st, env, tx, sender, out);
    st->warm_pre = NULL; /* it points into env->rules */
    return v;
}
