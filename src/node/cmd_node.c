/* `rollup-node node`: parse and validate the configuration, start logging, then run the node.
 *
 * Order matters for the user: every check (flags, chain, key file) happens before anything is
 * written, so a mistake costs one clear line on stderr and exit status 1, and the datadir is
 * untouched. */
#define LOG_TARGET "rollup_node::cli"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "node/commands.h"
#include "node/node.h"
#include "node/node_int.h"

const char *node_version_string(void)
{
    return node__version;
}

static void start_logging(const node_config_t *cfg)
{
    if (cfg->quiet) {
        (void)log_init(NULL, LOG_LVL_OFF, cfg->log_format, NULL, 0);
        return;
    }
    /* -v errors … -vvvvv traces (reth); without -v, INFO. log_level_t counts the same way. */
    log_level_t level = LOG_LVL_INFO;
    if (cfg->verbosity)
        level = cfg->verbosity >= LOG_LVL_TRACE ? LOG_LVL_TRACE : (log_level_t)cfg->verbosity;
    /* RUST_LOG first, then --log.stdout.filter: for a target named in both, the flag wins
     * (log_init lets a later directive replace an earlier one for the same target). */
    const char *env = getenv("RUST_LOG");
    char filter[8192];
    int n = snprintf(filter, sizeof(filter), "%s%s%s", env ? env : "",
                     env && cfg->log_filter ? "," : "", cfg->log_filter ? cfg->log_filter : "");
    if (n < 0 || (size_t)n >= sizeof(filter)) {
        fprintf(stderr, "warning: RUST_LOG is too long (%zu bytes); ignoring it\n",
                env ? strlen(env) : 0);
        snprintf(filter, sizeof(filter), "%s", cfg->log_filter ? cfg->log_filter : "");
    }
    char why[256];
    if (log_init(filter, level, cfg->log_format, why, sizeof(why)) != ERR_OK) {
        /* --log.stdout.filter was checked while parsing, so the culprit is RUST_LOG. Like
         * tracing's from_env_lossy, keep the directives that parse. */
        fprintf(stderr, "warning: %s; the other directives apply\n", why);
    }
    if (cfg->color == NODE_COLOR_ALWAYS)
        log_set_color(true);
    else if (cfg->color == NODE_COLOR_NEVER)
        log_set_color(false);
}

static void signer_text(const node_config_t *cfg, char *out, size_t len)
{
    switch (cfg->signer.kind) {
    case NODE_SIGNER_KEY_FILE: {
        char a[43];
        addr_to_checksum_hex(a, &cfg->signer.address);
        snprintf(out, len, "key-file signer_key_file=%s signer_address=%s", cfg->signer.key_file,
                 a);
        break;
    }
    case NODE_SIGNER_AWS_KMS:
        snprintf(out, len, "aws-kms signer_kms_key_id=%s", cfg->signer.aws_kms_key_id);
        break;
    case NODE_SIGNER_NONE:
        snprintf(out, len, "%s", cfg->test ? "none(test)" : "none");
        break;
    }
}

int node_cmd_node(int argc, char **argv)
{
    node_config_t cfg;
    node_config_init(&cfg);
    node_action_t action;
    char diag[NODE_DIAG_MAX];
    int rc = NODE_EXIT_ERROR;

    if (node_args_parse(&cfg, &action, argc, argv, diag, sizeof(diag)) != ERR_OK) {
        fprintf(stderr, "error: %s\n", diag);
        goto out;
    }
    if (action == NODE_ACTION_HELP) {
        node_help_write(stdout);
        rc = NODE_EXIT_OK;
        goto out;
    }
    if (action == NODE_ACTION_VERSION) {
        printf("rollup-node %s\n", node_version_string());
        rc = NODE_EXIT_OK;
        goto out;
    }
    if (node_config_validate(&cfg, diag, sizeof(diag)) != ERR_OK) {
        fprintf(stderr, "error: %s\n", diag);
        goto out;
    }

    start_logging(&cfg);
    node__key_log_warnings(&cfg);
    if (cfg.warn_payload_exceeds_block)
        LOG_WARN("Payload building duration exceeds the block time; blocks will be late "
                 "payload_building_duration_ms=%" PRIu64 " block_time_ms=%" PRIu64,
                 cfg.sequencer.payload_building_duration_ms, cfg.sequencer.block_time_ms);
    char summary[2048];
    node_config_summary(&cfg, summary, sizeof(summary));
    LOG_DEBUG("Configuration %s", summary);

    if (cfg.check_config) {
        printf("config ok: %s\n", summary);
        rc = NODE_EXIT_OK;
        goto out;
    }

    char signer[600], http[96];
    signer_text(&cfg, signer, sizeof(signer));
    if (cfg.http)
        snprintf(http, sizeof(http), "%s:%u", cfg.http_addr, cfg.http_port);
    else
        snprintf(http, sizeof(http), "off");
    LOG_INFO("Starting rollup node chain=%s chain_id=%" PRIu64 " datadir=%s sequencer=%s "
             "signer=%s http=%s",
             cfg.chain->name, cfg.chain->chain_id, cfg.datadir,
             cfg.sequencer.enabled ? "true" : "false", signer, http);

    fflush(stdout);
    rc = node__run(&cfg);
out:
    node_config_deinit(&cfg);
    return rc;
}
