/* Load generator for bench/intake.mjs's timed window: sends pre-built HTTP/1.1 requests over
 * keep-alive connections, one request in flight per connection, each connection's requests in
 * file order (a sender's transactions stay on one connection, in nonce order). One thread, epoll.
 * A C client costs the shared two cores a few microseconds per request where the node.js client
 * costs ~35, so more of the machine is left to the server measured (BENCHMARKS.md: the client
 * shares the machine). Not part of the node; intake.mjs builds it with the system cc.
 *
 * With "batch", the client runs as SCHED_BATCH: an answer that wakes it does not preempt the
 * server thread that sent it. As a normal task it does, on this kernel (EEVDF) nearly every time:
 * two context switches per request (~5 us each on this VM) and one epoll_wait per answer, which
 * the server measured pays for on the shared cores. A client on another machine, the case the
 * numbers are meant to predict, costs the server nothing of the kind.
 *
 * Usage: txload PORT FILE [batch]. FILE: u32 connections, then per connection u32 requests, then
 * per request u32 length and the request bytes (little-endian). Prints "start" when every
 * connection is open and the first requests go out, then one JSON line: accepted (answers with
 * status 200 and a "result":"0x…" body), the other answers grouped by status and body, elapsed ns
 * from the first send to the last answer, and this process's CPU time. Exit 1 on a lost connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_ERRORS = 16,
    ERR_TEXT = 200
};

typedef struct req {
    const uint8_t *p;
    uint32_t n;
} req_t;

typedef struct conn {
    int fd;
    req_t *reqs;
    uint32_t nreq, next; /**< next: the request awaiting its answer */
    size_t sent;         /**< bytes of reqs[next] written */
    char *in;            /**< the answer so far */
    size_t nin, cap;
} conn_t;

typedef struct err_count {
    char text[ERR_TEXT];
    unsigned count;
} err_count_t;

static err_count_t g_err[MAX_ERRORS];
static unsigned g_nerr, g_err_other;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "txload: %s: %s\n", what, errno ? strerror(errno) : "failed");
    exit(1);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(len > 0 ? (size_t)len : 1);
    if (!p || len < 0 || fread(p, 1, (size_t)len, f) != (size_t)len)
        die("read");
    fclose(f);
    *n = (size_t)len;
    return p;
}

static void note_error(const char *body, size_t n, int status)
{
    char text[ERR_TEXT];
    snprintf(text, sizeof(text), "%d %.*s", status, (int)(n < 150 ? n : 150), body);
    for (char *c = text; *c; c++)
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
            *c = '\'';
    for (unsigned i = 0; i < g_nerr; i++) {
        if (strcmp(g_err[i].text, text) == 0) {
            g_err[i].count++;
            return;
        }
    }
    if (g_nerr == MAX_ERRORS) {
        g_err_other++;
        return;
    }
    memcpy(g_err[g_nerr].text, text, sizeof(text));
    g_err[g_nerr++].count = 1;
}

/* Write as much of the pending request as the socket takes. */
static void push(conn_t *c)
{
    while (c->next < c->nreq && c->sent < c->reqs[c->next].n) {
        const req_t *r = &c->reqs[c->next];
        ssize_t w = send(c->fd, r->p + c->sent, r->n - c->sent, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            die("send");
        }
        c->sent += (size_t)w;
    }
}

/* Length of the complete answer at the start of c->in, or 0; *status, *body set. */
static size_t answer(const conn_t *c, int *status, const char **body, size_t *blen)
{
    const char *end = memmem(c->in, c->nin, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->in) + 4, len = 0;
    bool have = false;
    for (const char *p = c->in; p + 16 < end; p++) {
        if (strncasecmp(p, "\ncontent-length:", 16) == 0) {
            len = strtoul(p + 16, NULL, 10);
            have = true;
            break;
        }
    }
    if (!have) {
        errno = 0;
        die("an answer without Content-Length");
    }
    if (c->nin < head + len)
        return 0;
    *status = c->nin > 12 ? atoi(c->in + 9) : 0;
    *body = c->in + head;
    *blen = len;
    return head + len;
}

int main(int argc, char **argv)
{
    bool batch = argc == 4 && strcmp(argv[3], "batch") == 0;
    if (argc != 3 && !batch) {
        fprintf(stderr, "usage: txload PORT FILE [batch]\n");
        return 2;
    }
    size_t fn;
    uint8_t *f = read_file(argv[2], &fn), *p = f, *end = f + fn;
    if (fn < 4)
        die("short file");
    uint32_t nconn = rd32(p);
    p += 4;
    conn_t *cs = calloc(nconn ? nconn : 1, sizeof(*cs));
    uint64_t total = 0;
    for (uint32_t i = 0; i < nconn; i++) {
        if (end - p < 4)
            die("short file");
        cs[i].nreq = rd32(p);
        p += 4;
        cs[i].reqs = calloc(cs[i].nreq ? cs[i].nreq : 1, sizeof(req_t));
        for (uint32_t k = 0; k < cs[i].nreq; k++) {
            if (end - p < 4 || (size_t)(end - p - 4) < rd32(p))
                die("short file");
            cs[i].reqs[k] = (req_t){ p + 4, rd32(p) };
            p += 4 + rd32(p);
        }
        total += cs[i].nreq;
    }
    int ep = epoll_create1(0);
    if (ep < 0)
        die("epoll_create1");
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (uint32_t i = 0; i < nconn; i++) {
        conn_t *c = &cs[i];
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
            die("connect");
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) != 0)
            die("fcntl");
        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            die("epoll_ctl");
        c->cap = 1 << 16;
        c->in = malloc(c->cap);
    }
    if (batch) {
        struct sched_param sp = { 0 };
        if (sched_setscheduler(0, SCHED_BATCH, &sp) != 0)
            die("sched_setscheduler");
    }
    struct rusage ru0, ru;
    getrusage(RUSAGE_SELF, &ru0);
    printf("start\n");
    fflush(stdout);
    uint64_t t0 = mono_ns(), t_last = t0, done = 0, accepted = 0;
    for (uint32_t i = 0; i < nconn; i++)
        push(&cs[i]);
    struct epoll_event evs[64];
    while (done < total) {
        int n = epoll_wait(ep, evs, 64, 30000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("no answer within 30 s");
        for (int e = 0; e < n; e++) {
            conn_t *c = &cs[evs[e].data.u32];
            if (evs[e].events & EPOLLOUT)
                push(c);
            if (!(evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            for (;;) {
                if (c->cap - c->nin < 4096) {
                    c->cap *= 2;
                    c->in = realloc(c->in, c->cap);
                    if (!c->in)
                        die("realloc");
                }
                size_t room = c->cap - c->nin;
                ssize_t r = recv(c->fd, c->in + c->nin, room, 0);
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                    break;
                if (r <= 0) {
                    errno = r ? errno : ECONNRESET;
                    die("connection lost");
                }
                c->nin += (size_t)r;
                int status;
                const char *body;
                size_t blen, used;
                while ((used = answer(c, &status, &body, &blen)) != 0) {
                    if (c->next >= c->nreq) {
                        errno = 0;
                        die("an answer nobody asked for");
                    }
                    if (status == 200 && memmem(body, blen, "\"result\":\"0x", 12))
                        accepted++;
                    else
                        note_error(body, blen, status);
                    memmove(c->in, c->in + used, c->nin - used);
                    c->nin -= used;
                    c->next++;
                    c->sent = 0;
                    done++;
                    t_last = mono_ns();
                    push(c);
                }
                /* A read shorter than the room drained the socket: whatever arrives later is a
                 * new edge, so a second recv here would only return EAGAIN (a syscall per answer
                 * that costs the shared cores ~1 us on this VM). */
                if ((size_t)r < room)
                    break;
            }
        }
    }
    getrusage(RUSAGE_SELF, &ru);
    double cpu_us = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e6 +
                    (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
                    (double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
                    (double)(ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
    printf("{\"accepted\":%llu,\"answered\":%llu,\"elapsed_ns\":%llu,\"cpu_us\":%.0f,\"errors\":{",
           (unsigned long long)accepted, (unsigned long long)done,
           (unsigned long long)(t_last - t0), cpu_us);
    for (unsigned i = 0; i < g_nerr; i++)
        printf("%s\"%s\":%u", i ? "," : "", g_err[i].text, g_err[i].count);
    if (g_err_other)
        printf("%s\"(other kinds)\":%u", g_nerr ? "," : "", g_err_other);
    printf("}}\n");
    for (uint32_t i = 0; i < nconn; i++)
        close(cs[i].fd);
    return 0;
}
