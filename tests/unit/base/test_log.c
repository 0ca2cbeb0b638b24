#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

#define LOG_TARGET "rollup_node::sequencer"
#include "base/base.h"

TEST(log, default_level_is_info)
{
    CHECK_OK(log_init(NULL, LOG_LVL_INFO, LOG_FORMAT_TERMINAL, NULL, 0));
    CHECK(log_enabled("rollup_node::sequencer", LOG_LVL_INFO));
    CHECK(!log_enabled("rollup_node::sequencer", LOG_LVL_DEBUG));
}

TEST(log, guide_filter_prefix_matching)
{
    CHECK_OK(
        log_init("info,scroll=debug,rollup=debug", LOG_LVL_INFO, LOG_FORMAT_TERMINAL, NULL, 0));
    CHECK(log_enabled("rollup_node::sequencer", LOG_LVL_DEBUG));
    CHECK(!log_enabled("rollup_node::sequencer", LOG_LVL_TRACE));
    CHECK(log_enabled("scroll::watcher", LOG_LVL_DEBUG));
    CHECK(log_enabled("scroll::derivation_pipeline", LOG_LVL_DEBUG));
    CHECK(!log_enabled("reth::cli", LOG_LVL_DEBUG));
    CHECK(log_enabled("reth::cli", LOG_LVL_INFO));
}

TEST(log, longest_prefix_wins_and_bare_level_sets_default)
{
    CHECK_OK(log_init("warn,rollup_node=debug,rollup_node::sequencer=trace,scroll::db=off",
                      LOG_LVL_INFO, LOG_FORMAT_TERMINAL, NULL, 0));
    CHECK(log_enabled("rollup_node::sequencer", LOG_LVL_TRACE));
    CHECK(log_enabled("rollup_node::signer", LOG_LVL_DEBUG));
    CHECK(!log_enabled("rollup_node::signer", LOG_LVL_TRACE));
    CHECK(!log_enabled("scroll::db", LOG_LVL_ERROR));
    CHECK(!log_enabled("scroll::engine", LOG_LVL_INFO));
    CHECK(log_enabled("scroll::engine", LOG_LVL_WARN));
}

TEST(log, off_and_bare_target)
{
    CHECK_OK(log_init("off,scroll::watcher", LOG_LVL_INFO, LOG_FORMAT_TERMINAL, NULL, 0));
    CHECK(!log_enabled("rollup_node::sequencer", LOG_LVL_ERROR));
    CHECK(log_enabled("scroll::watcher", LOG_LVL_TRACE));
}

TEST(log, bad_directive_reports_and_keeps_the_rest)
{
    char diag[256];
    CHECK_ERR(ERR_INVALID_ARG, log_init("scroll=loud,rollup=debug", LOG_LVL_INFO,
                                        LOG_FORMAT_TERMINAL, diag, sizeof(diag)));
    CHECK(strstr(diag, "loud") != NULL);
    CHECK(log_enabled("rollup_node::x", LOG_LVL_DEBUG));
}

static int evaluated;

static int side_effect(void)
{
    evaluated++;
    return 1;
}

static char *capture(log_format_t fmt, const char *filter)
{
    char path[] = "/tmp/rn_log_XXXXXX";
    int fd = mkstemp(path);
    if (log_init(filter, LOG_LVL_INFO, fmt, NULL, 0) != ERR_OK)
        return NULL;
    log_set_fd(fd);
    log_set_color(false);
    LOG_INFO("Built payload number=%d hash=%s txs=%d", 7, "0xabc", 2);
    LOG_TRACE("Hidden value=%d", side_effect());
    log_set_fd(1);
    size_t n;
    char *text = test_read_file(path, &n);
    close(fd);
    unlink(path);
    return text;
}

TEST(log, disabled_level_does_not_evaluate_arguments)
{
    evaluated = 0;
    char *t = capture(LOG_FORMAT_TERMINAL, "info");
    CHECK_EQ_INT(evaluated, 0);
    CHECK(strstr(t, "Hidden") == NULL);
    free(t);
    t = capture(LOG_FORMAT_TERMINAL, "rollup_node::sequencer=trace");
    CHECK_EQ_INT(evaluated, 1);
    CHECK(strstr(t, "Hidden value=1") != NULL);
    free(t);
}

TEST(log, terminal_line_format)
{
    char *t = capture(LOG_FORMAT_TERMINAL, "info");
    /* 2026-11-24T06:32:30.123456Z  INFO rollup_node::sequencer: Built payload number=7 ... */
    CHECK(t != NULL);
    CHECK(strlen(t) > 28);
    CHECK(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[26] == 'Z');
    CHECK(strstr(t, "  INFO rollup_node::sequencer: Built payload number=7 hash=0xabc txs=2\n"));
    free(t);
}

TEST(log, json_line_format)
{
    char *t = capture(LOG_FORMAT_JSON, "info");
    CHECK(strstr(t, "\"level\":\"INFO\""));
    CHECK(strstr(t, "\"fields\":{\"message\":\"Built payload\",\"number\":7,\"hash\":\"0xabc\","
                    "\"txs\":2}"));
    CHECK(strstr(t, "\"target\":\"rollup_node::sequencer\"}"));
    free(t);
}
