/* Harness ceiling for bench/rpc.sh (../shared/docs/BENCHMARKS.md): a single-threaded epoll
 * HTTP/1.1 keep-alive server that answers every POST with the same small JSON-RPC reply, without
 * parsing JSON. Whatever wrk measures against it on one pinned core is the most any server can
 * reach with this client setup. Not part of the node; built by bench/rpc.sh with the system cc.
 * Usage: fixed_reply_server PORT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 65536

static const char reply[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 39\r\n\r\n"
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x1\"}";

typedef struct conn {
    int fd;
    size_t n;
    char buf[BUF];
} conn_t;

/* Length of the first complete request in c->buf, or 0. */
static size_t complete(const conn_t *c)
{
    const char *end = memmem(c->buf, c->n, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->buf) + 4, len = 0;
    for (const char *p = c->buf; p + 15 < end; p++) {
        if (strncasecmp(p, "\ncontent-length:", 16) == 0) {
            len = strtoul(p + 16, NULL, 10);
            break;
        }
    }
    return c->n >= head + len ? head + len : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)strtoul(argv[1], NULL, 10)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1024)) {
        perror("bind/listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    for (;;) {
        int k = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < k; i++) {
            conn_t *c = evs[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    conn_t *nc = calloc(1, sizeof(*nc));
                    nc->fd = fd;
                    struct epoll_event ce = { .events = EPOLLIN, .data.ptr = nc };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
                }
                continue;
            }
            ssize_t r = read(c->fd, c->buf + c->n, BUF - c->n);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN)
                    continue;
                close(c->fd);
                free(c);
                continue;
            }
            c->n += (size_t)r;
            size_t len;
            while ((len = complete(c)) > 0) {
                if (write(c->fd, reply, sizeof(reply) - 1) < 0)
                    break;
                memmove(c->buf, c->buf + len, c->n - len);
                c->n -= len;
            }
            if (c->n == BUF) { /* request larger than the buffer: not our workload */
                close(c->fd);
                free(c);
            }
        }
    }
}
