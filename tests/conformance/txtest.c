/* TransactionTests runner: decode txbytes, check hash, sender and intrinsic gas per fork, or the
 * expected rejection. Forks in scope: Shanghai, Cancun, Prague (Scroll's EVM is Shanghai-based;
 * Prague covers EIP-7702 and EIP-7623). Usage: txtest <file|dir>... ; ends with
 * "N passed, N failed". */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/crypto.h"
#include "primitives/primitives.h"

static const char *const FORKS[] = { "Shanghai", "Cancun", "Prague" };
static unsigned passed, failed, out_of_scope;

/* What our validation says about a transaction under a fork: NULL = valid. */
static const char *validate(const tx_t *tx, int fork, uint64_t *intrinsic, addr_t *sender)
{
    unsigned rules = INTRINSIC_EIP3860 | (fork >= 2 ? INTRINSIC_EIP7702 : 0);
    if (tx->type == TX_SET_CODE && fork < 2)
        return "TYPE_NOT_SUPPORTED";
    if (tx->type == TX_L1_MESSAGE)
        return "TYPE_NOT_SUPPORTED";
    if (tx->type == TX_SET_CODE && tx->nauths == 0)
        return "TYPE_4_EMPTY_AUTHORIZATION_LIST";
    /* The fixtures are filled for chain id 1. */
    if (tx->has_chain_id && !u256_eq(tx->chain_id, u256_from_u64(1)))
        return "INVALID_CHAINID";
    if (tx_recover_sender(tx, sender) != ERR_OK)
        return "INVALID_SIGNATURE";
    *intrinsic = tx_intrinsic_gas(tx, rules);
    if (tx->gas_limit < *intrinsic)
        return "INTRINSIC_GAS_TOO_LOW";
    if (fork >= 2 && tx->gas_limit < tx_floor_gas(tx))
        return "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST";
    if (!tx->has_to && tx->data_len > 49152)
        return "INITCODE_SIZE_EXCEEDED"; /* EIP-3860 */
    if (tx->nonce == UINT64_MAX)
        return "NONCE_IS_MAX"; /* EIP-2681 */
    if (tx->type == TX_DYNAMIC_FEE || tx->type == TX_SET_CODE) {
        if (u256_lt(tx->max_fee, tx->max_priority_fee))
            return "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS";
    }
    for (size_t i = 0; i < tx->nauths; i++) {
        /* EIP-7702: auth y_parity, r, s ranges are checked when the transaction is decoded;
         * chain ids, nonces and signatures are checked per authorization at execution. */
        if (tx->auths[i].y_parity > 1)
            return "TYPE_4_INVALID_AUTHORITY_SIGNATURE";
    }
    return NULL;
}

static void run_test(const char *file, const char *name, json_t *t)
{
    const char *txhex = json_string_value(json_object_get(t, "txbytes"));
    json_t *result = json_object_get(t, "result");
    if (!txhex || !json_is_object(result)) {
        fprintf(stderr, "%s %s: malformed test\n", file, name);
        failed++;
        return;
    }
    buf_t raw;
    buf_init(&raw, 1 << 26);
    if (hex_decode_buf(&raw, txhex, strlen(txhex)) != ERR_OK) {
        fprintf(stderr, "%s %s: bad txbytes\n", file, name);
        failed++;
        buf_deinit(&raw);
        return;
    }
    const char *fork_name;
    json_t *exp;
    json_object_foreach(result, fork_name, exp)
    {
        int fork = -1;
        for (int i = 0; i < 3; i++) {
            if (!strcmp(fork_name, FORKS[i]))
                fork = i;
        }
        if (fork < 0) {
            out_of_scope++;
            continue;
        }
        tx_t tx;
        err_t de = tx_decode(&tx, buf_view(&raw));
        const char *why = NULL;
        uint64_t intrinsic = 0;
        addr_t sender;
        if (de)
            why = err_name(de);
        else
            why = validate(&tx, fork, &intrinsic, &sender);
        /* Re-encoding a decoded transaction must give the same bytes (canonical decoding). */
        if (!de) {
            buf_t re;
            buf_init(&re, 1 << 26);
            if (tx_encode(&tx, &re) || !bview_eq(buf_view(&re), buf_view(&raw))) {
                fprintf(stderr, "%s %s [%s]: re-encoding differs\n", file, name, fork_name);
                failed++;
                buf_deinit(&re);
                tx_deinit(&tx);
                continue;
            }
            buf_deinit(&re);
        }
        const char *exception = json_string_value(json_object_get(exp, "exception"));
        bool ok;
        if (exception) {
            ok = why != NULL;
            if (!ok)
                fprintf(stderr, "%s %s [%s]: expected %s, accepted\n", file, name, fork_name,
                        exception);
        } else if (why) {
            ok = false;
            fprintf(stderr, "%s %s [%s]: expected valid, rejected (%s)\n", file, name, fork_name,
                    why);
        } else {
            hash_t h;
            char hh[67], sh[43], want_ig[32];
            ok = tx_hash(&tx, &h) == ERR_OK;
            hex_encode_0x(hh, h.b, 32);
            hex_encode_0x(sh, sender.b, 20);
            snprintf(want_ig, sizeof(want_ig), "0x%llx", (unsigned long long)intrinsic);
            const char *eh = json_string_value(json_object_get(exp, "hash"));
            const char *es = json_string_value(json_object_get(exp, "sender"));
            const char *eig = json_string_value(json_object_get(exp, "intrinsicGas"));
            u256_t ig_exp = u256_zero();
            if (eig && u256_from_hex(eig, strlen(eig), &ig_exp))
                ig_exp = u256_max();
            if (!eh || strcasecmp(eh, hh) || !es || strcasecmp(es, sh) ||
                !u256_eq(ig_exp, u256_from_u64(intrinsic))) {
                ok = false;
                fprintf(stderr, "%s %s [%s]: got hash %s sender %s gas %s; want %s %s %s\n", file,
                        name, fork_name, hh, sh, want_ig, eh ? eh : "-", es ? es : "-",
                        eig ? eig : "-");
            }
        }
        if (ok)
            passed++;
        else
            failed++;
        if (!de)
            tx_deinit(&tx);
    }
    buf_deinit(&raw);
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "txtest: cannot read %s\n", path);
        failed++;
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        struct dirent **list;
        int n = scandir(path, &list, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            if (list[i]->d_name[0] != '.') {
                char sub[4096];
                snprintf(sub, sizeof(sub), "%s/%s", path, list[i]->d_name);
                run_path(sub);
            }
            free(list[i]);
        }
        free(list);
        return;
    }
    size_t len = strlen(path);
    if (len < 5 || strcmp(path + len - 5, ".json") != 0)
        return;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "txtest: %s: %s\n", path, jerr.text);
        failed++;
        return;
    }
    const char *name;
    json_t *t;
    json_object_foreach(root, name, t) run_test(path, name, t);
    json_decref(root);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: txtest <file|dir>...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        run_path(argv[i]);
    printf("txtest: %u fork entries out of scope (pre-Shanghai forks)\n", out_of_scope);
    printf("%u passed, %u failed\n", passed, failed);
    return failed || passed == 0 ? 1 : 0;
}
