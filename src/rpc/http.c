/* HTTP/1.1 server for JSON-RPC: one epoll loop per worker thread, each with its own
 * SO_REUSEPORT listening socket; keep-alive and pipelining; hard limits on headers, bodies,
 * responses and connections.
 *
 * A connection belongs to one worker for its life. The kernel picks the listener by a hash of the
 * addresses, which with a few clients often gives one worker most of them (8 connections on two
 * workers split 6/2 or worse about one time in three), and the busy worker sets the pace.
 * So the worker that accepts hands the connection to the worker holding the fewest. (Moving
 * busy connections later to idle workers was tried: on two cores shared with the client and
 * the sequencer it bought nothing, as an idle worker's core is not idle; decision 0028.) */
#define LOG_TARGET "rpc::server"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "rpc/rpc.h"
#include "rpc/rpc_int.h"

typedef struct conn {
    struct conn *prev, *next; /**< the worker's list of open connections */
    int fd;
    buf_t in;
    buf_t out;
    size_t out_sent;
    bool close_after; /**< close once out is flushed */
    bool want_write;
    bool ws;         /**< upgraded to WebSocket (RFC 6455) */
    uint64_t id;     /**< unique per worker: subscriptions name connections by it */
    uint8_t frag_op; /**< opcode of the fragmented message being assembled, 0 if none */
    buf_t frag;      /**< payload of that message so far */
} conn_t;

typedef struct worker {
    struct rpc_server *srv;
    pthread_t thread;
    int listen_fd;
    int epfd;
    int wake_fd;
    conn_t *conns;  /**< open connections (owned by this worker's thread) */
    conn_t *dead;   /**< closed during the current batch of events, freed after it */
    buf_t body_out; /**< scratch for JSON-RPC responses */
    uint64_t next_conn_id;
    _Atomic int owned; /**< connections this worker holds, those handed to it included */
    /* From other threads, taken by this worker on wake-up: subscription notifications, and
     * accepted connections handed to it. */
    pthread_mutex_t q_mu;

    struct note {
        uint64_t conn_id;
        char *text;
    } * q;

    size_t qn, qcap;
    struct conn **handed; /**< accepted connections for this worker to take */
    size_t nhanded, cap_handed;
} worker_t;

enum {
    WS_MAX_QUEUED_NOTES = 65536, /* per worker; beyond it notifications are dropped */
};

struct rpc_server {
    rpc_server_config_t cfg;
    char *cors;
    const rpc_registry_t *reg;
    worker_t *workers;
    unsigned nworkers;
    uint16_t port;
    _Atomic bool stopping;
    _Atomic int nconns;
};

static err_t resolve(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", port);
    if (getaddrinfo(addr, ps, &hints, &res) != 0 || !res)
        return ERR_INVALID_ARG;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return ERR_OK;
}

/* SO_REUSEPORT lets our workers share a port, but it would also let a second process (another
 * node started on the same port) join them silently and take half the connections. Probe with a
 * plain socket first: it cannot bind while anyone listens there. */
static bool port_in_use(const struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    bool busy = bind(fd, (const struct sockaddr *)ss, len) != 0 && errno == EADDRINUSE;
    close(fd);
    return busy;
}

static int open_listener(const struct sockaddr_storage *ss, socklen_t len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 1024) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Close c and unlink it. The struct itself is freed after the worker's current batch of epoll
 * events (conn_reap): a later event of the same batch may still name it (on_wake closes
 * WebSocket connections whose send failed, and their own event can follow). */
static void conn_free(worker_t *w, conn_t *c)
{
    if (c->ws)
        rpc__hub_drop_conn(rpc__registry_hub(w->srv->reg), w, c->id);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    buf_deinit(&c->in);
    buf_deinit(&c->out);
    buf_deinit(&c->frag);
    c->prev = NULL;
    c->next = w->dead;
    w->dead = c;
    atomic_fetch_sub(&w->owned, 1);
    atomic_fetch_sub(&w->srv->nconns, 1);
}

static void conn_reap(worker_t *w)
{
    while (w->dead) {
        conn_t *c = w->dead;
        w->dead = c->next;
        rn_free(c);
    }
}

static const char *find_crlfcrlf(const uint8_t *p, size_t n)
{
    for (size_t i = 3; i < n; i++) {
        if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' && p[i - 3] == '\r')
            return (const char *)p + i + 1;
    }
    return NULL;
}

/* Case-insensitive header lookup within [h, end); returns the trimmed value. */
static bool header(const char *h, const char *end, const char *name, const char **v, size_t *vn)
{
    size_t nl = strlen(name);
    const char *line = h;
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        if ((size_t)(eol - line) > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *s = line + nl + 1;
            const char *e = eol;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
            *v = s;
            *vn = (size_t)(e - s);
            return true;
        }
        line = eol + 1;
    }
    return false;
}

static bool contains_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= n; i++) {
        if (strncasecmp(v + i, tok, tl) == 0)
            return true;
    }
    return false;
}

/* CORS: with --http.corsdomain, echo the allowed origin. */
static err_t cors_headers(const rpc_server_t *s, const char *hdrs, const char *hend, buf_t *out)
{
    if (!s->cors)
        return ERR_OK;
    const char *origin;
    size_t on;
    if (!header(hdrs, hend, "Origin", &origin, &on))
        return ERR_OK;
    if (strcmp(s->cors, "*") == 0)
        return buf_printf(out, "Access-Control-Allow-Origin: *\r\n");
    const char *p = s->cors;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == on && strncasecmp(p, origin, n) == 0)
            return buf_printf(out, "Access-Control-Allow-Origin: %.*s\r\nVary: Origin\r\n", (int)on,
                              origin);
        p = e ? e + 1 : p + n;
    }
    return ERR_OK;
}

static err_t respond(conn_t *c, int status, const char *reason, const char *extra_headers,
                     const char *ctype, const uint8_t *body, size_t n)
{
    TRY(buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
                   status, reason, ctype, n, extra_headers ? extra_headers : "",
                   c->close_after ? "Connection: close\r\n" : ""));
    return buf_append(&c->out, body, n);
}

static err_t respond_text(conn_t *c, int status, const char *reason, const char *text)
{
    return respond(c, status, reason, NULL, "text/plain", (const uint8_t *)text, strlen(text));
}

/* ---- WebSocket (RFC 6455): JSON-RPC messages as text frames ---- */

enum {
    WS_CONT = 0x0,
    WS_TEXT = 0x1,
    WS_BINARY = 0x2,
    WS_CLOSE = 0x8,
    WS_PING = 0x9,
    WS_PONG = 0xA,
};

static err_t ws_send(conn_t *c, uint8_t opcode, const uint8_t *p, size_t n)
{
    uint8_t h[10];
    size_t hl;
    h[0] = (uint8_t)(0x80 | opcode);
    if (n < 126) {
        h[1] = (uint8_t)n;
        hl = 2;
    } else if (n <= 0xffff) {
        h[1] = 126;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    } else {
        h[1] = 127;
        be_store64(h + 2, (uint64_t)n);
        hl = 10;
    }
    TRY(buf_append(&c->out, h, hl));
    return buf_append(&c->out, p, n);
}

static err_t ws_close(conn_t *c, uint16_t code)
{
    uint8_t b[2] = { (uint8_t)(code >> 8), (uint8_t)code };
    c->close_after = true;
    return ws_send(c, WS_CLOSE, b, 2);
}

/* Any thread: queue a notification for a connection of worker `wp` and wake it. */
static void ws_push(void *wp, uint64_t conn_id, char *text)
{
    worker_t *w = wp;
    pthread_mutex_lock(&w->q_mu);
    if (w->qn >= WS_MAX_QUEUED_NOTES) {
        pthread_mutex_unlock(&w->q_mu);
        rn_free(text);
        return;
    }
    if (w->qn == w->qcap) {
        w->qcap = w->qcap ? w->qcap * 2 : 64;
        w->q = rn_realloc(w->q, w->qcap * sizeof(*w->q));
    }
    w->q[w->qn++] = (struct note){ conn_id, text };
    pthread_mutex_unlock(&w->q_mu);
    uint64_t one = 1;
    if (write(w->wake_fd, &one, sizeof(one)) < 0) {
    }
}

static bool flush(worker_t *w, conn_t *c);
static void adopt(worker_t *w, conn_t *c);

/* On the worker's thread: take the connections handed to it, and send queued notifications to
 * their connections. */
static void on_wake(worker_t *w)
{
    uint64_t v;
    if (read(w->wake_fd, &v, sizeof(v)) < 0) {
    }
    pthread_mutex_lock(&w->q_mu);
    struct note *q = w->q;
    size_t n = w->qn;
    w->q = NULL;
    w->qn = w->qcap = 0;
    conn_t **handed = w->handed;
    size_t nhanded = w->nhanded;
    w->handed = NULL;
    w->nhanded = w->cap_handed = 0;
    pthread_mutex_unlock(&w->q_mu);
    for (size_t i = 0; i < nhanded; i++)
        adopt(w, handed[i]);
    rn_free(handed);
    for (size_t i = 0; i < n; i++) {
        for (conn_t *c = w->conns; c; c = c->next) {
            if (c->id != q[i].conn_id)
                continue;
            if (c->ws && !c->close_after &&
                ws_send(c, WS_TEXT, (const uint8_t *)q[i].text, strlen(q[i].text)) == ERR_OK &&
                !flush(w, c) && c->out_sent >= c->out.n)
                conn_free(w, c);
            break;
        }
        rn_free(q[i].text);
    }
    rn_free(q);
}

static err_t ws_message(worker_t *w, conn_t *c, const uint8_t *p, size_t n)
{
    buf_reset(&w->body_out);
    rpc_sink_t sink = { .push = ws_push, .worker = w, .conn_id = c->id };
    rpc__current_sink = &sink;
    rpc_handle_body(w->srv->reg, w->srv->cfg.ns_enabled, (const char *)p, n, &w->body_out);
    rpc__current_sink = NULL;
    if (w->body_out.n == 0)
        return ERR_OK;
    return ws_send(c, WS_TEXT, w->body_out.p, w->body_out.n);
}

/* Parse and handle every complete frame in c->in. */
static bool ws_process(worker_t *w, conn_t *c)
{
    for (;;) {
        if (c->close_after)
            return true;
        uint8_t *p = c->in.p;
        size_t n = c->in.n;
        if (n < 2)
            return true;
        bool fin = p[0] & 0x80;
        uint8_t op = p[0] & 0x0f;
        bool masked = p[1] & 0x80;
        uint64_t len = p[1] & 0x7f;
        size_t off = 2;
        if (len == 126) {
            if (n < 4)
                return true;
            len = ((uint64_t)p[2] << 8) | p[3];
            off = 4;
        } else if (len == 127) {
            if (n < 10)
                return true;
            len = be_load64(p + 2);
            off = 10;
        }
        if ((p[0] & 0x70) || !masked)
            return ws_close(c, 1002) == ERR_OK; /* protocol error: no extensions; clients mask */
        if (op >= 8 && (len > 125 || !fin))
            return ws_close(c, 1002) == ERR_OK;
        if (len > RPC_MAX_BODY_BYTES || c->frag.n + len > RPC_MAX_BODY_BYTES)
            return ws_close(c, 1009) == ERR_OK; /* message too big */
        if (n < off + 4 + len)
            return true;
        const uint8_t *mask = p + off;
        uint8_t *data = p + off + 4;
        for (uint64_t i = 0; i < len; i++)
            data[i] ^= mask[i & 3];
        err_t e = ERR_OK;
        switch (op) {
        case WS_CONT:
            if (!c->frag_op) {
                e = ws_close(c, 1002);
                break;
            }
            e = buf_append(&c->frag, data, (size_t)len);
            if (!e && fin) {
                e = ws_message(w, c, c->frag.p, c->frag.n);
                buf_reset(&c->frag);
                c->frag_op = 0;
            }
            break;
        case WS_TEXT:
        case WS_BINARY:
            if (c->frag_op) {
                e = ws_close(c, 1002);
            } else if (fin) {
                e = ws_message(w, c, data, (size_t)len);
            } else {
                c->frag_op = op;
                e = buf_append(&c->frag, data, (size_t)len);
            }
            break;
        case WS_CLOSE:
            c->close_after = true;
            e = ws_send(c, WS_CLOSE, data, len >= 2 ? 2 : 0);
            break;
        case WS_PING:
            e = ws_send(c, WS_PONG, data, (size_t)len);
            break;
        case WS_PONG:
            break;
        default:
            e = ws_close(c, 1002);
            break;
        }
        if (e)
            return false;
        size_t consumed = off + 4 + (size_t)len;
        memmove(c->in.p, c->in.p + consumed, c->in.n - consumed);
        c->in.n -= consumed;
    }
}

/** RFC 4648 base64 of in[0..n) with padding, NUL-terminated; out holds 4·⌈n/3⌉ + 1 bytes. */
static void base64(char *out, const uint8_t *in, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        *out++ = abc[v >> 18];
        *out++ = abc[(v >> 12) & 63];
        *out++ = i + 1 < n ? abc[(v >> 6) & 63] : '=';
        *out++ = i + 2 < n ? abc[v & 63] : '=';
    }
    *out = 0;
}

/* Answer an Upgrade: websocket request; false if it is not a valid handshake. */
static err_t ws_handshake(conn_t *c, const char *hdrs, const char *hend, const char *cors)
{
    const char *key, *ver;
    size_t kn, vn;
    if (!header(hdrs, hend, "Sec-WebSocket-Key", &key, &kn) || kn == 0 || kn > 64 ||
        !header(hdrs, hend, "Sec-WebSocket-Version", &ver, &vn) || vn != 2 ||
        memcmp(ver, "13", 2) != 0) {
        c->close_after = true;
        return respond(c, 400, "Bad Request", "Sec-WebSocket-Version: 13\r\n", "text/plain",
                       (const uint8_t *)"bad websocket handshake\n", 24);
    }
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char cat[128];
    memcpy(cat, key, kn);
    memcpy(cat + kn, guid, sizeof(guid) - 1);
    uint8_t digest[20];
    sha1(digest, (const uint8_t *)cat, kn + sizeof(guid) - 1);
    char accept[32];
    base64(accept, digest, sizeof(digest));
    c->close_after = false;
    c->ws = true;
    return buf_printf(&c->out,
                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
                      accept, cors);
}

/* Process every complete request in c->in. Returns false if the connection must be dropped. */
static bool process(worker_t *w, conn_t *c)
{
    rpc_server_t *s = w->srv;
    for (;;) {
        if (c->ws)
            return ws_process(w, c);
        if (c->close_after)
            return true;
        const char *hend = find_crlfcrlf(c->in.p, c->in.n);
        if (!hend) {
            if (c->in.n > RPC_MAX_HEADER_BYTES) {
                c->close_after = true;
                return respond_text(c, 431, "Request Header Fields Too Large",
                                    "request headers too large\n") == ERR_OK;
            }
            return true;
        }
        const char *req = (const char *)c->in.p;
        size_t hlen = (size_t)(hend - req);
        const char *line_end = memchr(req, '\n', hlen);
        const char *hdrs = line_end + 1;
        bool http10 = line_end - req >= 9 && memcmp(line_end - 9, "HTTP/1.0", 8) == 0;
        const char *v;
        size_t vn;
        bool keep = !http10;
        if (header(hdrs, hend, "Connection", &v, &vn)) {
            if (contains_token(v, vn, "close"))
                keep = false;
            else if (contains_token(v, vn, "keep-alive"))
                keep = true;
        }
        if (!keep)
            c->close_after = true;
        buf_t ch;
        buf_init(&ch, 1024);
        if (cors_headers(s, hdrs, hend, &ch) != ERR_OK) {
            buf_deinit(&ch);
            return false;
        }
        if (buf_push(&ch, 0) != ERR_OK)
            return false;
        const char *cors = (const char *)ch.p;
        size_t consumed = hlen;
        err_t e = ERR_OK;
        if (strncmp(req, "OPTIONS ", 8) == 0) {
            char extra[1200];
            snprintf(extra, sizeof(extra),
                     "%sAccess-Control-Allow-Methods: POST, GET, OPTIONS\r\n"
                     "Access-Control-Allow-Headers: Content-Type, Authorization\r\n"
                     "Access-Control-Max-Age: 600\r\n",
                     cors);
            e = respond(c, 200, "OK", extra, "text/plain", NULL, 0);
        } else if (strncmp(req, "GET ", 4) == 0 && header(hdrs, hend, "Upgrade", &v, &vn) &&
                   contains_token(v, vn, "websocket")) {
            e = ws_handshake(c, hdrs, hend, cors);
        } else if (strncmp(req, "POST ", 5) != 0) {
            e = respond(c, 405, "Method Not Allowed", "Allow: POST, OPTIONS\r\n", "text/plain",
                        (const uint8_t *)"method not allowed: use POST\n", 29);
        } else if (header(hdrs, hend, "Transfer-Encoding", &v, &vn)) {
            c->close_after = true;
            e = respond_text(c, 411, "Length Required", "chunked bodies are not supported\n");
        } else {
            uint64_t clen = 0;
            if (!header(hdrs, hend, "Content-Length", &v, &vn) || parse_u64(v, vn, &clen)) {
                c->close_after = true;
                e = respond_text(c, 411, "Length Required", "Content-Length required\n");
            } else if (clen > RPC_MAX_BODY_BYTES) {
                c->close_after = true;
                char msg[96];
                snprintf(msg, sizeof(msg), "request body of %llu bytes exceeds the limit of %u\n",
                         (unsigned long long)clen, (unsigned)RPC_MAX_BODY_BYTES);
                e = respond_text(c, 413, "Payload Too Large", msg);
            } else if (c->in.n - hlen < clen) {
                buf_deinit(&ch);
                return true; /* wait for the rest of the body */
            } else if (!header(hdrs, hend, "Content-Type", &v, &vn) ||
                       !(contains_token(v, vn, "application/json") ||
                         contains_token(v, vn, "application/json-rpc") ||
                         contains_token(v, vn, "application/jsonrequest"))) {
                consumed += clen;
                static const char msg415[] =
                    "invalid content type, only application/json is supported\n";
                e = respond(c, 415, "Unsupported Media Type", cors, "text/plain",
                            (const uint8_t *)msg415, sizeof(msg415) - 1);
            } else {
                consumed += clen;
                buf_reset(&w->body_out);
                rpc_handle_body(s->reg, s->cfg.ns_enabled, hend, clen, &w->body_out);
                e = respond(c, 200, "OK", cors, "application/json", w->body_out.p, w->body_out.n);
            }
        }
        buf_deinit(&ch);
        if (e)
            return false;
        /* Drop the consumed request (pipelined requests stay). */
        memmove(c->in.p, c->in.p + consumed, c->in.n - consumed);
        c->in.n -= consumed;
    }
}

static bool flush(worker_t *w, conn_t *c)
{
    while (c->out_sent < c->out.n) {
        ssize_t n = send(c->fd, c->out.p + c->out_sent, c->out.n - c->out_sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!c->want_write) {
                    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
                    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
                    c->want_write = true;
                }
                return true;
            }
            if (errno == EINTR)
                continue;
            return false;
        }
        c->out_sent += (size_t)n;
    }
    buf_reset(&c->out);
    c->out_sent = 0;
    if (c->want_write) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_write = false;
    }
    return !c->close_after;
}

static void on_readable(worker_t *w, conn_t *c)
{
    for (;;) {
        if (buf_reserve(&c->in, 16384) != ERR_OK) {
            conn_free(w, c);
            return;
        }
        ssize_t n = recv(c->fd, c->in.p + c->in.n, c->in.cap - c->in.n - 1, 0);
        if (n > 0) {
            c->in.n += (size_t)n;
            if ((size_t)n < 16384)
                break;
            continue;
        }
        if (n == 0) {
            conn_free(w, c);
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        if (errno == EINTR)
            continue;
        conn_free(w, c);
        return;
    }
    if (!process(w, c) || !flush(w, c)) {
        if (c->out_sent < c->out.n && !c->close_after)
            return;
        conn_free(w, c);
    }
}

/* On w's thread: make c one of w's connections (w->owned counts it already). */
static void adopt(worker_t *w, conn_t *c)
{
    c->id = ++w->next_conn_id;
    c->prev = NULL;
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev); /* data already there reports at once */
}

/* Any thread: give c to worker `to` (counted in to->owned already) and wake it. */
static void hand_over(worker_t *to, conn_t *c)
{
    pthread_mutex_lock(&to->q_mu);
    if (to->nhanded == to->cap_handed) {
        to->cap_handed = to->cap_handed ? to->cap_handed * 2 : 16;
        to->handed = rn_realloc(to->handed, to->cap_handed * sizeof(*to->handed));
    }
    to->handed[to->nhanded++] = c;
    pthread_mutex_unlock(&to->q_mu);
    uint64_t wake = 1;
    if (write(to->wake_fd, &wake, sizeof(wake)) < 0) {
    }
}

/* The worker holding the fewest connections, w itself on a tie; counted as holding one more. */
static worker_t *least_loaded(worker_t *w)
{
    rpc_server_t *s = w->srv;
    worker_t *best = w;
    int least = atomic_load(&w->owned);
    for (unsigned i = 0; i < s->nworkers; i++) {
        int n = atomic_load(&s->workers[i].owned);
        if (n < least) {
            least = n;
            best = &s->workers[i];
        }
    }
    atomic_fetch_add(&best->owned, 1);
    return best;
}

static void on_accept(worker_t *w)
{
    for (;;) {
        int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (atomic_fetch_add(&w->srv->nconns, 1) >= RPC_MAX_CONNECTIONS) {
            static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: "
                                       "20\r\nConnection: close\r\n\r\ntoo many connections";
            if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0) {
            }
            close(fd);
            atomic_fetch_sub(&w->srv->nconns, 1);
            LOG_WARN("Connection refused reason=\"too many connections\" limit=%d",
                     RPC_MAX_CONNECTIONS);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn_t *c = RN_NEW(conn_t);
        c->fd = fd;
        buf_init(&c->in, RPC_MAX_HEADER_BYTES + RPC_MAX_BODY_BYTES + 65536);
        buf_init(&c->out, RPC_MAX_RESPONSE_BYTES + 4096);
        buf_init(&c->frag, RPC_MAX_BODY_BYTES);
        worker_t *to = least_loaded(w);
        if (to == w)
            adopt(w, c);
        else
            hand_over(to, c);
    }
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    char name[16];
    snprintf(name, sizeof(name), "rpc-%u", (unsigned)(w - w->srv->workers));
    pthread_setname_np(pthread_self(), name); /* top -H, perf, gdb name it */
    struct epoll_event evs[64];
    while (!atomic_load(&w->srv->stopping)) {
        int n = epoll_wait(w->epfd, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &w->listen_fd) {
                on_accept(w);
            } else if (p == &w->wake_fd) {
                on_wake(w);
            } else {
                conn_t *c = p;
                if (c->fd < 0) /* closed earlier in this batch */
                    continue;
                if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN)) {
                    conn_free(w, c);
                } else if (evs[i].events & EPOLLOUT) {
                    if (!flush(w, c) && c->out_sent >= c->out.n)
                        conn_free(w, c);
                } else {
                    on_readable(w, c);
                }
            }
        }
        conn_reap(w);
    }
    return NULL;
}

err_t rpc_server_start(rpc_server_t **out, const rpc_server_config_t *cfg,
                       const rpc_registry_t *reg, char *diag, size_t diag_len)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sl;
    if (resolve(cfg->addr, cfg->port, &ss, &sl) != ERR_OK) {
        snprintf(diag, diag_len, "cannot resolve RPC address '%s'", cfg->addr);
        return ERR_INVALID_ARG;
    }
    if (cfg->port != 0 && port_in_use(&ss, sl)) {
        snprintf(diag, diag_len, "address %s:%u is already in use", cfg->addr, (unsigned)cfg->port);
        return ERR_IO;
    }
    rpc_server_t *s = RN_NEW(rpc_server_t);
    s->cfg = *cfg;
    s->cors = cfg->cors ? rn_strdup(cfg->cors) : NULL;
    s->reg = reg;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s->nworkers = cfg->threads ? cfg->threads : (unsigned)(ncpu > 0 ? ncpu : 1);
    s->workers = RN_NEWV(worker_t, s->nworkers);
    for (unsigned i = 0; i < s->nworkers; i++) {
        worker_t *w = &s->workers[i];
        w->srv = s;
        w->listen_fd = open_listener(&ss, sl);
        if (w->listen_fd < 0) {
            snprintf(diag, diag_len, "cannot listen on %s:%u: %s", cfg->addr,
                     (unsigned)(s->port ? s->port : cfg->port), strerror(errno));
            s->nworkers = i;
            rpc_server_stop(s);
            return ERR_IO;
        }
        if (i == 0) {
            struct sockaddr_storage bound;
            socklen_t bl = sizeof(bound);
            getsockname(w->listen_fd, (struct sockaddr *)&bound, &bl);
            s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                        : ((struct sockaddr_in *)&bound)->sin_port);
            /* Other workers bind the same (possibly kernel-chosen) port. */
            if (ss.ss_family == AF_INET6)
                ((struct sockaddr_in6 *)&ss)->sin6_port = htons(s->port);
            else
                ((struct sockaddr_in *)&ss)->sin_port = htons(s->port);
        }
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        pthread_mutex_init(&w->q_mu, NULL);
        buf_init(&w->body_out, RPC_MAX_RESPONSE_BYTES);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &w->listen_fd };
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listen_fd, &ev);
        struct epoll_event wev = { .events = EPOLLIN, .data.ptr = &w->wake_fd };
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &wev);
    }
    for (unsigned i = 0; i < s->nworkers; i++)
        pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
    *out = s;
    return ERR_OK;
}

uint16_t rpc_server_port(const rpc_server_t *s)
{
    return s->port;
}

unsigned rpc_server_conn_counts(const rpc_server_t *s, int *per_worker, unsigned n)
{
    for (unsigned i = 0; i < n && i < s->nworkers; i++)
        per_worker[i] = atomic_load(&s->workers[i].owned);
    return s->nworkers;
}

void rpc_server_stop(rpc_server_t *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    for (unsigned i = 0; i < s->nworkers; i++) {
        worker_t *w = &s->workers[i];
        uint64_t one = 1;
        if (w->thread && write(w->wake_fd, &one, sizeof(one)) < 0) {
        }
    }
    for (unsigned i = 0; i < s->nworkers; i++) { /* all, before any is freed: they hand over */
        if (s->workers[i].thread)
            pthread_join(s->workers[i].thread, NULL);
    }
    for (unsigned i = 0; i < s->nworkers; i++) {
        worker_t *w = &s->workers[i];
        while (w->conns)
            conn_free(w, w->conns);
        close(w->listen_fd);
        close(w->epfd);
        close(w->wake_fd);
        buf_deinit(&w->body_out);
        for (size_t j = 0; j < w->qn; j++)
            rn_free(w->q[j].text);
        rn_free(w->q);
        for (size_t j = 0; j < w->nhanded; j++) { /* handed over as the server stopped */
            conn_t *c = w->handed[j];
            c->next = w->conns; /* conn_free unlinks it from the (empty) list */
            c->prev = NULL;
            w->conns = c;
            conn_free(w, c);
        }
        conn_reap(w);
        rn_free(w->handed);
        pthread_mutex_destroy(&w->q_mu);
    }
    rn_free(s->workers);
    rn_free(s->cors);
    rn_free(s);
}
