/* src/evm/rules.c — rule sets as data: features per Ethereum fork and Scroll spec, and the
 * per-opcode check table derived from ops.def. */
#include <strings.h>

#include "evm/evm.h"

/* clang-format off */
static const struct op_def {
    const char *name;
    uint8_t imm, in, out;
    int32_t gas;
    uint32_t feature;
} OP_DEFS[256] = {
#define EVM_OP(NAME, BYTE, IMM, IN, OUT, GAS, FEAT, DOC) \
    [BYTE] = { #NAME, IMM, IN, OUT, GAS, FEAT },
#include "evm/ops.def"
#undef EVM_OP
};

/* clang-format on */

const char *evm_op_name(uint8_t op)
{
    return OP_DEFS[op].name;
}

static void build_ops(evm_rules_t *r)
{
    for (unsigned i = 0; i < 256; i++) {
        const struct op_def *d = &OP_DEFS[i];
        evm_op_info_t *o = &r->ops[i];
        if (!d->name || !(r->features & d->feature)) {
            /* Undefined: no stack height satisfies min_height, so the loop's one combined
             * check sends it to the slow path, which reports UNDEFINED_INSTRUCTION. */
            o->gas = 0;
            o->min_height = 0x7fff;
            o->range = 0;
            continue;
        }
        o->gas = d->gas;
        o->min_height = d->in;
        /* After the op the height is h - in + out, which must stay <= EVM_STACK_LIMIT. */
        int max_before = EVM_STACK_LIMIT + d->in - d->out;
        if (max_before > EVM_STACK_LIMIT)
            max_before = EVM_STACK_LIMIT;
        o->range = (int16_t)(max_before - d->in);
    }
}

void evm_rules_ethereum(evm_rules_t *r, evm_eth_fork_t fork)
{
    static const char *const names[] = { "Shanghai", "Cancun", "Prague", "Osaka" };
    memset(r, 0, sizeof(*r));
    r->chain = EVM_CHAIN_ETHEREUM;
    r->fork = (int)fork;
    r->blockhash = EVM_BLOCKHASH_HOST;
    /* Shanghai: London + EIP-3651 (warm coinbase), EIP-3855 (PUSH0), EIP-3860 (initcode). */
    uint32_t f = EVM_F_BASE | EVM_F_PUSH0 | EVM_F_BASEFEE | EVM_F_SELFDESTRUCT;
    if (fork >= EVM_ETH_CANCUN)
        f |= EVM_F_TSTORE | EVM_F_MCOPY | EVM_F_BLOBHASH | EVM_F_BLOBBASEFEE | EVM_F_EIP6780 |
             EVM_F_BLOB_TX;
    if (fork >= EVM_ETH_PRAGUE)
        f |= EVM_F_EIP7702 | EVM_F_EIP7623;
    if (fork >= EVM_ETH_OSAKA)
        f |= EVM_F_CLZ | EVM_F_TX_GAS_CAP;
    r->features = f;
    precompile_rules_ethereum(&r->precompiles, (int)fork);
    memcpy(r->name, names[fork], strlen(names[fork]) + 1);
    build_ops(r);
}

static const char *const SCROLL_NAMES[] = { "",       "SHANGHAI", "BERNOULLI", "CURIE",
                                            "DARWIN", "EUCLID",   "FEYNMAN",   "GALILEO" };

void evm_rules_scroll(evm_rules_t *r, evm_scroll_spec_t spec)
{
    memset(r, 0, sizeof(*r));
    r->chain = EVM_CHAIN_SCROLL;
    r->fork = (int)spec;
    /* SCROLL.md §1.2/§2.1: Shanghai rules everywhere, SELFDESTRUCT undefined, DIFFICULTY 0,
     * fees to the fee vault, no blob opcodes or transactions. */
    uint32_t f = EVM_F_BASE | EVM_F_PUSH0 | EVM_F_PREVRANDAO_ZERO | EVM_F_FEE_VAULT;
    if (spec >= EVM_SCROLL_CURIE)
        f |= EVM_F_BASEFEE | EVM_F_TSTORE | EVM_F_MCOPY;
    if (spec >= EVM_SCROLL_EUCLID)
        f |= EVM_F_EIP7702 | EVM_F_L1_MSG_FAIL_VALUE;
    if (spec >= EVM_SCROLL_FEYNMAN)
        f |= EVM_F_EIP7623;
    if (spec >= EVM_SCROLL_GALILEO)
        f |= EVM_F_CLZ;
    r->features = f;
    r->blockhash =
        spec >= EVM_SCROLL_FEYNMAN ? EVM_BLOCKHASH_SCROLL_HISTORY : EVM_BLOCKHASH_SCROLL_KECCAK;
    precompile_rules_scroll(&r->precompiles, (int)spec);
    size_t n = strlen(SCROLL_NAMES[spec]);
    memcpy(r->name, "scroll:", 7);
    memcpy(r->name + 7, SCROLL_NAMES[spec], n + 1);
    build_ops(r);
}

err_t evm_rules_from_name(evm_rules_t *r, const char *name)
{
    static const char *const eth[] = { "Shanghai", "Cancun", "Prague", "Osaka" };
    for (unsigned i = 0; i < RN_ARRAY_LEN(eth); i++) {
        if (strcasecmp(name, eth[i]) == 0) {
            evm_rules_ethereum(r, (evm_eth_fork_t)i);
            return ERR_OK;
        }
    }
    const char *s = NULL;
    if (strncasecmp(name, "scroll:", 7) == 0 || strncasecmp(name, "scroll_", 7) == 0)
        s = name + 7;
    if (s) {
        for (unsigned i = 1; i < RN_ARRAY_LEN(SCROLL_NAMES); i++) {
            if (strcasecmp(s, SCROLL_NAMES[i]) == 0) {
                evm_rules_scroll(r, (evm_scroll_spec_t)i);
                return ERR_OK;
            }
        }
    }
    return ERR_NOT_FOUND;
}

const char *evm_status_name(evm_status_t s)
{
    static const char *const names[] = {
        [EVM_SUCCESS] = "SUCCESS",
        [EVM_REVERT] = "REVERT",
        [EVM_OUT_OF_GAS] = "OUT_OF_GAS",
        [EVM_INVALID_INSTRUCTION] = "INVALID_INSTRUCTION",
        [EVM_UNDEFINED_INSTRUCTION] = "UNDEFINED_INSTRUCTION",
        [EVM_STACK_OVERFLOW] = "STACK_OVERFLOW",
        [EVM_STACK_UNDERFLOW] = "STACK_UNDERFLOW",
        [EVM_BAD_JUMP_DESTINATION] = "BAD_JUMP_DESTINATION",
        [EVM_INVALID_MEMORY_ACCESS] = "INVALID_MEMORY_ACCESS",
        [EVM_CALL_DEPTH_EXCEEDED] = "CALL_DEPTH_EXCEEDED",
        [EVM_STATIC_MODE_VIOLATION] = "STATIC_MODE_VIOLATION",
        [EVM_PRECOMPILE_FAILURE] = "PRECOMPILE_FAILURE",
        [EVM_CONTRACT_VALIDATION_FAILURE] = "CONTRACT_VALIDATION_FAILURE",
        [EVM_INSUFFICIENT_BALANCE] = "INSUFFICIENT_BALANCE",
        [EVM_CREATE_COLLISION] = "CREATE_COLLISION",
        [EVM_CODE_SIZE_EXCEEDED] = "CODE_SIZE_EXCEEDED",
        [EVM_NONCE_OVERFLOW] = "NONCE_OVERFLOW",
        [EVM_INITCODE_SIZE_EXCEEDED] = "INITCODE_SIZE_EXCEEDED",
    };
    if ((unsigned)s < RN_ARRAY_LEN(names) && names[s])
        return names[s];
    return "UNKNOWN";
}
