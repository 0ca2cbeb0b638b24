/* Start-up probe for bench/intake.mjs (../shared/docs/BENCHMARKS.md: "time from exec to the first
 * answered RPC"): forks, execs the server, and polls 127.0.0.1:PORT with eth_blockNumber on a new
 * connection every 100 µs until an answer carries "result"; prints the milliseconds from just
 * before the fork to that answer, then stops the server (SIGTERM, SIGKILL after 5 s).
 *
 * Why a C probe: node's spawn() of a process holding the pre-signed transactions costs more
 * than a small server's whole start-up (the harness floor intake.mjs prints is 11–15 ms), and its
 * timers poll at 1 ms at best. Built by intake.mjs with the system cc; not part of the node.
 * Usage: startprobe PORT TIMEOUT_MS LOGFILE CMD [ARGS...]; exit 0 with "<ms>\n" on stdout, 1 if
 * the server exits or does not answer in time. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Before the server listens, a connect to a port in the kernel's ephemeral range can pick that
 * same port as its source and connect the socket to itself (TCP simultaneous open): it would
 * then read its own request and wait for ever for an answer. */
static int self_connected(int fd)
{
    struct sockaddr_in l, p;
    socklen_t ln = sizeof(l), pn = sizeof(p);
    return getsockname(fd, (struct sockaddr *)&l, &ln) == 0 &&
           getpeername(fd, (struct sockaddr *)&p, &pn) == 0 && l.sin_port == p.sin_port &&
           l.sin_addr.s_addr == p.sin_addr.s_addr;
}

/* One attempt: 1 if the server answered eth_blockNumber with a result. */
static int try_once(unsigned port)
{
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\","
                               "\"params\":[]}";
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     sizeof(body) - 1, body);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* An answer comes within milliseconds once the server listens; never wait on a read longer
     * than a second. */
    struct timeval tv = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && !self_connected(fd) &&
        write(fd, req, (size_t)n) == n) {
        char buf[4096];
        size_t got = 0;
        for (;;) {
            ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            buf[got] = 0;
            if (strstr(buf, "\"result\"")) {
                ok = 1;
                break;
            }
            if (got == sizeof(buf) - 1)
                break;
        }
    }
    close(fd);
    return ok;
}

static void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 5000; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        usleep(1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s PORT TIMEOUT_MS LOGFILE CMD [ARGS...]\n", argv[0]);
        return 2;
    }
    unsigned port = (unsigned)strtoul(argv[1], NULL, 10);
    double timeout = strtod(argv[2], NULL);
    int log = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log < 0) {
        perror(argv[3]);
        return 2;
    }
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        dup2(log, 1);
        dup2(log, 2);
        execvp(argv[4], argv + 4);
        perror(argv[4]);
        _exit(127);
    }
    close(log);
    const struct timespec pause = { 0, 100000 };
    for (;;) {
        if (try_once(port)) {
            double ms = now_ms() - t0;
            stop(pid);
            printf("%.2f\n", ms);
            return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "%s exited during start-up (status %d)\n", argv[4], st);
            return 1;
        }
        if (now_ms() - t0 > timeout) {
            fprintf(stderr, "%s did not answer within %.0f ms\n", argv[4], timeout);
            stop(pid);
            return 1;
        }
        nanosleep(&pause, NULL);
    }
}
