/* test_fmt.c: host unit tests (cmocka) for the freestanding printf
 * (lib/fmt.c: fmt_snprintf/fmt_vsnprintf); runs on the build host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fmt.h"

static char buf[128];

/* Format into buf (plenty of room) and check the text and the length. */
#define EXPECT(want, ...)                                                    \
    do {                                                                     \
        memset(buf, 0x5a, sizeof(buf));                                      \
        int n_ = fmt_snprintf(buf, sizeof(buf), __VA_ARGS__);                \
        assert_string_equal(buf, want);                                      \
        assert_int_equal(n_, (int)strlen(want));                             \
    } while (0)

static void test_signed_and_unsigned_decimal(void **state)
{
    (void)state;
    EXPECT("-42", "%d", -42);
    EXPECT("0 7 -1", "%d %i %d", 0, 7, -1);
    EXPECT("-2147483648", "%d", (int)INT32_MIN);
    EXPECT("-9223372036854775808", "%ld", (long)INT64_MIN);
    EXPECT("-9223372036854775807", "%lld", -9223372036854775807ll);
    EXPECT("4294967295", "%u", 4294967295u);
    EXPECT("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
    EXPECT("123456789012", "%zu", (size_t)123456789012ull);
    EXPECT("[  -42]", "[%5d]", -42);
    EXPECT("[-42  ]", "[%-5d]", -42);
    EXPECT("[00042]", "[%05d]", 42);
    EXPECT("[-0042]", "[%05d]", -42); /* sign before zero padding */
    EXPECT("[-0007]", "[%05ld]", -7l);
    EXPECT("[12345678]", "[%3d]", 12345678); /* width is a minimum */
}

static void test_hex_width_and_zero_padding(void **state)
{
    (void)state;
    EXPECT("0000beef", "%08x", 0xbeefu);
    EXPECT("    beef", "%8x", 0xbeefu);
    const char *left_zero = "%-08x|"; /* not a literal: gcc warns about it */
    EXPECT("beef    |", left_zero, 0xbeefu); /* '-' wins: pad with spaces */
    EXPECT("ffffffff", "%x", 0xffffffffu);
    EXPECT("DEADBEEF", "%X", 0xdeadbeefu);
    EXPECT("0", "%x", 0u);
    EXPECT("deadbeefcafe", "%lx", 0xdeadbeefcafeul);
    EXPECT("0000004010000000", "%016lx", 0x4010000000ul);
    EXPECT("ffffffffffffffff", "%llx", 0xffffffffffffffffull);
    EXPECT("[00ff]", "[%04zx]", (size_t)0xff);
}

static void test_strings_chars_pointers_percent(void **state)
{
    (void)state;
    EXPECT("[ab    ]", "[%-6s]", "ab");
    EXPECT("[    ab]", "[%6s]", "ab");
    EXPECT("[abcdef]", "[%2s]", "abcdef");
    const char *volatile null_str = NULL; /* gcc rejects a literal NULL for %s */
    EXPECT("(null)", "%s", null_str);
    EXPECT("x=[Q  ]", "x=[%-3c]", 'Q');
    EXPECT("100%", "%d%%", 100);
    EXPECT("%", "%%");
    EXPECT("0x1234", "%p", (void *)(uintptr_t)0x1234);
    EXPECT("0xffff800012345678", "%p", (void *)(uintptr_t)0xffff800012345678ull);
    EXPECT("0x0", "%p", (void *)0);
    EXPECT("a5b", "%c%d%c", 'a', 5, 'b');
}

static void test_truncation(void **state)
{
    (void)state;
    char small[16];
    memset(small, 0x5a, sizeof(small));
    /* Full length is returned; the output is cut and NUL-terminated. */
    int n = fmt_snprintf(small, 8, "hello %s %d", "world", 12345);
    assert_int_equal(n, 17);
    assert_string_equal(small, "hello w");
    for (unsigned i = 8; i < sizeof(small); i++)
        assert_int_equal((unsigned char)small[i], 0x5a); /* nothing past size */

    memset(small, 0x5a, sizeof(small));
    assert_int_equal(fmt_snprintf(small, 1, "%08x", 0x1234u), 8);
    assert_int_equal(small[0], '\0');
    assert_int_equal((unsigned char)small[1], 0x5a);

    /* Exactly fitting: size = length + 1. */
    assert_int_equal(fmt_snprintf(small, 6, "%-5s", "ab"), 5);
    assert_string_equal(small, "ab   ");
    /* One short: the last character is dropped for the NUL. */
    assert_int_equal(fmt_snprintf(small, 5, "%05u", 42u), 5);
    assert_string_equal(small, "0004");

    /* size 0 writes nothing at all, not even the NUL. */
    assert_int_equal(fmt_snprintf(NULL, 0, "%s=%lx", "key", 0xabcul), 7);
    memset(small, 0x5a, sizeof(small));
    assert_int_equal(fmt_snprintf(small, 0, "abc"), 3);
    assert_int_equal((unsigned char)small[0], 0x5a);
}

static int via_va_list(char *b, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int via_va_list(char *b, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(b, size, fmt, ap);
    va_end(ap);
    return n;
}

static void test_vsnprintf_and_mixed_lengths(void **state)
{
    (void)state;
    /* Arguments of different widths must be consumed in the right sizes. */
    int n = via_va_list(buf, sizeof(buf), "%d|%lx|%s|%u|%llu|%c", -1, 0x100000000ul, "s",
                        3u, 1ull << 40, 'z');
    assert_string_equal(buf, "-1|100000000|s|3|1099511627776|z");
    assert_int_equal(n, (int)strlen(buf));
    /* Unknown conversions are printed as they are; a trailing % is dropped. */
    const char *unknown = "%q", *trailing = "end%"; /* hidden from -Wformat */
    EXPECT("%q", unknown);
    n = via_va_list(buf, sizeof(buf), trailing);
    assert_string_equal(buf, "end");
    assert_int_equal(n, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_and_unsigned_decimal),
        cmocka_unit_test(test_hex_width_and_zero_padding),
        cmocka_unit_test(test_strings_chars_pointers_percent),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_vsnprintf_and_mixed_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
