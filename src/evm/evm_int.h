/* src/evm/evm_int.h — private to the evm module (and its unit tests): the evm_t layout, call
 * frames, code analysis and the cross-file internals (evm__*). */
#ifndef RN_EVM_EVM_INT_H
#define RN_EVM_EVM_INT_H

#include <pthread.h>
#include <ucontext.h>

#include "crypto/crypto.h"
#include "evm/evm.h"

#define EVM_LIKELY(x)   __builtin_expect(!!(x), 1)
#define EVM_UNLIKELY(x) __builtin_expect(!!(x), 0)

enum {
    EVM_CODE_PADDING = 33, /**< 32 for a PUSH32 cut short at the end, 1 for an implicit STOP */
};

/** Analysed code: a padded copy and the JUMPDEST bitmap, in one allocation. */
typedef struct evm_code {
    hash_t hash;         /**< cache key (zero for uncached initcode) */
    size_t len;          /**< code length without the padding */
    uint8_t *code;       /**< len + EVM_CODE_PADDING bytes, the padding zero */
    uint64_t *jumpdests; /**< bit i set: byte i is a JUMPDEST instruction (not push data) */
    size_t alloc;        /**< bytes allocated for code + bitmap */
} evm_code_t;

static inline bool evm__is_jumpdest(const evm_code_t *c, uint64_t pos)
{
    return pos < c->len && ((c->jumpdests[pos >> 6] >> (pos & 63)) & 1);
}

/** Analyse code into c, reusing c's allocation when it is large enough. */
void evm__analyse(evm_code_t *c, const uint8_t *code, size_t n);

/** A growable byte area: a frame's memory or its return-data buffer. */
typedef struct evm_bytes {
    uint8_t *p;
    size_t n; /**< bytes in use (memory: a multiple of 32) */
    size_t cap;
} evm_bytes_t;

/** Per-depth storage kept for the lifetime of the evm_t (allocated on first use). */
typedef struct evm_depth {
    u256_t *stack_alloc; /**< EVM_STACK_LIMIT + 1 items; item 0 is a guard below the bottom */
    evm_bytes_t mem;
    evm_bytes_t ret;     /**< output of the last call this frame made (RETURNDATA) */
    evm_code_t initcode; /**< scratch analysis for creates running at this depth */
} evm_depth_t;

typedef struct evm_cache {
    evm_code_t **slots; /**< open addressing by code hash */
    size_t cap;         /**< power of two */
    size_t n;
    size_t bytes; /**< sum of allocations; the cache is emptied above EVM_CACHE_MAX_BYTES */
} evm_cache_t;

enum {
    EVM_CACHE_MAX_BYTES = 64u << 20,
};

/** Calls nest 1024 deep through the interpreter's C frames; rather than depend on the calling
 *  thread's stack (RPC threads, sanitizer builds with fat frames), execution runs on a stack of
 *  its own: reserved address space, committed only as touched. */
#define EVM_FIBER_STACK ((size_t)256 << 20)

/* How frames move to that stack (decision 0011): our own call-on-stack on x86-64, a ucontext
 * fiber elsewhere (or with -DRN_EVM_UCONTEXT, to test that path here). */
#if defined(__x86_64__) && !defined(RN_EVM_UCONTEXT)
#define EVM_STACK_ASM 1
#else
#define EVM_STACK_ASM 0
#endif

typedef struct evm_fiber {
    uint8_t *stack; /**< EVM_FIBER_STACK bytes reserved (mmap), NULL until first use */
    bool active;    /**< a frame is running on that stack: nested frames stay on it */
    /* The frame handed over and its results. */
    const evm_message_t *msg;
    const evm_code_t *code;
    int64_t gas;
    bview_t out;
    evm_status_t status;
    const void *caller_stack; /**< sanitizer bookkeeping of the caller's stack */
    size_t caller_stack_size;
#if !EVM_STACK_ASM
    ucontext_t caller, self; /**< the fiber elsewhere: made once, resumed per frame */
    bool started;
    pthread_t thread; /**< the thread that made it: another thread makes its own */
    void *fake_stack; /**< sanitizer bookkeeping of the fiber's fake stack */
#endif
} evm_fiber_t;

struct evm {
    evm_env_t env;
    int64_t refund;
    bool tracing;      /* step hook set */
    bool call_tracing; /* enter/exit hooks set */
    evm_tracer_t tracer;
    evm_dispatch_t dispatch;
    evm_cache_t cache;
    evm_bytes_t out; /**< output of the last evm_execute */
    buf_t pc_out;    /**< precompile output */
    evm_fiber_t fiber;
    evm_depth_t depths[EVM_MAX_DEPTH + 1];
};

/** One executing frame. */
typedef struct evm_frame {
    evm_t *evm;
    const evm_message_t *msg;
    const evm_code_t *code;
    int64_t gas;
    u256_t *stack; /**< bottom item */
    evm_bytes_t *mem;
    evm_bytes_t *ret;   /**< return data of this frame's last call */
    const uint8_t *out; /**< RETURN/REVERT data (points into mem) */
    size_t out_len;
} evm_frame_t;

/** The interpreter loop, in its two dispatch flavours (interp.c). */
evm_status_t evm__interp_cgoto(evm_frame_t *f);
evm_status_t evm__interp_switch(evm_frame_t *f);

/** Nested message call or create (calls.c); output borrowed from the callee's memory or the
 *  precompile buffer, valid until the caller's next call. */
evm_result_t evm__call(evm_t *evm, const evm_message_t *msg);

/** Code to run for `hash`/`code`, analysed once and cached by hash (analysis.c). */
const evm_code_t *evm__code_get(evm_t *evm, const hash_t *hash, bview_t code);
void evm__cache_free(evm_cache_t *c);
/** Empty the cache if it exceeds its byte budget; only between executions. */
void evm__cache_trim(evm_cache_t *c);

/** Memory growth to `words` 32-byte words, the new part zeroed (geometric capacity). */
void evm__mem_grow(evm_bytes_t *m, size_t new_size);

/** Ensure an evm_bytes_t can hold n bytes (contents not kept). */
void evm__bytes_reserve(evm_bytes_t *b, size_t n);

static inline addr_t evm__u256_to_addr(u256_t v)
{
    addr_t a;
    uint8_t be[32];
    u256_to_be(be, v);
    memcpy(a.b, be + 12, 20);
    return a;
}

static inline u256_t evm__addr_to_u256(const addr_t *a)
{
    return u256_from_be(a->b, 20);
}

#endif
