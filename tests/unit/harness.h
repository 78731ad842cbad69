/* A minimal unit-test harness. Each test binary defines tests with TEST(name)
 * and lists them in main() with RUN(name). Every test prints one line that
 * tests/run.sh counts: "PASS unit/<file>/<name>", "FAIL ...: reason" or
 * "SKIP ...: reason". */
#ifndef VN_TEST_HARNESS_H
#define VN_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int th_failed_now;
static const char *th_skip_reason;
static int th_failures;

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        th_failed_now = 0;                                                                         \
        th_skip_reason = NULL;                                                                     \
        test_##name();                                                                             \
        if (th_skip_reason)                                                                        \
            printf("SKIP unit/%s/%s: %s\n", TH_SUITE, #name, th_skip_reason);                      \
        else if (!th_failed_now)                                                                   \
            printf("PASS unit/%s/%s\n", TH_SUITE, #name);                                          \
        else                                                                                       \
            th_failures++;                                                                         \
        fflush(stdout);                                                                            \
    } while (0)

#define SKIP(reason)                                                                               \
    do {                                                                                           \
        th_skip_reason = (reason);                                                                 \
        return;                                                                                    \
    } while (0)

#define FAILF(...)                                                                                 \
    do {                                                                                           \
        if (!th_failed_now)                                                                        \
            printf("FAIL unit/%s/%s: ", TH_SUITE, __func__ + 5);                                   \
        else                                                                                       \
            printf("     also: ");                                                                 \
        printf("%s:%d: ", __FILE__, __LINE__);                                                     \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        th_failed_now = 1;                                                                         \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            FAILF("check failed: %s", #cond);                                                      \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long th_a = (long long)(a), th_b = (long long)(b);                                    \
        if (th_a != th_b)                                                                          \
            FAILF("%s == %lld, expected %lld", #a, th_a, th_b);                                    \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *th_a = (a), *th_b = (b);                                                       \
        if (!th_a || !th_b || strcmp(th_a, th_b) != 0)                                             \
            FAILF("%s == \"%s\", expected \"%s\"", #a, th_a ? th_a : "(null)",                     \
                  th_b ? th_b : "(null)");                                                         \
    } while (0)

#define TH_EXIT() return th_failures ? 1 : 0

/* Reports a failure of test `fn` (its __func__) from a helper function, as
 * FAILF does inside a test. */
static void fail_in(const char *fn, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), unused));

static void fail_in(const char *fn, int line, const char *fmt, ...)
{
    if (!th_failed_now)
        printf("FAIL unit/%s/%s: ", TH_SUITE, fn + 5);
    else
        printf("     also: ");
    printf("tests/unit/test_%s.c:%d: ", TH_SUITE, line); /* each suite's file */
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    th_failed_now = 1;
}

/* Runs a shell command (printf-style) with stderr joined to stdout; the
 * output goes to *out (heap, caller frees) unless out is NULL. Returns the
 * exit status, -1 when it could not run. For the tests that check vnest's
 * results with real tools (qemu-img, sgdisk, fsck.fat, mtools...). */
static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static int run(char **out, const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2048)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int st = pclose(f);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether a command is on PATH (tests SKIP with the reason when not). */
static int have_tool(const char *name) __attribute__((unused));
static int have_tool(const char *name)
{
    return run(NULL, "command -v %s >/dev/null", name) == 0;
}

#endif
