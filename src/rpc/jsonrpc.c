/* JSON-RPC 2.0 request handling: single requests, batches, notifications, errors. */
#define LOG_TARGET "rpc::server"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc.h"
#include "rpc/rpc_int.h"

struct rpc_registry {
    rpc_method_t *m;
    size_t n, cap;
    void *ctx;
    rpc_hub_t *hub;
};

rpc_hub_t *rpc__registry_hub(const rpc_registry_t *r)
{
    return r->hub;
}

/* ORDER RPC_NS */
static const char *const ns_names[] = {
    "admin", "debug", "eth",       "net",   "trace", "txpool",     "web3",           "rpc",
    "reth",  "ots",   "flashbots", "miner", "mev",   "rollupNode", "rollupNodeAdmin"
};

const char *rpc_ns_name(uint32_t ns)
{
    for (unsigned i = 0; i < RN_ARRAY_LEN(ns_names); i++) {
        if (ns == (1u << i))
            return ns_names[i];
    }
    return "?";
}

err_t rpc_ns_parse(const char *list, uint32_t *out, char *bad, size_t bad_len)
{
    uint32_t mask = 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && *p == ' ') {
            p++;
            n--;
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n) {
            unsigned i;
            for (i = 0; i < RN_ARRAY_LEN(ns_names); i++) {
                if (strlen(ns_names[i]) == n && strncasecmp(ns_names[i], p, n) == 0)
                    break;
            }
            if (i == RN_ARRAY_LEN(ns_names)) {
                if (bad && bad_len)
                    snprintf(bad, bad_len, "%.*s", (int)n, p);
                return ERR_INVALID_ARG;
            }
            mask |= 1u << i;
        }
        p = end ? end + 1 : p + strlen(p);
    }
    *out = mask;
    return ERR_OK;
}

rpc_registry_t *rpc_registry_new(void *ctx)
{
    rpc_registry_t *r = RN_NEW(rpc_registry_t);
    r->ctx = ctx;
    r->hub = rpc__hub_new();
    return r;
}

void rpc_registry_free(rpc_registry_t *r)
{
    if (!r)
        return;
    rn_free(r->m);
    rpc__hub_free(r->hub);
    rn_free(r);
}

static int cmp_method(const void *a, const void *b)
{
    return strcmp(((const rpc_method_t *)a)->name, ((const rpc_method_t *)b)->name);
}

err_t rpc_registry_add(rpc_registry_t *r, const rpc_method_t *m)
{
    if (r->n && bsearch(m, r->m, r->n, sizeof(*m), cmp_method))
        return ERR_INVALID_ARG;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->m = rn_realloc(r->m, r->cap * sizeof(*r->m));
    }
    r->m[r->n++] = *m;
    qsort(r->m, r->n, sizeof(*r->m), cmp_method);
    return ERR_OK;
}

size_t rpc_registry_count(const rpc_registry_t *r)
{
    return r->n;
}

void rpc_reply_error(rpc_reply_t *r, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    r->code = code;
    if (r->result) {
        json_decref(r->result);
        r->result = NULL;
    }
}

static err_t append_json(buf_t *out, const json_t *v)
{
    return rpc__json_write(out, v);
}

static err_t append_str(buf_t *out, const char *s)
{
    return buf_append(out, s, strlen(s));
}

/* Write {"jsonrpc":"2.0","id":<id>,"error":{...}} */
static err_t write_error(buf_t *out, const json_t *id, int code, const char *msg,
                         const json_t *data)
{
    TRY(append_str(out, "{\"jsonrpc\":\"2.0\",\"id\":"));
    if (id) {
        TRY(append_json(out, id));
    } else {
        TRY(append_str(out, "null"));
    }
    TRY(buf_printf(out, ",\"error\":{\"code\":%d,\"message\":", code));
    json_t *m = json_string(msg);
    if (!m)
        m = json_string("invalid UTF-8 in error message");
    err_t e = append_json(out, m);
    json_decref(m);
    TRY(e);
    if (data) {
        TRY(append_str(out, ",\"data\":"));
        TRY(append_json(out, data));
    }
    return append_str(out, "}}");
}

static bool valid_id(const json_t *id)
{
    return json_is_string(id) || json_is_integer(id) || json_is_real(id) || json_is_null(id);
}

/* Handle one request object; returns false if nothing was written (a notification). */
static bool handle_one(const rpc_registry_t *r, uint32_t ns_enabled, const json_t *req, buf_t *out,
                       err_t *werr)
{
    *werr = ERR_OK;
    if (!json_is_object(req)) {
        *werr = write_error(out, NULL, RPC_INVALID_REQUEST, "invalid request", NULL);
        return true;
    }
    const json_t *id = json_object_get(req, "id");
    if (id && !valid_id(id)) {
        *werr = write_error(out, NULL, RPC_INVALID_REQUEST, "invalid request: bad id", NULL);
        return true;
    }
    const json_t *ver = json_object_get(req, "jsonrpc");
    const json_t *method = json_object_get(req, "method");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        *werr = write_error(out, id, RPC_INVALID_REQUEST,
                            "invalid request: \"jsonrpc\" must be \"2.0\"", NULL);
        return true;
    }
    if (!json_is_string(method)) {
        *werr = write_error(out, id, RPC_INVALID_REQUEST,
                            "invalid request: \"method\" must be a string", NULL);
        return true;
    }
    const json_t *params = json_object_get(req, "params");
    if (params && !json_is_array(params) && !json_is_null(params)) {
        if (!id)
            return false;
        *werr = write_error(out, id, RPC_INVALID_PARAMS,
                            "invalid params: expected an array of positional parameters", NULL);
        return true;
    }
    if (json_is_null(params))
        params = NULL;
    const char *name = json_string_value(method);
    rpc_method_t key = { .name = name };
    const rpc_method_t *m = r->n ? bsearch(&key, r->m, r->n, sizeof(key), cmp_method) : NULL;
    if (!m || !(m->ns & ns_enabled)) {
        if (!id)
            return false;
        char msg[200];
        snprintf(msg, sizeof(msg), "the method %.120s does not exist/is not available", name);
        *werr = write_error(out, id, RPC_METHOD_NOT_FOUND, msg, NULL);
        return true;
    }
    rpc_reply_t reply = { 0 };
    m->fn(r->ctx, params, &reply);
    if (!id) {
        json_decref(reply.result);
        json_decref(reply.data);
        rn_free(reply.raw);
        return false;
    }
    if (reply.raw || reply.result) {
        err_t e = append_str(out, "{\"jsonrpc\":\"2.0\",\"id\":");
        if (!e)
            e = append_json(out, id);
        if (!e)
            e = append_str(out, ",\"result\":");
        if (!e)
            e = reply.raw ? buf_append(out, reply.raw, reply.raw_len)
                          : append_json(out, reply.result);
        if (!e)
            e = append_str(out, "}");
        *werr = e;
    } else {
        *werr = write_error(out, id, reply.code ? reply.code : RPC_INTERNAL_ERROR,
                            reply.message[0] ? reply.message : "internal error", reply.data);
    }
    json_decref(reply.result);
    json_decref(reply.data);
    rn_free(reply.raw);
    return true;
}

void rpc_handle_body(const rpc_registry_t *r, uint32_t ns_enabled, const char *body, size_t n,
                     buf_t *out)
{
    const char *why = NULL;
    size_t at = 0;
    json_t *root = rpc__json_read(body, n, &why, &at);
    size_t start = out->n;
    err_t e = ERR_OK;
    if (!root) {
        char msg[240];
        snprintf(msg, sizeof(msg), "parse error: %s at position %zu", why, at);
        e = write_error(out, NULL, RPC_PARSE_ERROR, msg, NULL);
    } else if (json_is_array(root)) {
        size_t count = json_array_size(root);
        if (count == 0) {
            e = write_error(out, NULL, RPC_INVALID_REQUEST, "invalid request: empty batch", NULL);
        } else if (count > RPC_MAX_BATCH) {
            char msg[120];
            snprintf(msg, sizeof(msg), "batch of %zu requests exceeds the limit of %d", count,
                     RPC_MAX_BATCH);
            e = write_error(out, NULL, RPC_INVALID_REQUEST, msg, NULL);
        } else {
            e = buf_push(out, '[');
            bool any = false;
            for (size_t i = 0; i < count && !e; i++) {
                size_t mark = out->n;
                if (any)
                    e = buf_push(out, ',');
                if (e)
                    break;
                if (handle_one(r, ns_enabled, json_array_get(root, i), out, &e))
                    any = true;
                else
                    out->n = mark;
            }
            if (!e)
                e = any ? buf_push(out, ']') : ERR_OK;
            if (!e && !any)
                out->n = start; /* a batch of notifications gets no response at all */
        }
    } else {
        handle_one(r, ns_enabled, root, out, &e);
    }
    json_decref(root);
    if (e) {
        /* The buffer was cleared by its cap (or a value could not be encoded). */
        buf_reset(out);
        if (write_error(out, NULL, RPC_LIMIT_EXCEEDED, "response exceeds the size limit", NULL))
            buf_reset(out);
    }
}
