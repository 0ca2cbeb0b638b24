/* Command-line syntax of `rollup-node node`, clap-compatible where users would notice: long
 * flags with a separate or `=` value, short clusters (-vvv, -dPATH), `--` ends the options, a flag
 * given twice is an error unless it accumulates, unknown flags get a "similar argument" tip. */
#include <string.h>

#include "node/node.h"
#include "node/node_int.h"

enum {
    NODE_MAX_FLAGS = 128
}; /* the table's size bound, checked at init */

void node_config_init(node_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    ENSURE(node__nflags <= NODE_MAX_FLAGS);
    for (size_t i = 0; i < node__nflags; i++) {
        const node_flag_t *f = &node__flags[i];
        if (!f->default_text || (f->flags & NODE_FLAG_DOC_DEFAULT))
            continue;
        if (f->kind == NODE_KIND_SWITCH) {
            /* A switch is off unless given; its shown default documents that. */
            ENSURE(strcmp(f->default_text, "false") == 0);
            continue;
        }
        char diag[NODE_DIAG_MAX];
        if (node__apply(cfg, f, f->default_text, diag, sizeof(diag)) != ERR_OK)
            PANIC("flag table: bad default for --%s: %s", f->name, diag);
    }
}

void node_config_deinit(node_config_t *cfg)
{
    node__str_list_free(&cfg->bootnodes);
    node__str_list_free(&cfg->trusted_peers);
    node__str_list_free(&cfg->blob.beacon_node_urls);
    chain_spec_free(cfg->chain);
    rn_free(cfg->datadir);
    /* The whole struct, the signer key included. */
    secure_wipe(cfg, sizeof(*cfg));
}

static bool takes_value(const node_flag_t *f)
{
    switch (f->kind) {
    case NODE_KIND_HELP:
    case NODE_KIND_VERSION:
    case NODE_KIND_SWITCH:
    case NODE_KIND_COUNT:
        return false;
    default:
        return true;
    }
}

typedef struct parser {
    node_config_t *cfg;
    node_action_t *action;
    int argc;
    char *const *argv;
    int i; /* index of the argument being read */
    bool seen[NODE_MAX_FLAGS];
    char *diag;
    size_t diag_len;
} parser_t;

/* One occurrence of flag f. value: the text after '=' or inside a short cluster (NULL if none);
 * a missing value may be taken from the next argument. */
static err_t take(parser_t *p, const node_flag_t *f, const char *value)
{
    char disp[128];
    node__flag_display(f, disp, sizeof(disp));
    size_t idx = (size_t)(f - node__flags);
    if (p->seen[idx] && !(f->flags & NODE_FLAG_MULTIPLE)) {
        node__diag(p->diag, p->diag_len, "the argument '%s' cannot be used multiple times", disp);
        return ERR_CLI_USAGE;
    }
    p->seen[idx] = true;
    if (!takes_value(f)) {
        if (value) {
            node__diag(p->diag, p->diag_len,
                       "unexpected value '%.200s' for '%s' found; no more were expected", value,
                       disp);
            return ERR_CLI_USAGE;
        }
        if (f->kind == NODE_KIND_HELP)
            *p->action = NODE_ACTION_HELP;
        else if (f->kind == NODE_KIND_VERSION)
            *p->action = NODE_ACTION_VERSION;
        return node__apply(p->cfg, f, NULL, p->diag, p->diag_len);
    }
    if (!value && p->i + 1 < p->argc) {
        const char *next = p->argv[p->i + 1];
        /* As clap: an argument that looks like a flag is not taken as a value. */
        if (next[0] != '-' || strcmp(next, "-") == 0) {
            value = next;
            p->i++;
        }
    }
    return node__apply(p->cfg, f, value, p->diag, p->diag_len);
}

static err_t unknown_long(parser_t *p, const char *name, size_t n)
{
    const char *tip = node__suggest_flag(name, n);
    if (tip)
        node__diag(p->diag, p->diag_len,
                   "unexpected argument '--%.*s' found; tip: a similar argument exists: '--%s'",
                   (int)(n > 200 ? 200 : n), name, tip);
    else
        node__diag(p->diag, p->diag_len,
                   "unexpected argument '--%.*s' found (see 'rollup-node node --help')",
                   (int)(n > 200 ? 200 : n), name);
    return ERR_CLI_USAGE;
}

err_t node_args_parse(node_config_t *cfg, node_action_t *action, int argc, char *const argv[],
                      char *diag, size_t diag_len)
{
    parser_t p = {
        .cfg = cfg, .action = action, .argc = argc, .argv = argv, .diag = diag, .diag_len = diag_len
    };
    *action = NODE_ACTION_RUN;
    bool options_ended = false;
    for (p.i = 1; p.i < argc; p.i++) {
        const char *a = argv[p.i];
        if (!options_ended && strcmp(a, "--") == 0) {
            options_ended = true;
            continue;
        }
        if (options_ended || a[0] != '-' || a[1] == 0) {
            /* `node` takes no positional arguments. */
            node__diag(diag, diag_len, "unexpected argument '%.200s' found", a);
            return ERR_CLI_USAGE;
        }
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t n = eq ? (size_t)(eq - name) : strlen(name);
            const node_flag_t *f = node__flag_by_name(name, n);
            if (!f)
                return unknown_long(&p, name, n);
            TRY(take(&p, f, eq ? eq + 1 : NULL));
        } else {
            for (size_t j = 1; a[j]; j++) {
                const node_flag_t *f = node__flag_by_short(a[j]);
                if (!f) {
                    node__diag(diag, diag_len,
                               "unexpected argument '-%c' found (see 'rollup-node node --help')",
                               a[j]);
                    return ERR_CLI_USAGE;
                }
                if (takes_value(f)) {
                    const char *rest = a + j + 1;
                    if (*rest == '=')
                        rest++;
                    TRY(take(&p, f, *rest ? rest : NULL));
                    break;
                }
                TRY(take(&p, f, NULL));
                if (*action != NODE_ACTION_RUN)
                    return ERR_OK;
            }
        }
        /* As clap: --help and --version act as soon as they are seen. */
        if (*action != NODE_ACTION_RUN)
            return ERR_OK;
    }
    return ERR_OK;
}
