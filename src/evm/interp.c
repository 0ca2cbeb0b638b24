/* src/evm/interp.c — the interpreter: helpers shared by both dispatch flavours, the call and
 * create instructions, and the loop itself (interp_loop.h, compiled twice: computed goto and
 * switch, Lua's ljumptab.h idea). */
#include "evm/evm_int.h"

/* Highest memory end we ever try to reach: its expansion cost, 3w + w²/512 with w = 2^37
 * words, is above any int64 gas, so anything larger is out of gas without computing. */
#define MEM_END_LIMIT ((uint64_t)1 << 42)

static inline int64_t mem_cost(uint64_t words)
{
    u128_t w = words;
    u128_t c = 3 * w + (w * w) / 512; /* Yellow Paper C_mem */
    return c > (u128_t)INT64_MAX ? INT64_MAX : (int64_t)c;
}

static __attribute__((noinline)) bool mem_expand(evm_bytes_t *m, int64_t *gas, uint64_t end)
{
    if (end > MEM_END_LIMIT)
        return false;
    uint64_t new_words = (end + 31) / 32;
    uint64_t old_words = m->n / 32;
    int64_t cost = mem_cost(new_words) - mem_cost(old_words);
    if ((*gas -= cost) < 0)
        return false;
    evm__mem_grow(m, (size_t)new_words * 32);
    return true;
}

/**
 * Memory access of len bytes at off: charge the expansion and grow. *o receives the offset
 * (0 when len is 0: a zero-length access touches nothing, whatever the offset). false = out
 * of gas (including offsets or sizes beyond any payable memory).
 */
static inline bool mem_need(evm_bytes_t *m, int64_t *gas, u256_t off, u256_t len, uint64_t *o)
{
    if (u256_is_zero(len)) {
        *o = 0;
        return true;
    }
    if (EVM_UNLIKELY(!u256_fits_u64(off) || !u256_fits_u64(len) || off.w[0] > MEM_END_LIMIT ||
                     len.w[0] > MEM_END_LIMIT))
        return false;
    uint64_t end = off.w[0] + len.w[0];
    *o = off.w[0];
    if (EVM_LIKELY(end <= m->n))
        return true;
    return mem_expand(m, gas, end);
}

/** Same for a fixed small length (MLOAD, MSTORE, MSTORE8). */
static inline bool mem_need_n(evm_bytes_t *m, int64_t *gas, u256_t off, uint64_t len, uint64_t *o)
{
    if (EVM_UNLIKELY(!u256_fits_u64(off) || off.w[0] > MEM_END_LIMIT))
        return false;
    uint64_t end = off.w[0] + len;
    *o = off.w[0];
    if (EVM_LIKELY(end <= m->n))
        return true;
    return mem_expand(m, gas, end);
}

static inline int64_t words_of(uint64_t len)
{
    return (int64_t)((len + 31) / 32);
}

/** Copy src[soff..soff+len) to dst, zero-filling what lies beyond srclen. */
static void copy_padded(uint8_t *dst, const uint8_t *src, size_t srclen, u256_t soff, uint64_t len)
{
    uint64_t avail = 0;
    if (u256_fits_u64(soff) && soff.w[0] < srclen)
        avail = srclen - soff.w[0];
    uint64_t n = avail < len ? avail : len;
    if (n)
        memcpy(dst, src + soff.w[0], n);
    if (len > n)
        memset(dst + n, 0, len - n);
}

/** CALLDATACOPY/CODECOPY/EXTCODECOPY body: dst mem offset, source offset, length. */
static inline bool op_copy(evm_bytes_t *m, int64_t *gas, u256_t moff, u256_t soff, u256_t len,
                           const uint8_t *src, size_t srclen)
{
    uint64_t o;
    if (!mem_need(m, gas, moff, len, &o))
        return false;
    uint64_t n = len.w[0];
    if (n == 0)
        return true;
    if ((*gas -= 3 * words_of(n)) < 0) /* 3 gas per word copied */
        return false;
    copy_padded(m->p + o, src, srclen, soff, n);
    return true;
}

static __attribute__((noinline)) void extcodecopy(uint8_t *dst, bview_t code, u256_t off,
                                                  uint64_t len)
{
    copy_padded(dst, code.p, code.n, off, len);
}

static inline __attribute__((always_inline)) u256_t load_be32(const uint8_t *p);

static __attribute__((noinline)) u256_t code_hash_u256(const evm_host_t *host, void *hctx,
                                                       const addr_t *a)
{
    hash_t h = host->get_code_hash(hctx, a);
    return load_be32(h.b);
}

static inline __attribute__((always_inline)) u256_t load_be32(const uint8_t *p)
{
    u256_t r;
    r.w[3] = be_load64(p);
    r.w[2] = be_load64(p + 8);
    r.w[1] = be_load64(p + 16);
    r.w[0] = be_load64(p + 24);
    return r;
}

static inline __attribute__((always_inline)) void store_be32(uint8_t *p, u256_t v)
{
    be_store64(p, v.w[3]);
    be_store64(p + 8, v.w[2]);
    be_store64(p + 16, v.w[1]);
    be_store64(p + 24, v.w[0]);
}

/** PUSHn immediate: n big-endian bytes at p into *dst, written in place (no temporary, so no
 *  stack slot per PUSHn body). The code padding (32 bytes past the end) makes the 8-byte loads
 *  safe; with n constant everything unrolls to loads and byte swaps. */
static inline __attribute__((always_inline)) void load_push(u256_t *dst, const uint8_t *p,
                                                            unsigned n)
{
    unsigned part = n & 7, full = n >> 3;
    uint64_t top = part ? be_load64(p) >> (64 - 8 * part) : 0;
    p += part;
    for (unsigned i = 0; i < full; i++)
        dst->w[full - 1 - i] = be_load64(p + 8 * i);
    for (unsigned i = full; i < 4; i++) {
        dst->w[i] = top;
        top = 0;
    }
}

static inline hash_t u256_to_hash(u256_t v)
{
    hash_t h;
    store_be32(h.b, v);
    return h;
}

static u256_t op_blockhash(evm_t *evm, u256_t num)
{
    const evm_env_t *env = &evm->env;
    uint64_t cur = env->block->number;
    /* Only the 256 most recent complete blocks: cur-256 <= n < cur. */
    if (!u256_fits_u64(num) || num.w[0] >= cur || cur - num.w[0] > 256)
        return u256_zero();
    uint64_t n = num.w[0];
    switch (env->rules->blockhash) {
    case EVM_BLOCKHASH_SCROLL_KECCAK: {
        /* SCROLL.md §2.1, before FEYNMAN: keccak256(be64(chainId) ‖ be64(n)). */
        uint8_t pre[16];
        be_store64(pre, env->block->chain_id.w[0]);
        be_store64(pre + 8, n);
        uint8_t h[32];
        keccak256(h, pre, sizeof(pre));
        return load_be32(h);
    }
    case EVM_BLOCKHASH_SCROLL_HISTORY: {
        /* SCROLL.md §2.1, FEYNMAN+: slot n mod 8191 of the EIP-2935 history contract; reading it
         * warms the account and the slot (EIP-2929) but costs nothing extra. */
        u256_t slot = u256_from_u64(n % EVM_HISTORY_SERVE_WINDOW);
        (void)env->host->access_account(env->host_ctx, &EVM_HISTORY_CONTRACT);
        (void)env->host->access_storage(env->host_ctx, &EVM_HISTORY_CONTRACT, &slot);
        return env->host->get_storage(env->host_ctx, &EVM_HISTORY_CONTRACT, &slot);
    }
    case EVM_BLOCKHASH_HOST:
    default: {
        hash_t h = env->host->block_hash(env->host_ctx, n);
        return load_be32(h.b);
    }
    }
}

/** SSTORE with EIP-2200 (net metering), EIP-2929 (cold slots) and EIP-3529 (refunds). */
static evm_status_t op_sstore(evm_frame_t *f, const u256_t *sp, int64_t *gas)
{
    evm_t *evm = f->evm;
    const evm_host_t *host = evm->env.host;
    void *hctx = evm->env.host_ctx;
    if (f->msg->is_static)
        return EVM_STATIC_MODE_VIOLATION;
    /* EIP-2200: SSTORE fails if no more than the call stipend is left. */
    if (*gas <= EVM_CALL_STIPEND)
        return EVM_OUT_OF_GAS;
    u256_t key = sp[0], val = sp[-1], orig, cur;
    int64_t cost = 0;
    if (!host->access_storage(hctx, &f->msg->recipient, &key))
        cost += 2100; /* EIP-2929: COLD_SLOAD_COST */
    host->set_storage(hctx, &f->msg->recipient, &key, val, &orig, &cur);
    if (u256_eq(cur, val)) {
        cost += 100; /* no-op: WARM_STORAGE_READ_COST */
    } else if (u256_eq(orig, cur)) {
        if (u256_is_zero(orig)) {
            cost += 20000; /* SSTORE_SET */
        } else {
            cost += 2900; /* SSTORE_RESET - COLD_SLOAD_COST */
            if (u256_is_zero(val))
                evm->refund += 4800; /* EIP-3529 SSTORE_CLEARS_SCHEDULE */
        }
    } else {
        cost += 100;
        if (!u256_is_zero(orig)) {
            if (u256_is_zero(cur))
                evm->refund -= 4800;
            else if (u256_is_zero(val))
                evm->refund += 4800;
        }
        if (u256_eq(orig, val))
            evm->refund += u256_is_zero(orig) ? 20000 - 100 : 2900 - 100;
    }
    if ((*gas -= cost) < 0)
        return EVM_OUT_OF_GAS;
    return EVM_SUCCESS;
}

static evm_status_t op_log(evm_frame_t *f, const u256_t *sp, int64_t *gas, unsigned ntopics)
{
    if (f->msg->is_static)
        return EVM_STATIC_MODE_VIOLATION;
    uint64_t o;
    if (!mem_need(f->mem, gas, sp[0], sp[-1], &o))
        return EVM_OUT_OF_GAS;
    uint64_t len = sp[-1].w[0];
    if ((*gas -= (int64_t)(8 * len)) < 0) /* 8 gas per data byte */
        return EVM_OUT_OF_GAS;
    hash_t topics[4];
    for (unsigned i = 0; i < ntopics; i++)
        topics[i] = u256_to_hash(sp[-2 - (int)i]);
    f->evm->env.host->emit_log(f->evm->env.host_ctx, &f->msg->recipient, topics, ntopics,
                               len ? f->mem->p + o : NULL, len);
    return EVM_SUCCESS;
}

static evm_status_t op_selfdestruct(evm_frame_t *f, const u256_t *sp, int64_t *gas)
{
    evm_t *evm = f->evm;
    const evm_host_t *host = evm->env.host;
    void *hctx = evm->env.host_ctx;
    if (f->msg->is_static)
        return EVM_STATIC_MODE_VIOLATION;
    addr_t b = evm__u256_to_addr(sp[0]);
    int64_t cost = 0;
    if (!host->access_account(hctx, &b))
        cost += 2600; /* EIP-2929: cold beneficiary */
    u256_t bal = host->get_balance(hctx, &f->msg->recipient);
    if (!u256_is_zero(bal) && host->account_is_empty(hctx, &b))
        cost += 25000; /* value sent to an empty account (EIP-161) */
    if ((*gas -= cost) < 0)
        return EVM_OUT_OF_GAS;
    /* No refund since EIP-3529. EIP-6780 (Cancun): only accounts created in this tx go. */
    host->selfdestruct(hctx, &f->msg->recipient, &b,
                       evm_rules_has(evm->env.rules, EVM_F_EIP6780) ? EVM_SD_EIP6780 : EVM_SD_FULL);
    return EVM_SUCCESS;
}

static void set_return_data(evm_bytes_t *ret, bview_t out)
{
    evm__bytes_reserve(ret, out.n);
    if (out.n)
        memcpy(ret->p, out.p, out.n);
    ret->n = out.n;
}

/**
 * CALL, CALLCODE, DELEGATECALL, STATICCALL. sp points at the top item (the gas); the result goes
 * into the item that becomes the new top. Gas: EIP-2929 cold access, EIP-7702 delegation
 * resolution, value transfer, new account, memory for both regions, then EIP-150's 63/64 rule.
 */
static evm_status_t op_call(evm_frame_t *f, u256_t *sp, int64_t *gas, evm_call_kind_t kind)
{
    evm_t *evm = f->evm;
    const evm_host_t *host = evm->env.host;
    void *hctx = evm->env.host_ctx;
    bool has_value = kind == EVM_CALL || kind == EVM_CALLCODE;
    int k = has_value ? 3 : 2;
    u256_t gas_req = sp[0];
    addr_t to = evm__u256_to_addr(sp[-1]);
    u256_t value = has_value ? sp[-2] : u256_zero();
    u256_t *result = &sp[-k - 3];
    uint64_t in_o, out_o;
    if (!mem_need(f->mem, gas, sp[-k], sp[-k - 1], &in_o) ||
        !mem_need(f->mem, gas, sp[-k - 2], sp[-k - 3], &out_o))
        return EVM_OUT_OF_GAS;
    uint64_t in_len = sp[-k - 1].w[0], out_len = sp[-k - 3].w[0];
    if (u256_is_zero(sp[-k - 1]))
        in_len = 0;
    if (u256_is_zero(sp[-k - 3]))
        out_len = 0;
    bool transfers = !u256_is_zero(value);
    if (kind == EVM_CALL && transfers && f->msg->is_static)
        return EVM_STATIC_MODE_VIOLATION;

    int64_t cost = 0;
    if (!host->access_account(hctx, &to))
        cost += 2500; /* EIP-2929: cold surcharge over the static 100 */
    if (evm_rules_has(evm->env.rules, EVM_F_EIP7702)) {
        addr_t target;
        if (evm_parse_delegation(host->get_code(hctx, &to), &target))
            cost += host->access_account(hctx, &target) ? 100 : 2600; /* EIP-7702 */
    }
    if (transfers) {
        cost += 9000; /* CALL_VALUE */
        if (kind == EVM_CALL && host->account_is_empty(hctx, &to))
            cost += 25000; /* NEW_ACCOUNT (EIP-161: empty counts as new) */
    }
    if ((*gas -= cost) < 0)
        return EVM_OUT_OF_GAS;
    /* EIP-150: at most all but one 64th of what is left. */
    int64_t avail = *gas - *gas / 64;
    int64_t child_gas = avail;
    if (u256_fits_u64(gas_req) && gas_req.w[0] < (uint64_t)avail)
        child_gas = (int64_t)gas_req.w[0];
    *gas -= child_gas;
    if (transfers)
        child_gas += EVM_CALL_STIPEND;

    evm_message_t m;
    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.is_static = f->msg->is_static || kind == EVM_STATICCALL;
    m.depth = f->msg->depth + 1;
    m.gas = child_gas;
    m.code_address = to;
    m.input = in_len ? f->mem->p + in_o : NULL;
    m.input_len = in_len;
    switch (kind) {
    case EVM_CALL:
    case EVM_STATICCALL:
        m.recipient = to;
        m.sender = f->msg->recipient;
        m.value = value;
        break;
    case EVM_CALLCODE:
        m.recipient = f->msg->recipient;
        m.sender = f->msg->recipient;
        m.value = value;
        break;
    case EVM_DELEGATECALL:
    default:
        m.recipient = f->msg->recipient;
        m.sender = f->msg->sender;
        m.value = f->msg->value;
        break;
    }
    evm_result_t r = evm__call(evm, &m);
    set_return_data(f->ret, r.output);
    if ((r.status == EVM_SUCCESS || r.status == EVM_REVERT) && out_len) {
        size_t n = r.output.n < out_len ? r.output.n : out_len;
        if (n)
            memcpy(f->mem->p + out_o, f->ret->p, n);
    }
    *gas += r.gas_left;
    *result = u256_from_u64(r.status == EVM_SUCCESS);
    return EVM_SUCCESS;
}

/** CREATE and CREATE2 (EIP-1014), with EIP-3860's initcode limit and word cost. */
static evm_status_t op_create(evm_frame_t *f, u256_t *sp, int64_t *gas, evm_call_kind_t kind)
{
    evm_t *evm = f->evm;
    if (f->msg->is_static)
        return EVM_STATIC_MODE_VIOLATION;
    u256_t value = sp[0];
    uint64_t o;
    if (!mem_need(f->mem, gas, sp[-1], sp[-2], &o))
        return EVM_OUT_OF_GAS;
    uint64_t len = u256_is_zero(sp[-2]) ? 0 : sp[-2].w[0];
    if (len > EVM_MAX_INITCODE_SIZE)
        return EVM_INITCODE_SIZE_EXCEEDED;
    int64_t cost = 2 * words_of(len); /* EIP-3860 INITCODE_WORD_COST */
    if (kind == EVM_CREATE2)
        cost += 6 * words_of(len); /* hashing the initcode */
    if ((*gas -= cost) < 0)
        return EVM_OUT_OF_GAS;
    int64_t child_gas = *gas - *gas / 64;
    *gas -= child_gas;

    evm_message_t m;
    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.depth = f->msg->depth + 1;
    m.gas = child_gas;
    m.sender = f->msg->recipient;
    m.value = value;
    m.input = len ? f->mem->p + o : NULL;
    m.input_len = len;
    if (kind == EVM_CREATE2)
        m.salt = sp[-3];
    evm_result_t r = evm__call(evm, &m);
    if (r.status == EVM_REVERT)
        set_return_data(f->ret, r.output);
    else
        f->ret->n = 0;
    *gas += r.gas_left;
    u256_t *result = kind == EVM_CREATE2 ? &sp[-3] : &sp[-2];
    *result = r.status == EVM_SUCCESS ? evm__addr_to_u256(&r.create_address) : u256_zero();
    return EVM_SUCCESS;
}

static __attribute__((noinline)) void trace_step(evm_frame_t *f, const uint8_t *ip,
                                                 const u256_t *sp, int64_t gas)
{
    evm_t *evm = f->evm;
    uint8_t op = *ip;
    const evm_op_info_t *inf = &evm->env.rules->ops[op];
    if (evm->tracer.step_data)
        evm->tracer.step_data(evm->tracer.ud, f->mem->p, f->mem->n, f->ret ? f->ret->p : NULL,
                              f->ret ? f->ret->n : 0);
    evm->tracer.step(evm->tracer.ud, (uint32_t)(ip - f->code->code), op, gas,
                     inf->min_height == 0x7fff ? 0 : inf->gas, f->mem->n, f->stack,
                     (size_t)(sp - f->stack + 1), f->msg->depth, evm->refund);
}

static evm_status_t stack_error(const evm_op_info_t *inf, ptrdiff_t height)
{
    if (inf->min_height == 0x7fff)
        return EVM_UNDEFINED_INSTRUCTION;
    return height < inf->min_height ? EVM_STACK_UNDERFLOW : EVM_STACK_OVERFLOW;
}

#define EVM_LOOP_CGOTO 1
#define EVM_LOOP_NAME  evm__interp_cgoto
#include "evm/interp_loop.h"
#undef EVM_LOOP_CGOTO
#undef EVM_LOOP_NAME

#define EVM_LOOP_CGOTO 0
#define EVM_LOOP_NAME  evm__interp_switch
#include "evm/interp_loop.h"
#undef EVM_LOOP_CGOTO
#undef EVM_LOOP_NAME
