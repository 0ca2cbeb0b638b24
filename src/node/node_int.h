/* src/node/node_int.h — private to src/node/ and its unit tests: the flag table and the pure
 * value parsers behind it. */
#ifndef RN_NODE_NODE_INT_H
#define RN_NODE_NODE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "node/config.h"

/* ---- the flag table (flags.c) ---- */

/** Help sections, in the order `--help` prints them. ORDER NODE_GROUP: flags.c's group_names. */
typedef enum node_group {
    NODE_GROUP_OPTIONS = 0,
    NODE_GROUP_NODE,
    NODE_GROUP_DATADIR,
    NODE_GROUP_NETWORKING,
    NODE_GROUP_RPC,
    NODE_GROUP_BUILDER,
    NODE_GROUP_SEQUENCER,
    NODE_GROUP_SIGNER,
    NODE_GROUP_L1,
    NODE_GROUP_BLOB,
    NODE_GROUP_CONSENSUS,
    NODE_GROUP_ENGINE,
    NODE_GROUP_GPO,
    NODE_GROUP_LOGGING,
    NODE_GROUP_DISPLAY,
    NODE_GROUP_COUNT,
} node_group_t;

/** How a flag's value is parsed and where it is stored (the field at `off` in node_config_t). */
typedef enum node_kind {
    NODE_KIND_HELP = 0,    /**< -h/--help */
    NODE_KIND_VERSION,     /**< -V/--version */
    NODE_KIND_SWITCH,      /**< bool, no value: present = true */
    NODE_KIND_BOOL,        /**< bool, value required: true | false */
    NODE_KIND_BOOL_OPT,    /**< bool, value optional: bare = true */
    NODE_KIND_COUNT,       /**< unsigned, each occurrence adds one (-vvv) */
    NODE_KIND_U64,         /**< uint64_t, decimal */
    NODE_KIND_U32,         /**< uint64_t field, value <= UINT32_MAX */
    NODE_KIND_PORT,        /**< uint16_t */
    NODE_KIND_MS,          /**< uint64_t milliseconds: N, Nms or Ns */
    NODE_KIND_SECS,        /**< uint64_t seconds: N or Ns */
    NODE_KIND_OPT_U64,     /**< node_opt_u64_t */
    NODE_KIND_ADDR,        /**< addr_t */
    NODE_KIND_OPT_ADDR,    /**< node_opt_addr_t */
    NODE_KIND_STRING,      /**< const char *, any non-empty text */
    NODE_KIND_PATH,        /**< const char *, a path (existence checked later if needed) */
    NODE_KIND_IP,          /**< const char *, IPv4/IPv6 literal or "localhost" */
    NODE_KIND_SOCKADDR,    /**< const char *, [ADDR]:PORT or PORT */
    NODE_KIND_URL_HTTP,    /**< const char *, http:// or https:// URL */
    NODE_KIND_URL_HTTP_WS, /**< const char *, http(s):// or ws(s):// URL */
    NODE_KIND_URL_LIST,    /**< node_str_list_t of http(s) URLs; repeatable, comma-separated */
    NODE_KIND_ENODE_LIST,  /**< node_str_list_t of enode:// URLs; repeatable, comma-separated */
    NODE_KIND_API_LIST,    /**< uint32_t rpc_ns_t bits */
    NODE_KIND_INCLUSION,   /**< node_inclusion_mode_t */
    NODE_KIND_KMS_KEY_ID,  /**< const char *, AWS KMS key id, alias or ARN */
    NODE_KIND_CONSENSUS,   /**< node_consensus_t */
    NODE_KIND_LOG_FORMAT,  /**< log_format_t */
    NODE_KIND_LOG_FILTER,  /**< const char *, RUST_LOG syntax */
    NODE_KIND_COLOR,       /**< node_color_t */
} node_kind_t;

enum {
    NODE_FLAG_MULTIPLE = 1u << 0,    /**< may be given more than once */
    NODE_FLAG_DOC_DEFAULT = 1u << 1, /**< default_text is documentation, not a parseable value */
};

typedef struct node_flag {
    const char *name;         /**< long name without the leading "--" */
    char short_name;          /**< 0 if none */
    const char *value_name;   /**< "MS", "ADDRESS"...; NULL for flags without a value */
    const char *default_text; /**< shown as [default: ...] and parsed at init; NULL if none */
    const char *help;
    node_group_t group;
    node_kind_t kind;
    size_t off; /**< offset of the target field in node_config_t */
    unsigned flags;
} node_flag_t;

extern const node_flag_t node__flags[];
extern const size_t node__nflags;
extern const char *const node__group_names[NODE_GROUP_COUNT];

/** The flag with this long name (no dashes; n bytes), or NULL. */
const node_flag_t *node__flag_by_name(const char *name, size_t n);
/** The flag with this short name, or NULL. */
const node_flag_t *node__flag_by_short(char c);
/** "--http.port <PORT>" (or "-d/--datadir <DATA_DIR>" style without short) into out. */
void node__flag_display(const node_flag_t *f, char *out, size_t out_len);

/* ---- pure value parsers (values.c). `why` (may be NULL) receives the reason for a rejection,
 * a phrase meant to follow "invalid value 'X' for '--flag <V>': ". ---- */

/** "true" or "false". ERR_INVALID_ARG otherwise. */
RN_NODISCARD err_t node__parse_bool(const char *s, bool *out, char *why, size_t why_len);

/** Decimal digits only, value <= max. ERR_NUM_INVALID / ERR_NUM_OVERFLOW. */
RN_NODISCARD err_t node__parse_u64(const char *s, uint64_t max, uint64_t *out, char *why,
                                   size_t why_len);

/** Milliseconds: "1000", "1000ms" or "1s". ERR_NUM_INVALID / ERR_NUM_OVERFLOW. */
RN_NODISCARD err_t node__parse_ms(const char *s, uint64_t *out, char *why, size_t why_len);

/** Seconds: "60" or "60s". ERR_NUM_INVALID / ERR_NUM_OVERFLOW. */
RN_NODISCARD err_t node__parse_secs(const char *s, uint64_t *out, char *why, size_t why_len);

/**
 * 20-byte address: 40 hex digits with an optional 0x. Mixed-case input must carry a valid EIP-55
 * checksum (all-lower and all-upper are accepted as is). ERR_INVALID_ARG.
 */
RN_NODISCARD err_t node__parse_address(const char *s, addr_t *out, char *why, size_t why_len);

/** `finalized:N`, `depth:N`, or `finalized` (= finalized:0, as the original node). */
RN_NODISCARD err_t node__parse_inclusion_mode(const char *s, node_inclusion_mode_t *out, char *why,
                                              size_t why_len);

enum {
    NODE_URL_HTTP = 1u << 0, /**< http, https */
    NODE_URL_WS = 1u << 1,   /**< ws, wss */
};

/** scheme://host[:port][/path][?query][#frag] with a scheme allowed by `schemes`. */
RN_NODISCARD err_t node__parse_url(const char *s, unsigned schemes, char *why, size_t why_len);

/** Comma list of RPC namespaces (rpc_ns_parse) plus "all" and "none". ERR_INVALID_ARG. */
RN_NODISCARD err_t node__parse_api_list(const char *s, uint32_t *out, char *why, size_t why_len);

/**
 * AWS KMS key: a key id (UUID, or a multi-Region `mrk-` + 32 hex), `alias/NAME`, or an ARN
 * `arn:PARTITION:kms:REGION:ACCOUNT:key/ID` or `...:alias/NAME`. ERR_INVALID_ARG.
 */
RN_NODISCARD err_t node__parse_kms_key_id(const char *s, char *why, size_t why_len);

/** IPv4 or IPv6 literal, or "localhost"; *canon points to s or to "127.0.0.1". */
RN_NODISCARD err_t node__parse_ip(const char *s, const char **canon, char *why, size_t why_len);

/** Socket address: "IP:PORT", "[IPv6]:PORT", "localhost:PORT", ":PORT" or "PORT". */
RN_NODISCARD err_t node__parse_sockaddr(const char *s, char *why, size_t why_len);

/** enode://<128 hex node id>@HOST:PORT[?discport=N]. */
RN_NODISCARD err_t node__parse_enode(const char *s, char *why, size_t why_len);

/* ---- signer key file (keyfile.c) ---- */

typedef enum node_key_problem {
    NODE_KEY_OK = 0,
    NODE_KEY_EMPTY,       /**< nothing but whitespace */
    NODE_KEY_INNER_SPACE, /**< whitespace inside the key */
    NODE_KEY_BAD_CHAR,    /**< a character that is not a hex digit; detail = 1-based column */
    NODE_KEY_BAD_LENGTH,  /**< not 64 digits; detail = the number of digits */
    NODE_KEY_BAD_SCALAR,  /**< zero or >= the secp256k1 curve order */
} node_key_problem_t;

/**
 * Decode key file contents: trim surrounding ASCII whitespace (the newline an editor adds), strip
 * an optional 0x/0X, require exactly 64 hex digits, require 0 < key < n. On success key holds the
 * secret; on failure key is zeroed and *problem / *detail say why. Never copies text elsewhere.
 */
node_key_problem_t node__key_parse(uint8_t key[static 32], const char *text, size_t n,
                                   size_t *detail);

/**
 * Read and decode the key file at path (at most NODE_KEYFILE_MAX bytes, a regular file).
 * *loose_perms is set if group or others have any permission on it. ERR_KEYFILE_INVALID with a
 * sentence naming the file in diag. The read buffer is wiped before returning.
 */
RN_NODISCARD err_t node__key_load(uint8_t key[static 32], bool *loose_perms, const char *path,
                                  char *diag, size_t diag_len);

/* ---- suggestions (suggest.c) ---- */

/** Jaro similarity of a and b, in [0, 1] (clap suggests names scoring above 0.7). */
double node__jaro(const char *a, size_t an, const char *b, size_t bn);

/** The candidate most similar to s (Jaro > 0.7), or NULL. */
const char *node__suggest(const char *s, size_t n, const char *const *cands, size_t ncands);

/** The long flag name most similar to s (without dashes), or NULL. */
const char *node__suggest_flag(const char *s, size_t n);

/* ---- helpers shared by the node's .c files ---- */

/** "<version> (<git commit>)", generated at build time by version.cmake. */
extern const char node__version[];

/** Log the warnings validation found (key file permissions: target rollup_node::signer). */
void node__key_log_warnings(const node_config_t *cfg);

/** snprintf into diag when non-NULL. */
void node__diag(char *diag, size_t diag_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Apply one value (or NULL for a flag without one) to cfg. On error, diag gets the full
 *  "invalid value 'X' for '--flag <V>': reason" sentence. */
RN_NODISCARD err_t node__apply(node_config_t *cfg, const node_flag_t *f, const char *value,
                               char *diag, size_t diag_len);

void node__str_list_free(node_str_list_t *l);

/** Set cfg->datadir from --datadir, else the default for cfg->chain (XDG_DATA_HOME or
 *  ~/.local/share/rollup-node/<chain>). ERR_CONFIG_INVALID with diag when neither is usable. */
RN_NODISCARD err_t node__resolve_datadir(node_config_t *cfg, char *diag, size_t diag_len);

/** Run the node (database, RPC, sequencer) until SIGINT/SIGTERM; an exit status. */
int node__run(const node_config_t *cfg);

#endif
