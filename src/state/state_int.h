/* src/state/state_int.h — private to the state module: the hash map, the overlay's account and
 * slot records, and the journal. */
#ifndef RN_STATE_STATE_INT_H
#define RN_STATE_STATE_INT_H

#include "state/state.h"

/* ---- hash map: fixed-size keys to fixed-size values, open addressing, linear probing ---- */

typedef struct hmap {
    uint8_t *e; /**< cap entries of esize bytes: [used:1][key][pad][value] */
    size_t cap; /**< power of two, or 0 */
    size_t n;
    size_t ksize, vsize, voff, esize;
    uint64_t seed; /**< of the hash: 0, or secret for long-lived maps of outside keys */
} hmap_t;

void state__hmap_init(hmap_t *m, size_t ksize, size_t vsize);
void state__hmap_deinit(hmap_t *m);
void state__hmap_clear(hmap_t *m);
/** Make room for n entries in all, so that inserts up to there do not rehash. */
void state__hmap_reserve(hmap_t *m, size_t n);
/** Value of key, or NULL. */
void *state__hmap_get(const hmap_t *m, const void *key);
/** Start fetching the entry key would be found at first. */
void state__hmap_prefetch(const hmap_t *m, const void *key);
/** Value of key, inserted zeroed if missing (*found says which). Valid until the next insert. */
void *state__hmap_put(hmap_t *m, const void *key, bool *found);
/** Iterate: i from 0; returns the next used entry's key (and *val) or NULL at the end. */
const void *state__hmap_next(const hmap_t *m, size_t *i, void **val);

/* ---- overlay records ---- */

enum {
    SOBJ_EXISTS = 1u << 0,   /**< the account exists now */
    SOBJ_CREATED = 1u << 1,  /**< created in the current tx (EIP-6780) */
    SOBJ_DESTRUCT = 1u << 2, /**< self-destructed in the current tx: deleted at its end */
    SOBJ_TOUCHED = 1u << 3,  /**< touched in the current tx (EIP-161) */
};

typedef struct sobj {
    addr_t addr;
    uint8_t flags;        /**< SOBJ_*, journaled */
    bool dirty;           /**< differs (maybe) from the backend: part of the change set */
    bool storage_cleared; /**< the backend's storage is gone (deleted during this state_t) */
    bool code_loaded;
    bool backend_storage; /**< cached backend has_storage */
    bool backend_storage_known;
    uint64_t nonce;
    u256_t balance;
    hash_t code_hash;    /**< KECCAK_EMPTY if none */
    const uint8_t *code; /**< loaded lazily; borrowed from the backend or owned by the state */
    size_t code_len;
    uint32_t warm_tx;     /**< == state's tx id: warm (EIP-2929) */
    uint32_t seen_tx;     /**< == state's tx id: listed in this tx's objects */
    bool orig_exists;     /**< the backend had the account when it was loaded */
    state_account_t orig; /**< and this (orig.stored: as a flat-table record) */
} sobj_t;

typedef struct sslot {
    uint32_t obj; /**< index of the account */
    u256_t key;
    u256_t value;     /**< current */
    u256_t original;  /**< at the start of the current tx (EIP-2200) */
    u256_t committed; /**< in the backend (or zero after storage_cleared) */
    uint32_t warm_tx;
    uint32_t seen_tx;
    bool dirty;
} sslot_t;

typedef enum jkind {
    J_BALANCE,
    J_NONCE,
    J_CODE,
    J_STORAGE,
    J_TRANSIENT,
    J_FLAGS,
    J_WARM_ACCOUNT,
    J_WARM_SLOT,
    J_LOG,
} jkind_t;

typedef struct jent {
    uint8_t kind;
    uint32_t idx; /**< object or slot index */

    union {
        u256_t val;
        uint64_t nonce;
        uint8_t flags;
        uint32_t stamp;
        size_t nlogs;

        struct {
            u256_t key, val;
        } tr;

        struct {
            hash_t hash;
            const uint8_t *code;
            size_t len;
            bool loaded;
        } code;
    } u;
} jent_t;

enum {
    STATE_MRU = 4
};

struct state {
    state_backend_t be;
    state_block_hash_fn block_hash;
    void *block_hash_ud;
    uint32_t tx_id;
    sobj_t *objs;
    size_t nobjs, cap_objs;
    hmap_t obj_map; /**< addr -> uint32 index */
    /* The last STATE_MRU accounts looked up, before obj_map: a transaction reaches its sender,
     * recipient and fee recipients many times each (an index never changes while the state
     * lives). */
    addr_t mru_addr[STATE_MRU];
    uint32_t mru_idx[STATE_MRU];
    unsigned mru_n, mru_next;
    sslot_t *slots;
    size_t nslots, cap_slots;
    hmap_t slot_map;  /**< addr ‖ key -> uint32 index */
    hmap_t transient; /**< obj index ‖ key -> u256 */
    jent_t *journal;
    size_t njournal, cap_journal;
    uint32_t *tx_objs; /**< objects changed or touched in the current tx */
    size_t ntx_objs, cap_tx_objs;
    uint32_t *tx_slots; /**< slots written in the current tx */
    size_t ntx_slots, cap_tx_slots;
    log_t *logs;
    size_t nlogs, cap_logs;
    uint8_t **owned; /**< code buffers set during this state's life, freed with it */
    size_t nowned, cap_owned;
    /** The current transaction's precompiles, warm in it from the start (EIP-2929); NULL
     *  outside a transaction. They are answered warm without joining the warm set. */
    const precompile_rules_t *warm_pre;
};

/** Growth helper for (pointer, count, capacity) arrays. */
#define STATE_GROW(p, n, cap)                            \
    do {                                                 \
        if ((n) == (cap)) {                              \
            (cap) = (cap) ? (cap)*2 : 64;                \
            (p) = rn_realloc((p), (cap) * sizeof(*(p))); \
        }                                                \
    } while (0)

#endif
