/* src/evm/interp_loop.h — the interpreter loop, included twice by interp.c: with
 * EVM_LOOP_CGOTO 1 (computed goto, one indirect jump per instruction) and 0 (switch). The
 * bodies are the same text; EVM_OP_CASE / EVM_OP_NEXT say how to reach and leave them.
 *
 * Before every body, from the rules' table (ORDER OP: ops.def): undefined opcode → stack
 * underflow/overflow (one unsigned compare covers all three) → static gas. Bodies are then
 * straight-line; the dynamic ones charge their extra gas and may end the frame. */

#if EVM_LOOP_CGOTO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif

evm_status_t EVM_LOOP_NAME(evm_frame_t *f)
{
    evm_t *const evm = f->evm;
    const evm_env_t *const env = &evm->env;
    const evm_host_t *const host = env->host;
    void *const hctx = env->host_ctx;
    const evm_message_t *const msg = f->msg;
    const evm_op_info_t *const ops = env->rules->ops;
    const evm_code_t *const ccode = f->code;
    const uint8_t *const code = ccode->code;
    /* Tracing is served by the switch flavour only (run_frame picks it while a tracer is set),
     * so the computed-goto loop carries no per-instruction tracer test. */
    const bool tracing = EVM_LOOP_CGOTO ? false : evm->tracing;
    evm_bytes_t *const mem = f->mem;
    u256_t *const base = f->stack;
    const uint8_t *ip = code;
    u256_t *sp = base - 1;
    int64_t gas = f->gas;
    evm_status_t st = EVM_SUCCESS;
    uint8_t op;
    /* Scratch shared by all bodies: declaring locals per body makes GCC give every body its own
     * stack slots under computed goto, and the frame is on the stack 1024 times in deep calls. */
    u256_t ta, tb;
    addr_t aa;
    uint64_t o, len;
    uint8_t buf[32];
    f->out = NULL;
    f->out_len = 0;

#define EVM_CHECKS()                                                    \
    op = *ip;                                                           \
    if (EVM_UNLIKELY(tracing))                                          \
        trace_step(f, ip, sp, gas);                                     \
    if (EVM_UNLIKELY((uint64_t)((sp - base + 1) - ops[op].min_height) > \
                     (uint64_t)(int64_t)ops[op].range))                 \
        goto L_stack_error;                                             \
    if (EVM_UNLIKELY((gas -= ops[op].gas) < 0))                         \
    goto L_oog

#if EVM_LOOP_CGOTO
    static const void *const labels[256] = {
#define EVM_OP(NAME, BYTE, IMM, IN, OUT, GAS, FEAT, DOC) [BYTE] = &&L_##NAME,
#include "evm/ops.def"
#undef EVM_OP
    };
#define EVM_OP_CASE(name) L_##name:
#define EVM_OP_NEXT(n)    \
    do {                  \
        ip += (n);        \
        EVM_CHECKS();     \
        goto *labels[op]; \
    } while (0)
    EVM_CHECKS();
    goto *labels[op];
#else
#define EVM_OP_CASE(name) case OP_##name:
#define EVM_OP_NEXT(n) \
    {                  \
        ip += (n);     \
        continue;      \
    }
    for (;;) {
        EVM_CHECKS();
        switch (op) {
#endif

#define PUSH(v) (*++sp = (v))
#define BINOP(expr)      \
    {                    \
        ta = sp[0];      \
        tb = sp[-1];     \
        sp[-1] = (expr); \
        sp--;            \
        EVM_OP_NEXT(1);  \
    }
#define FAIL(s)      \
    do {             \
        st = (s);    \
        goto L_fail; \
    } while (0)
#define CHECK_ST(expr)            \
    do {                          \
        evm_status_t s_ = (expr); \
        if (EVM_UNLIKELY(s_))     \
            FAIL(s_);             \
    } while (0)
#define CHARGE(c)                           \
    do {                                    \
        if (EVM_UNLIKELY((gas -= (c)) < 0)) \
            goto L_oog;                     \
    } while (0)

    /* The bodies: a table of macro-built cases, kept as written. */
    /* clang-format off */
    EVM_OP_CASE(STOP)
    {
        st = EVM_SUCCESS;
        goto L_done;
    }
    EVM_OP_CASE(ADD) BINOP(u256_add(ta, tb))
    EVM_OP_CASE(MUL) BINOP(u256_mul(ta, tb))
    EVM_OP_CASE(SUB) BINOP(u256_sub(ta, tb))
    EVM_OP_CASE(DIV) BINOP(u256_div(ta, tb))
    EVM_OP_CASE(SDIV) BINOP(u256_sdiv(ta, tb))
    EVM_OP_CASE(MOD) BINOP(u256_mod(ta, tb))
    EVM_OP_CASE(SMOD) BINOP(u256_smod(ta, tb))
    EVM_OP_CASE(ADDMOD)
    {
        sp[-2] = u256_addmod(sp[0], sp[-1], sp[-2]);
        sp -= 2;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(MULMOD)
    {
        sp[-2] = u256_mulmod(sp[0], sp[-1], sp[-2]);
        sp -= 2;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(EXP)
    {
        CHARGE(50 * (int64_t)u256_byte_length(sp[-1])); /* EIP-160: 50 per exponent byte */
        sp[-1] = u256_exp(sp[0], sp[-1]);
        sp--;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(SIGNEXTEND) BINOP(u256_signextend(ta, tb))
    EVM_OP_CASE(LT) BINOP(u256_from_u64(u256_lt(ta, tb)))
    EVM_OP_CASE(GT) BINOP(u256_from_u64(u256_gt(ta, tb)))
    EVM_OP_CASE(SLT) BINOP(u256_from_u64(u256_slt(ta, tb)))
    EVM_OP_CASE(SGT) BINOP(u256_from_u64(u256_sgt(ta, tb)))
    EVM_OP_CASE(EQ) BINOP(u256_from_u64(u256_eq(ta, tb)))
    EVM_OP_CASE(ISZERO)
    {
        sp[0] = u256_from_u64(u256_is_zero(sp[0]));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(AND) BINOP(u256_and(ta, tb))
    EVM_OP_CASE(OR) BINOP(u256_or(ta, tb))
    EVM_OP_CASE(XOR) BINOP(u256_xor(ta, tb))
    EVM_OP_CASE(NOT)
    {
        sp[0] = u256_not(sp[0]);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(BYTE) BINOP(u256_byte(ta, tb))
    EVM_OP_CASE(SHL) BINOP(u256_shl(ta, tb))
    EVM_OP_CASE(SHR) BINOP(u256_shr(ta, tb))
    EVM_OP_CASE(SAR) BINOP(u256_sar(ta, tb))
    EVM_OP_CASE(CLZ)
    {
        sp[0] = u256_from_u64(u256_clz(sp[0])); /* EIP-7939 */
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(KECCAK256)
    {
        if (!mem_need(mem, &gas, sp[0], sp[-1], &o))
            goto L_oog;
        len = sp[-1].w[0];
        CHARGE(6 * words_of(len)); /* 6 per word hashed */
        keccak256(buf, len ? mem->p + o : NULL, len);
        sp[-1] = load_be32(buf);
        sp--;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(ADDRESS)
    {
        PUSH(evm__addr_to_u256(&msg->recipient));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(BALANCE)
    {
        aa = evm__u256_to_addr(sp[0]);
        if (!host->access_account(hctx, &aa))
            CHARGE(2500); /* EIP-2929 cold account */
        sp[0] = host->get_balance(hctx, &aa);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(ORIGIN)
    {
        PUSH(evm__addr_to_u256(&env->tx->origin));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CALLER)
    {
        PUSH(evm__addr_to_u256(&msg->sender));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CALLVALUE)
    {
        PUSH(msg->value);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CALLDATALOAD)
    {
        copy_padded(buf, msg->input, msg->input_len, sp[0], 32);
        sp[0] = load_be32(buf);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CALLDATASIZE)
    {
        PUSH(u256_from_u64(msg->input_len));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CALLDATACOPY)
    {
        if (!op_copy(mem, &gas, sp[0], sp[-1], sp[-2], msg->input, msg->input_len))
            goto L_oog;
        sp -= 3;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CODESIZE)
    {
        PUSH(u256_from_u64(ccode->len));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CODECOPY)
    {
        if (!op_copy(mem, &gas, sp[0], sp[-1], sp[-2], code, ccode->len))
            goto L_oog;
        sp -= 3;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(GASPRICE)
    {
        PUSH(env->tx->gas_price);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(EXTCODESIZE)
    {
        aa = evm__u256_to_addr(sp[0]);
        if (!host->access_account(hctx, &aa))
            CHARGE(2500);
        sp[0] = u256_from_u64(host->get_code(hctx, &aa).n);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(EXTCODECOPY)
    {
        aa = evm__u256_to_addr(sp[0]);
        if (!host->access_account(hctx, &aa))
            CHARGE(2500);
        if (!mem_need(mem, &gas, sp[-1], sp[-3], &o))
            goto L_oog;
        len = sp[-3].w[0];
        if (len) {
            CHARGE(3 * words_of(len));
            extcodecopy(mem->p + o, host->get_code(hctx, &aa), sp[-2], len);
        }
        sp -= 4;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(RETURNDATASIZE)
    {
        PUSH(u256_from_u64(f->ret->n));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(RETURNDATACOPY)
    {
        if (!mem_need(mem, &gas, sp[0], sp[-2], &o))
            goto L_oog;
        len = u256_is_zero(sp[-2]) ? 0 : sp[-2].w[0];
        CHARGE(3 * words_of(len));
        /* EIP-211: reading past the end of the return data halts, even for length 0. */
        if (u256_add_overflow(sp[-1], sp[-2], &ta) || !u256_fits_u64(ta) || ta.w[0] > f->ret->n)
            FAIL(EVM_INVALID_MEMORY_ACCESS);
        if (len)
            memcpy(mem->p + o, f->ret->p + sp[-1].w[0], len);
        sp -= 3;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(EXTCODEHASH)
    {
        aa = evm__u256_to_addr(sp[0]);
        if (!host->access_account(hctx, &aa))
            CHARGE(2500);
        if (host->account_is_empty(hctx, &aa)) {
            sp[0] = u256_zero(); /* EIP-1052: 0 for empty or missing accounts */
        } else {
            sp[0] = code_hash_u256(host, hctx, &aa);
        }
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(BLOCKHASH)
    {
        sp[0] = op_blockhash(evm, sp[0]);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(COINBASE)
    {
        PUSH(evm__addr_to_u256(&env->block->coinbase));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(TIMESTAMP)
    {
        PUSH(u256_from_u64(env->block->timestamp));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(NUMBER)
    {
        PUSH(u256_from_u64(env->block->number));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(PREVRANDAO)
    {
        /* SCROLL.md §2.1: DIFFICULTY/PREVRANDAO is always 0 on Scroll. */
        PUSH(evm_rules_has(env->rules, EVM_F_PREVRANDAO_ZERO) ? u256_zero()
                                                             : env->block->prevrandao);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(GASLIMIT)
    {
        PUSH(u256_from_u64(env->block->gas_limit));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CHAINID)
    {
        PUSH(env->block->chain_id);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(SELFBALANCE)
    {
        PUSH(host->get_balance(hctx, &msg->recipient));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(BASEFEE)
    {
        PUSH(env->block->base_fee);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(BLOBHASH)
    {
        if (u256_fits_u64(sp[0]) && sp[0].w[0] < env->tx->nblob_hashes)
            sp[0] = load_be32(env->tx->blob_hashes[sp[0].w[0]].b);
        else
            sp[0] = u256_zero();
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(BLOBBASEFEE)
    {
        PUSH(env->block->blob_base_fee);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(POP)
    {
        sp--;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(MLOAD)
    {
        if (!mem_need_n(mem, &gas, sp[0], 32, &o))
            goto L_oog;
        sp[0] = load_be32(mem->p + o);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(MSTORE)
    {
        if (!mem_need_n(mem, &gas, sp[0], 32, &o))
            goto L_oog;
        store_be32(mem->p + o, sp[-1]);
        sp -= 2;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(MSTORE8)
    {
        if (!mem_need_n(mem, &gas, sp[0], 1, &o))
            goto L_oog;
        mem->p[o] = (uint8_t)sp[-1].w[0];
        sp -= 2;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(SLOAD)
    {
        if (!host->access_storage(hctx, &msg->recipient, &sp[0]))
            CHARGE(2000); /* EIP-2929: cold slot 2100 = 100 static + 2000 */
        sp[0] = host->get_storage(hctx, &msg->recipient, &sp[0]);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(SSTORE)
    {
        CHECK_ST(op_sstore(f, sp, &gas));
        sp -= 2;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(JUMP)
    {
        if (!u256_fits_u64(sp[0]) || !evm__is_jumpdest(ccode, sp[0].w[0]))
            FAIL(EVM_BAD_JUMP_DESTINATION);
        ip = code + sp[0].w[0];
        sp--;
        EVM_OP_NEXT(0);
    }
    EVM_OP_CASE(JUMPI)
    {
        sp -= 2;
        if (!u256_is_zero(sp[1])) {
            if (!u256_fits_u64(sp[2]) || !evm__is_jumpdest(ccode, sp[2].w[0]))
                FAIL(EVM_BAD_JUMP_DESTINATION);
            ip = code + sp[2].w[0];
            EVM_OP_NEXT(0);
        }
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(PC)
    {
        PUSH(u256_from_u64((uint64_t)(ip - code)));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(MSIZE)
    {
        PUSH(u256_from_u64(mem->n));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(GAS)
    {
        PUSH(u256_from_u64((uint64_t)gas));
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(JUMPDEST)
    {
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(TLOAD)
    {
        sp[0] = host->get_transient(hctx, &msg->recipient, &sp[0]);
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(TSTORE)
    {
        if (msg->is_static)
            FAIL(EVM_STATIC_MODE_VIOLATION);
        host->set_transient(hctx, &msg->recipient, &sp[0], sp[-1]);
        sp -= 2;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(MCOPY)
    {
        /* EIP-5656: memory grows to cover both regions; 3 gas per word copied. */
        if (!mem_need(mem, &gas, u256_lt(sp[0], sp[-1]) ? sp[-1] : sp[0], sp[-2], &o))
            goto L_oog;
        if (!u256_is_zero(sp[-2])) {
            CHARGE(3 * words_of(sp[-2].w[0]));
            memmove(mem->p + sp[0].w[0], mem->p + sp[-1].w[0], sp[-2].w[0]);
        }
        sp -= 3;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(PUSH0)
    {
        PUSH(u256_zero());
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(PUSH1)
    {
        PUSH(u256_from_u64(ip[1]));
        EVM_OP_NEXT(2);
    }
#define PUSH_N(n)                          \
    EVM_OP_CASE(PUSH##n)                   \
    {                                      \
        load_push(++sp, ip + 1, n);        \
        EVM_OP_NEXT(n + 1);                \
    }
    PUSH_N(2)
    PUSH_N(3)
    PUSH_N(4)
    PUSH_N(5)
    PUSH_N(6)
    PUSH_N(7)
    PUSH_N(8)
    PUSH_N(9)
    PUSH_N(10)
    PUSH_N(11)
    PUSH_N(12)
    PUSH_N(13)
    PUSH_N(14)
    PUSH_N(15)
    PUSH_N(16)
    PUSH_N(17)
    PUSH_N(18)
    PUSH_N(19)
    PUSH_N(20)
    PUSH_N(21)
    PUSH_N(22)
    PUSH_N(23)
    PUSH_N(24)
    PUSH_N(25)
    PUSH_N(26)
    PUSH_N(27)
    PUSH_N(28)
    PUSH_N(29)
    PUSH_N(30)
    PUSH_N(31)
    PUSH_N(32)
#undef PUSH_N
#define DUP_N(n)                   \
    EVM_OP_CASE(DUP##n)            \
    {                              \
        sp[1] = sp[1 - (n)];       \
        sp++;                      \
        EVM_OP_NEXT(1);            \
    }
    DUP_N(1)
    DUP_N(2)
    DUP_N(3)
    DUP_N(4)
    DUP_N(5)
    DUP_N(6)
    DUP_N(7)
    DUP_N(8)
    DUP_N(9)
    DUP_N(10)
    DUP_N(11)
    DUP_N(12)
    DUP_N(13)
    DUP_N(14)
    DUP_N(15)
    DUP_N(16)
#undef DUP_N
#define SWAP_N(n)                  \
    EVM_OP_CASE(SWAP##n)           \
    {                              \
        ta = sp[0];                \
        sp[0] = sp[-(n)];          \
        sp[-(n)] = ta;             \
        EVM_OP_NEXT(1);            \
    }
    SWAP_N(1)
    SWAP_N(2)
    SWAP_N(3)
    SWAP_N(4)
    SWAP_N(5)
    SWAP_N(6)
    SWAP_N(7)
    SWAP_N(8)
    SWAP_N(9)
    SWAP_N(10)
    SWAP_N(11)
    SWAP_N(12)
    SWAP_N(13)
    SWAP_N(14)
    SWAP_N(15)
    SWAP_N(16)
#undef SWAP_N
#define LOG_N(n)                               \
    EVM_OP_CASE(LOG##n)                        \
    {                                          \
        CHECK_ST(op_log(f, sp, &gas, n));      \
        sp -= 2 + (n);                         \
        EVM_OP_NEXT(1);                        \
    }
    LOG_N(0)
    LOG_N(1)
    LOG_N(2)
    LOG_N(3)
    LOG_N(4)
#undef LOG_N
    EVM_OP_CASE(CREATE)
    {
        CHECK_ST(op_create(f, sp, &gas, EVM_CREATE));
        sp -= 2;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CREATE2)
    {
        CHECK_ST(op_create(f, sp, &gas, EVM_CREATE2));
        sp -= 3;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CALL)
    {
        CHECK_ST(op_call(f, sp, &gas, EVM_CALL));
        sp -= 6;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(CALLCODE)
    {
        CHECK_ST(op_call(f, sp, &gas, EVM_CALLCODE));
        sp -= 6;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(DELEGATECALL)
    {
        CHECK_ST(op_call(f, sp, &gas, EVM_DELEGATECALL));
        sp -= 5;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(STATICCALL)
    {
        CHECK_ST(op_call(f, sp, &gas, EVM_STATICCALL));
        sp -= 5;
        EVM_OP_NEXT(1);
    }
    EVM_OP_CASE(RETURN)
    {
        if (!mem_need(mem, &gas, sp[0], sp[-1], &o))
            goto L_oog;
        f->out_len = u256_is_zero(sp[-1]) ? 0 : sp[-1].w[0];
        f->out = f->out_len ? mem->p + o : NULL;
        st = EVM_SUCCESS;
        goto L_done;
    }
    EVM_OP_CASE(REVERT)
    {
        if (!mem_need(mem, &gas, sp[0], sp[-1], &o))
            goto L_oog;
        f->out_len = u256_is_zero(sp[-1]) ? 0 : sp[-1].w[0];
        f->out = f->out_len ? mem->p + o : NULL;
        st = EVM_REVERT;
        goto L_done;
    }
    EVM_OP_CASE(INVALID)
    {
        FAIL(EVM_INVALID_INSTRUCTION);
    }
    EVM_OP_CASE(SELFDESTRUCT)
    {
        CHECK_ST(op_selfdestruct(f, sp, &gas));
        st = EVM_SUCCESS;
        goto L_done;
    }

    /* clang-format on */

#if !EVM_LOOP_CGOTO
default:
    goto L_stack_error;
}
}
#endif

L_stack_error : st = stack_error(&ops[op], sp - base + 1);
goto L_fail;
L_oog : st = EVM_OUT_OF_GAS;
L_fail : f->gas = 0;
f->out = NULL;
f->out_len = 0;
return st;
L_done : f->gas = gas;
return st;

#undef EVM_CHECKS
#undef EVM_OP_CASE
#undef EVM_OP_NEXT
#undef PUSH
#undef BINOP
#undef FAIL
#undef CHECK_ST
#undef CHARGE
}

#if EVM_LOOP_CGOTO
#pragma GCC diagnostic pop
#endif
