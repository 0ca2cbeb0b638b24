#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct test_entry {
    const char *suite;
    const char *name;
    test_fn_t fn;
} test_entry_t;

static test_entry_t *g_tests;
static size_t g_ntests, g_cap;
static int g_failed_current;
static uint64_t g_seed, g_state;

void harness_register(const char *suite, const char *name, test_fn_t fn)
{
    if (g_ntests == g_cap) {
        g_cap = g_cap ? g_cap * 2 : 64;
        g_tests = realloc(g_tests, g_cap * sizeof(*g_tests));
        if (!g_tests)
            abort();
    }
    g_tests[g_ntests++] = (test_entry_t){ suite, name, fn };
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    g_failed_current = 1;
}

static void dump_hex(const char *label, const void *p, size_t n)
{
    const uint8_t *b = p;
    fprintf(stderr, "      %s (%zu bytes): ", label, n);
    for (size_t i = 0; i < n && i < 256; i++)
        fprintf(stderr, "%02x", b[i]);
    if (n > 256)
        fprintf(stderr, "...");
    fputc('\n', stderr);
}

void harness_fail_mem(const char *file, int line, const char *expr, const void *a, size_t an,
                      const void *b, size_t bn)
{
    harness_fail(file, line, "CHECK_MEM_EQ(%s)", expr);
    size_t i = 0;
    const uint8_t *pa = a, *pb = b;
    while (i < an && i < bn && pa[i] == pb[i])
        i++;
    fprintf(stderr, "      first difference at byte %zu\n", i);
    dump_hex("got     ", a, an);
    dump_hex("expected", b, bn);
}

/* splitmix64 */
uint64_t test_rand(void)
{
    uint64_t z = (g_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void test_rand_bytes(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)test_rand();
}

uint64_t test_seed(void)
{
    return g_seed;
}

const char *test_shared_path(const char *rel)
{
    static char path[4096];
    const char *root = getenv("RN_SHARED_DIR");
    snprintf(path, sizeof(path), "%s/%s", root ? root : RN_DEFAULT_SHARED_DIR, rel);
    return path;
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        fclose(f);
        return NULL;
    }
    p[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint8_t *test_unhex(const char *hex, size_t *n)
{
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
        hex += 2;
    size_t len = strlen(hex) / 2;
    uint8_t *out = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
    *n = len;
    return out;
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--filter") && i + 1 < argc)
            filter = argv[++i];
        else if (!strcmp(argv[i], "--list")) {
            for (size_t t = 0; t < g_ntests; t++)
                printf("%s.%s\n", g_tests[t].suite, g_tests[t].name);
            return 0;
        }
    }
    const char *s = getenv("RN_TEST_SEED");
    g_seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
    printf("random seed = %" PRIu64 " (replay with RN_TEST_SEED=%" PRIu64 ")\n", g_seed, g_seed);
    unsigned passed = 0, failed = 0;
    for (size_t t = 0; t < g_ntests; t++) {
        char full[256];
        snprintf(full, sizeof(full), "%s.%s", g_tests[t].suite, g_tests[t].name);
        if (filter && !strstr(full, filter))
            continue;
        g_failed_current = 0;
        g_state = g_seed ^ (t * 0x9e3779b97f4a7c15ull);
        g_tests[t].fn();
        if (g_failed_current) {
            failed++;
            printf("FAIL %s\n", full);
        } else {
            passed++;
            printf("ok   %s\n", full);
        }
        fflush(stdout);
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
