/* Rules between flags (ROLLUP-NODE.md §1, "Validation"), the chain, the datadir and the signer
 * key file. Everything is checked before the node touches the disk. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "node/node.h"
#include "node/node_int.h"
#include "rpc/rpc.h"

static err_t load_chain(node_config_t *cfg, char *diag, size_t diag_len)
{
    char cdiag[512];
    cdiag[0] = 0;
    err_t e = chain_spec_load(&cfg->chain, cfg->chain_arg, cdiag, sizeof(cdiag));
    if (e == ERR_OK)
        return ERR_OK;
    if (e == ERR_NOT_FOUND) {
        static const char *const names[] = { "dev", "scroll-mainnet", "scroll-sepolia" };
        const char *tip =
            node__suggest(cfg->chain_arg, strlen(cfg->chain_arg), names, RN_ARRAY_LEN(names));
        node__diag(diag, diag_len,
                   "unknown chain '%.200s': expected dev, scroll-mainnet, scroll-sepolia or the "
                   "path of a readable genesis JSON file%s%s%s",
                   cfg->chain_arg, tip ? "; tip: a similar chain exists: '" : "", tip ? tip : "",
                   tip ? "'" : "");
    } else {
        node__diag(diag, diag_len, "invalid chain genesis file '%.200s': %s", cfg->chain_arg,
                   cdiag);
    }
    return ERR_CONFIG_INVALID;
}

/* reth's rule: <platform data dir>/<app>/<chain>; the XDG base directory spec ignores a relative
 * XDG_DATA_HOME. */
err_t node__resolve_datadir(node_config_t *cfg, char *diag, size_t diag_len)
{
    if (cfg->datadir_arg) {
        cfg->datadir = rn_strdup(cfg->datadir_arg);
        return ERR_OK;
    }
    char chain_dir[32];
    if (strcmp(cfg->chain->name, "custom") == 0)
        snprintf(chain_dir, sizeof(chain_dir), "%" PRIu64, cfg->chain->chain_id);
    else
        snprintf(chain_dir, sizeof(chain_dir), "%s", cfg->chain->name);
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char path[4096];
    int n;
    if (xdg && xdg[0] == '/') {
        n = snprintf(path, sizeof(path), "%s/rollup-node/%s", xdg, chain_dir);
    } else if (home && home[0]) {
        n = snprintf(path, sizeof(path), "%s/.local/share/rollup-node/%s", home, chain_dir);
    } else {
        node__diag(diag, diag_len,
                   "cannot determine the default datadir (neither XDG_DATA_HOME nor HOME is set): "
                   "pass --datadir");
        return ERR_CONFIG_INVALID;
    }
    if (n < 0 || (size_t)n >= sizeof(path)) {
        node__diag(diag, diag_len, "the default datadir path is too long: pass --datadir");
        return ERR_CONFIG_INVALID;
    }
    cfg->datadir = rn_strdup(path);
    return ERR_OK;
}

err_t node_config_validate(node_config_t *cfg, char *diag, size_t diag_len)
{
    bool key_file = cfg->signer.key_file != NULL;
    bool kms = cfg->signer.aws_kms_key_id != NULL;
    /* The chain first: a mistyped --chain is the most basic error a user can make. */
    TRY(load_chain(cfg, diag, diag_len));
    if (key_file && kms) {
        node__diag(diag, diag_len,
                   "cannot specify more than one signer key source: --signer.key-file and "
                   "--signer.aws-kms-key-id are mutually exclusive");
        return ERR_CONFIG_INVALID;
    }
    if (cfg->sequencer.enabled && cfg->consensus != NODE_CONSENSUS_NOOP && !cfg->test &&
        !key_file && !kms) {
        node__diag(diag, diag_len,
                   "Either signer key file or AWS KMS key ID is required when sequencer is "
                   "enabled: pass --signer.key-file <PATH> or --signer.aws-kms-key-id <ARN> (or "
                   "--test for local development)");
        return ERR_CONFIG_INVALID;
    }
    if (cfg->consensus == NODE_CONSENSUS_SYSTEM_CONTRACT && !cfg->authorized_signer.set &&
        !cfg->l1.url && !cfg->test) {
        node__diag(diag, diag_len,
                   "System contract consensus requires either an authorized signer "
                   "(--consensus.authorized-signer) or an L1 provider URL (--l1.url); for local "
                   "development use --test or --consensus.algorithm noop");
        return ERR_CONFIG_INVALID;
    }
    TRY(node__resolve_datadir(cfg, diag, diag_len));

    cfg->signer.kind = key_file ? NODE_SIGNER_KEY_FILE
                       : kms    ? NODE_SIGNER_AWS_KMS
                                : NODE_SIGNER_NONE;
    if (key_file) {
        TRY(node__key_load(cfg->signer.key, &cfg->warn_key_file_mode, cfg->signer.key_file, diag,
                           diag_len));
        cfg->signer.has_key = true;
        if (addr_from_seckey(&cfg->signer.address, cfg->signer.key) != ERR_OK) {
            node__diag(diag, diag_len, "signer key file %s: cannot derive the signer address",
                       cfg->signer.key_file);
            return ERR_KEYFILE_INVALID;
        }
    }

    if (cfg->txpool.pending_max == 0 || cfg->txpool.queued_max == 0 ||
        cfg->txpool.account_slots == 0) {
        node__diag(diag, diag_len, "--txpool.%s must be at least 1",
                   cfg->txpool.pending_max == 0  ? "pending-max-count"
                   : cfg->txpool.queued_max == 0 ? "queued-max-count"
                                                 : "max-account-slots");
        return ERR_CONFIG_INVALID;
    }
    if (cfg->rpc_eth_proof_window > 1209600) { /* reth's MAX_ETH_PROOF_WINDOW */
        node__diag(diag, diag_len,
                   "--rpc.eth-proof-window must be at most 1209600 (blocks behind the tip)");
        return ERR_CONFIG_INVALID;
    }
    if (cfg->txpool.price_bump > 1000) {
        node__diag(diag, diag_len, "--txpool.pricebump must be at most 1000 (percent)");
        return ERR_CONFIG_INVALID;
    }
    if (!cfg->sequencer.max_l1_messages.set) {
        cfg->sequencer.max_l1_messages.set = true;
        cfg->sequencer.max_l1_messages.v = cfg->chain->num_l1_messages_per_block;
    }
    /* Not an error in the original either, but a payload that may be built for longer than a
     * block slot lasts will make blocks late. */
    cfg->warn_payload_exceeds_block =
        cfg->sequencer.enabled && cfg->sequencer.block_time_ms != 0 &&
        cfg->sequencer.payload_building_duration_ms > cfg->sequencer.block_time_ms;
    return ERR_OK;
}

static size_t api_list(char *out, size_t len, uint32_t mask)
{
    size_t n = 0;
    out[0] = 0;
    for (unsigned i = 0; i < 32 && n < len; i++) {
        if (mask & (1u << i))
            n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "," : "", rpc_ns_name(1u << i));
    }
    if (n == 0)
        snprintf(out, len, "none");
    return n;
}

void node_config_summary(const node_config_t *cfg, char *out, size_t out_len)
{
    char fee[43], http[400], ws[400], apis[256], wapis[256], signer[600];
    addr_to_checksum_hex(fee, &cfg->sequencer.fee_recipient);
    api_list(apis, sizeof(apis), cfg->http_api);
    api_list(wapis, sizeof(wapis), cfg->ws_api);
    if (cfg->http)
        snprintf(http, sizeof(http), "%s:%u api=%s", cfg->http_addr, cfg->http_port, apis);
    else
        snprintf(http, sizeof(http), "off");
    if (cfg->ws)
        snprintf(ws, sizeof(ws), "%s:%u api=%s", cfg->ws_addr, cfg->ws_port, wapis);
    else
        snprintf(ws, sizeof(ws), "off");
    if (cfg->signer.kind == NODE_SIGNER_KEY_FILE) {
        char a[43];
        addr_to_checksum_hex(a, &cfg->signer.address);
        snprintf(signer, sizeof(signer), "key-file signer_address=%s", a);
    } else if (cfg->signer.kind == NODE_SIGNER_AWS_KMS) {
        snprintf(signer, sizeof(signer), "aws-kms kms_key_id=%.200s", cfg->signer.aws_kms_key_id);
    } else {
        snprintf(signer, sizeof(signer), "none");
    }
    snprintf(out, out_len,
             "chain=%s chain_id=%" PRIu64 " datadir=%s test=%s sequencer=%s auto_start=%s "
             "block_time_ms=%" PRIu64 " payload_building_duration_ms=%" PRIu64
             " l1_inclusion_mode=%s:%" PRIu64 " max_l1_messages=%" PRIu64
             " fee_recipient=%s signer=%s consensus=%s l1=%s http=%s ws=%s",
             cfg->chain ? cfg->chain->name : cfg->chain_arg, cfg->chain ? cfg->chain->chain_id : 0,
             cfg->datadir ? cfg->datadir : "?", cfg->test ? "true" : "false",
             cfg->sequencer.enabled ? "true" : "false",
             cfg->sequencer.auto_start ? "true" : "false", cfg->sequencer.block_time_ms,
             cfg->sequencer.payload_building_duration_ms,
             cfg->sequencer.inclusion.kind == NODE_INCLUSION_DEPTH ? "depth" : "finalized",
             cfg->sequencer.inclusion.depth, cfg->sequencer.max_l1_messages.v, fee, signer,
             cfg->consensus == NODE_CONSENSUS_NOOP ? "noop" : "system-contract",
             cfg->l1.url ? "configured" : "none", http, ws);
}
