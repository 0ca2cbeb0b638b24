/* src/evm/calls.c — message calls and contract creation (the frame around the interpreter),
 * the evm_t lifecycle and address derivations. Semantics follow the Yellow Paper with the
 * Shanghai-and-later EIPs: EIP-150 depth/gas, EIP-161 touch rules, EIP-2929 warm addresses,
 * EIP-3541/170/3860 code rules, EIP-7610 create collisions, EIP-7702 delegation. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "evm/evm_int.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define EVM_ASAN 1
#else
#define EVM_ASAN 0
#endif

/* 0x0000F90827F1C53a10cb7A02335B175320002935 (EIP-2935, SCROLL.md §0). */
const addr_t EVM_HISTORY_CONTRACT = {
    { 0x00, 0x00, 0xF9, 0x08, 0x27, 0xF1, 0xC5, 0x3a, 0x10, 0xcb,
      0x7A, 0x02, 0x33, 0x5B, 0x17, 0x53, 0x20, 0x00, 0x29, 0x35 }
};

evm_t *evm_new(void)
{
    evm_t *evm = RN_NEW(evm_t);
    buf_init(&evm->pc_out, BUF_MAX_DEFAULT);
    evm->dispatch = EVM_DISPATCH_CGOTO;
    return evm;
}

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_evm_free(void *p)
{
    evm_free(p);
}

static void thread_key_init(void)
{
    if (pthread_key_create(&thread_key, thread_evm_free) != 0)
        PANIC("pthread_key_create failed");
}

evm_t *evm_thread(void)
{
    pthread_once(&thread_once, thread_key_init);
    evm_t *evm = pthread_getspecific(thread_key);
    if (!evm) {
        evm = evm_new();
        if (pthread_setspecific(thread_key, evm) != 0)
            PANIC("pthread_setspecific failed");
    }
    evm_set_tracer(evm, NULL);
    return evm;
}

void evm_free(evm_t *evm)
{
    if (!evm)
        return;
    for (size_t i = 0; i <= EVM_MAX_DEPTH; i++) {
        evm_depth_t *d = &evm->depths[i];
        rn_free(d->stack_alloc);
        rn_free(d->mem.p);
        rn_free(d->ret.p);
        rn_free(d->initcode.code);
    }
    evm__cache_free(&evm->cache);
    if (evm->fiber.stack)
        munmap(evm->fiber.stack, EVM_FIBER_STACK);
    rn_free(evm->out.p);
    buf_deinit(&evm->pc_out);
    rn_free(evm);
}

void evm_set_tracer(evm_t *evm, const evm_tracer_t *tracer)
{
    evm->tracing = tracer && tracer->step;
    evm->call_tracing = tracer && tracer->enter && tracer->exit;
    if (tracer)
        evm->tracer = *tracer;
}

void evm_set_dispatch(evm_t *evm, evm_dispatch_t d)
{
    evm->dispatch = d;
}

bview_t evm_last_output(const evm_t *evm)
{
    return bview(evm->out.p, evm->out.n);
}

void evm_clear_cache(evm_t *evm)
{
    evm__cache_free(&evm->cache);
}

bool evm_parse_delegation(bview_t code, addr_t *target)
{
    if (code.n != EVM_DELEGATION_LEN || code.p[0] != 0xef || code.p[1] != 0x01 || code.p[2] != 0x00)
        return false;
    memcpy(target->b, code.p + 3, 20);
    return true;
}

void evm_make_delegation(uint8_t out[static 23], const addr_t *target)
{
    out[0] = 0xef;
    out[1] = 0x01;
    out[2] = 0x00;
    memcpy(out + 3, target->b, 20);
}

addr_t evm_create_address(const addr_t *sender, uint64_t nonce)
{
    /* rlp([sender, nonce]) is at most 1 + 21 + 9 bytes: encode it by hand. */
    uint8_t b[32];
    size_t n = 1;
    b[n++] = 0x80 + 20;
    memcpy(b + n, sender->b, 20);
    n += 20;
    if (nonce == 0) {
        b[n++] = 0x80;
    } else if (nonce < 0x80) {
        b[n++] = (uint8_t)nonce;
    } else {
        uint8_t be[8];
        be_store64(be, nonce);
        unsigned skip = 0;
        while (be[skip] == 0)
            skip++;
        b[n++] = (uint8_t)(0x80 + 8 - skip);
        memcpy(b + n, be + skip, 8 - skip);
        n += 8 - skip;
    }
    b[0] = (uint8_t)(0xc0 + n - 1);
    uint8_t h[32];
    keccak256(h, b, n);
    addr_t a;
    memcpy(a.b, h + 12, 20);
    return a;
}

addr_t evm_create2_address(const addr_t *sender, const uint8_t salt[static 32],
                           const uint8_t *initcode, size_t n)
{
    uint8_t pre[1 + 20 + 32 + 32];
    pre[0] = 0xff;
    memcpy(pre + 1, sender->b, 20);
    memcpy(pre + 21, salt, 32);
    keccak256(pre + 53, initcode, n);
    uint8_t h[32];
    keccak256(h, pre, sizeof(pre));
    addr_t a;
    memcpy(a.b, h + 12, 20);
    return a;
}

/** Run code in a new frame at msg->depth, on the current stack. */
static evm_status_t run_frame_here(evm_t *evm, const evm_message_t *msg, const evm_code_t *code,
                                   int64_t *gas, bview_t *out)
{
    evm_depth_t *d = &evm->depths[msg->depth];
    if (!d->stack_alloc)
        d->stack_alloc = rn_malloc((EVM_STACK_LIMIT + 1) * sizeof(u256_t));
    d->mem.n = 0;
    d->ret.n = 0;
    evm_frame_t f = {
        .evm = evm,
        .msg = msg,
        .code = code,
        .gas = *gas,
        .stack = d->stack_alloc + 1,
        .mem = &d->mem,
        .ret = &d->ret,
    };
    evm_status_t st = evm->dispatch == EVM_DISPATCH_SWITCH || evm->tracing ? evm__interp_switch(&f)
                                                                           : evm__interp_cgoto(&f);
    *gas = f.gas;
    *out = bview(f.out, f.out_len);
    return st;
}

/* Frames move to the evm's own stack (decision 0011). A frame runs to completion before the
 * caller continues, so on x86-64 moving is a call with another stack pointer: no context to
 * save but the caller's %rsp (kept in %rbp), and no system call. Elsewhere the fiber is a
 * ucontext made once and resumed per frame (glibc's swapcontext sets the signal mask: a system
 * call per switch). */

static bool stack_reserve(evm_fiber_t *fb)
{
    if (fb->stack)
        return true;
    void *p = mmap(NULL, EVM_FIBER_STACK, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED)
        return false;
    /* A guard page below the stack turns an overflow into a clean fault. */
    (void)mprotect(p, 4096, PROT_NONE);
    fb->stack = p;
    return true;
}

/* The frame handed over in evm->fiber, run on whatever stack this is. */
static void fiber_frame(evm_t *evm)
{
    evm_fiber_t *fb = &evm->fiber;
    fb->status = run_frame_here(evm, fb->msg, fb->code, &fb->gas, &fb->out);
}

#if EVM_STACK_ASM
/* evm__on_stack(arg, fn, top): fn(arg) with %rsp = top (16-byte aligned), then back. */
void evm__on_stack(void *arg, void (*fn)(void *), void *top);
__asm__(".text\n"
        ".globl evm__on_stack\n"
        ".hidden evm__on_stack\n"
        ".type evm__on_stack, @function\n"
        "evm__on_stack:\n"
        "    .cfi_startproc\n"
        "    endbr64\n"
        "    pushq %rbp\n"
        "    .cfi_def_cfa_offset 16\n"
        "    .cfi_offset %rbp, -16\n"
        "    movq %rsp, %rbp\n"
        "    .cfi_def_cfa_register %rbp\n"
        "    movq %rdx, %rsp\n"
        "    callq *%rsi\n"
        "    movq %rbp, %rsp\n"
        "    .cfi_def_cfa_register %rsp\n"
        "    popq %rbp\n"
        "    .cfi_def_cfa_offset 8\n"
        "    ret\n"
        "    .cfi_endproc\n"
        ".size evm__on_stack, .-evm__on_stack\n");

static void fiber_entry(void *arg)
{
    evm_t *evm = arg;
#if EVM_ASAN
    evm_fiber_t *fb = &evm->fiber;
    __sanitizer_finish_switch_fiber(NULL, &fb->caller_stack, &fb->caller_stack_size);
#endif
    fiber_frame(evm);
#if EVM_ASAN
    /* NULL: this stack's frames are gone when it returns (a fiber that ends). */
    __sanitizer_start_switch_fiber(NULL, fb->caller_stack, fb->caller_stack_size);
#endif
}

static bool fiber_run(evm_t *evm)
{
    evm_fiber_t *fb = &evm->fiber;
    if (!stack_reserve(fb))
        return false;
#if EVM_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, fb->stack, EVM_FIBER_STACK);
#endif
    evm__on_stack(evm, fiber_entry, fb->stack + EVM_FIBER_STACK);
#if EVM_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    return true;
}
#else
/* The fiber's loop: makecontext passes ints, so the evm_t pointer arrives in two halves. It
 * runs one frame per resume and switches back; it never returns. */
static void fiber_main(int hi, int lo)
{
    evm_t *evm = (evm_t *)(((uintptr_t)(unsigned)hi << 32) | (uintptr_t)(unsigned)lo);
    evm_fiber_t *fb = &evm->fiber;
    for (;;) {
#if EVM_ASAN
        __sanitizer_finish_switch_fiber(fb->fake_stack, &fb->caller_stack, &fb->caller_stack_size);
#endif
        fiber_frame(evm);
#if EVM_ASAN
        __sanitizer_start_switch_fiber(&fb->fake_stack, fb->caller_stack, fb->caller_stack_size);
#endif
        if (swapcontext(&fb->self, &fb->caller) != 0)
            abort(); /* cannot happen: both contexts are valid; nothing to return to */
    }
}

static bool fiber_run(evm_t *evm)
{
    evm_fiber_t *fb = &evm->fiber;
    if (!fb->started || !pthread_equal(fb->thread, pthread_self())) {
        if (!stack_reserve(fb) || getcontext(&fb->self) != 0)
            return false;
        fb->self.uc_stack.ss_sp = fb->stack;
        fb->self.uc_stack.ss_size = EVM_FIBER_STACK;
        fb->self.uc_link = NULL;
        uintptr_t v = (uintptr_t)evm;
        makecontext(&fb->self, (void (*)(void))fiber_main, 2, (int)(unsigned)(v >> 32),
                    (int)(unsigned)(v & 0xffffffffu));
        fb->fake_stack = NULL; /* a fiber remade for another thread starts afresh */
        fb->started = true;
        fb->thread = pthread_self();
    }
#if EVM_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, fb->stack, EVM_FIBER_STACK);
#endif
    int rc = swapcontext(&fb->caller, &fb->self);
#if EVM_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
    return rc == 0;
}
#endif

/** Run code in a new frame. The outermost frame with code moves to the evm's own stack, so
 *  calls without code (plain transfers) never switch stacks; frames it opens stay there. */
static evm_status_t run_frame(evm_t *evm, const evm_message_t *msg, const evm_code_t *code,
                              int64_t *gas, bview_t *out)
{
    evm_fiber_t *fb = &evm->fiber;
    if (fb->active)
        return run_frame_here(evm, msg, code, gas, out); /* nested */
    fb->msg = msg;
    fb->code = code;
    fb->gas = *gas;
    fb->active = true;
    bool ran = fiber_run(evm);
    fb->active = false;
    if (!ran) /* no address space for the stack: the caller's must do */
        return run_frame_here(evm, msg, code, gas, out);
    *gas = fb->gas;
    *out = fb->out;
    return fb->status;
}

static void fail_frame(evm_t *evm, evm_result_t *r, uint32_t snap, int64_t refund_snap)
{
    evm->env.host->revert(evm->env.host_ctx, snap);
    evm->refund = refund_snap;
    if (r->status != EVM_REVERT) {
        r->gas_left = 0;
        r->output = bview(NULL, 0);
    }
}

static evm_result_t do_create(evm_t *evm, const evm_message_t *msg)
{
    const evm_host_t *host = evm->env.host;
    void *hctx = evm->env.host_ctx;
    evm_result_t r;
    memset(&r, 0, sizeof(r));
    r.gas_left = msg->gas;
    if (msg->depth > EVM_MAX_DEPTH) {
        r.status = EVM_CALL_DEPTH_EXCEEDED;
        return r;
    }
    if (u256_lt(host->get_balance(hctx, &msg->sender), msg->value)) {
        r.status = EVM_INSUFFICIENT_BALANCE;
        return r;
    }
    uint64_t nonce = host->get_nonce(hctx, &msg->sender);
    if (nonce == UINT64_MAX) {
        r.status = EVM_NONCE_OVERFLOW;
        return r;
    }
    host->set_nonce(hctx, &msg->sender, nonce + 1);
    addr_t a;
    if (msg->kind == EVM_CREATE2) {
        uint8_t salt[32];
        u256_to_be(salt, msg->salt);
        a = evm_create2_address(&msg->sender, salt, msg->input, msg->input_len);
    } else {
        a = evm_create_address(&msg->sender, nonce);
    }
    r.create_address = a;
    /* EIP-2929: the new address is warm even if the creation fails (taken before the snapshot). */
    (void)host->access_account(hctx, &a);
    /* EIP-684 + EIP-7610: an address with a nonce, code or storage cannot be created again. */
    hash_t ch = host->get_code_hash(hctx, &a);
    if (host->get_nonce(hctx, &a) != 0 || (!hash_is_zero(&ch) && !hash_eq(&ch, &KECCAK_EMPTY)) ||
        host->has_storage(hctx, &a)) {
        r.status = EVM_CREATE_COLLISION;
        r.gas_left = 0;
        return r;
    }
    uint32_t snap = host->snapshot(hctx);
    int64_t refund_snap = evm->refund;
    host->create_account(hctx, &a);
    host->set_nonce(hctx, &a, 1); /* EIP-161 */
    host->transfer(hctx, &msg->sender, &a, msg->value);

    evm_message_t m = *msg;
    m.recipient = a;
    m.code_address = a;
    m.input = NULL;
    m.input_len = 0;
    evm_code_t *code = &evm->depths[msg->depth].initcode;
    evm__analyse(code, msg->input, msg->input_len);
    bview_t out = bview(NULL, 0);
    int64_t gas = msg->gas;
    r.status = msg->input_len ? run_frame(evm, &m, code, &gas, &out) : EVM_SUCCESS;
    r.gas_left = gas;
    if (r.status == EVM_SUCCESS) {
        if (out.n > EVM_MAX_CODE_SIZE) {
            r.status = EVM_CODE_SIZE_EXCEEDED; /* EIP-170 */
        } else if (out.n >= 1 && out.p[0] == 0xef) {
            r.status = EVM_CONTRACT_VALIDATION_FAILURE; /* EIP-3541 */
        } else {
            int64_t cost = 200 * (int64_t)out.n; /* G_codedeposit */
            if (r.gas_left < cost) {
                r.status = EVM_OUT_OF_GAS;
            } else {
                r.gas_left -= cost;
                host->set_code(hctx, &a, out.p, out.n);
                r.created_code = out;
            }
        }
    }
    if (r.status == EVM_REVERT)
        r.output = out;
    if (r.status != EVM_SUCCESS)
        fail_frame(evm, &r, snap, refund_snap);
    return r;
}

static evm_result_t do_call(evm_t *evm, const evm_message_t *msg)
{
    const evm_host_t *host = evm->env.host;
    void *hctx = evm->env.host_ctx;
    const evm_rules_t *rules = evm->env.rules;
    evm_result_t r;
    memset(&r, 0, sizeof(r));
    r.gas_left = msg->gas;
    if (msg->depth > EVM_MAX_DEPTH) {
        r.status = EVM_CALL_DEPTH_EXCEEDED;
        return r;
    }
    bool moves_value = msg->kind == EVM_CALL || msg->kind == EVM_CALLCODE;
    if (moves_value && !u256_is_zero(msg->value) &&
        u256_lt(host->get_balance(hctx, &msg->sender), msg->value)) {
        r.status = EVM_INSUFFICIENT_BALANCE;
        return r;
    }
    uint32_t snap = host->snapshot(hctx);
    int64_t refund_snap = evm->refund;
    precompile_id_t pc = precompile_lookup(&rules->precompiles, &msg->code_address);
    if (msg->kind == EVM_CALL) {
        /* EIP-161: a value-less call to a missing non-precompile account creates nothing. */
        if (pc == PC_NONE && u256_is_zero(msg->value) &&
            !host->account_exists(hctx, &msg->recipient))
            return r;
        host->transfer(hctx, &msg->sender, &msg->recipient, msg->value);
    } else if (msg->kind == EVM_STATICCALL) {
        host->touch(hctx, &msg->recipient); /* a zero-value touch, as geth does */
    }
    if (pc != PC_NONE) {
        buf_reset(&evm->pc_out);
        precompile_result_t pr = precompile_run(&rules->precompiles, pc, msg->input, msg->input_len,
                                                (uint64_t)msg->gas, &evm->pc_out);
        if (pr.success) {
            r.status = EVM_SUCCESS;
            r.gas_left = msg->gas - (int64_t)pr.gas_used;
            r.output = buf_view(&evm->pc_out);
        } else {
            r.status = EVM_PRECOMPILE_FAILURE;
        }
    } else {
        bview_t c = host->get_code(hctx, &msg->code_address);
        hash_t ch;
        addr_t target;
        if (evm_rules_has(rules, EVM_F_EIP7702) && evm_parse_delegation(c, &target)) {
            /* EIP-7702: run the delegate's code (one level; its warm/cold cost is charged by
             * the caller). */
            c = host->get_code(hctx, &target);
            ch = host->get_code_hash(hctx, &target);
        } else {
            ch = host->get_code_hash(hctx, &msg->code_address);
        }
        if (c.n == 0) {
            r.status = EVM_SUCCESS;
        } else {
            const evm_code_t *code = evm__code_get(evm, &ch, c);
            int64_t gas = msg->gas;
            r.status = run_frame(evm, msg, code, &gas, &r.output);
            r.gas_left = gas;
        }
    }
    if (r.status != EVM_SUCCESS)
        fail_frame(evm, &r, snap, refund_snap);
    return r;
}

evm_result_t evm__call(evm_t *evm, const evm_message_t *msg)
{
    bool create = msg->kind == EVM_CREATE || msg->kind == EVM_CREATE2;
    if (EVM_LIKELY(!evm->call_tracing))
        return create ? do_create(evm, msg) : do_call(evm, msg);
    evm->tracer.enter(evm->tracer.ud, msg);
    evm_result_t r = create ? do_create(evm, msg) : do_call(evm, msg);
    evm->tracer.exit(evm->tracer.ud, msg, &r);
    return r;
}

evm_result_t evm_execute(evm_t *evm, const evm_env_t *env, const evm_message_t *msg)
{
    evm__cache_trim(&evm->cache);
    evm->env = *env;
    evm->refund = 0;
    evm_result_t r = evm__call(evm, msg);
    /* The output may live in depth 0's memory or the precompile buffer: copy it out. */
    evm__bytes_reserve(&evm->out, r.output.n);
    if (r.output.n)
        memcpy(evm->out.p, r.output.p, r.output.n);
    evm->out.n = r.output.n;
    r.output = bview(evm->out.p, evm->out.n);
    r.gas_refund = r.status == EVM_SUCCESS ? evm->refund : 0;
    return r;
}
