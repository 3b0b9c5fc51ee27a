/* test_linux_image.c: host unit tests (cmocka) of the Linux Image checks
 * and boot-argument parsing the hypervisor does before VTL0 boots Linux
 * (hv/linux_image.c): every malformed header or argument is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "linux_image.h"

#define MB2 (2ull << 20)

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A header as Debian's 6.1 Image has it: text_offset 0, 4 KiB pages,
 * placement anywhere (flags 0xa). */
static void make_header(uint8_t *h, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
    memset(h, 0, IMAGE_HEADER_SIZE);
    h[0] = 'M';
    h[1] = 'Z';
    put64(h + 8, text_offset);
    put64(h + 16, image_size);
    put64(h + 24, flags);
    put64(h + 56, IMAGE_MAGIC);
}

static void test_good_image(void **state)
{
    (void)state;
    uint8_t h[64];
    struct linux_image img;
    make_header(h, 0, 0x2010000, 0xa);
    assert_int_equal(linux_image_check(h, 0x48000000, 32956352, &img), IMG_OK);
    assert_int_equal(img.base, 0x48000000);
    assert_int_equal(img.footprint, 0x2010000);
    assert_int_equal(img.file_size, 32956352);
    /* text_offset past a 2 MiB boundary is where the kernel wants it. */
    make_header(h, 0x80000, 0x2010000, 0xa);
    assert_int_equal(linux_image_check(h, 0x48080000, 4096, &img), IMG_OK);
}

static void test_bad_images(void **state)
{
    (void)state;
    uint8_t h[64];
    struct linux_image img;
    make_header(h, 0, 0x2010000, 0xa);
    assert_int_equal(linux_image_check(h, 0x48000000, 63, &img), IMG_ERR_SHORT);
    h[56] ^= 1;
    assert_int_equal(linux_image_check(h, 0x48000000, 4096, &img), IMG_ERR_MAGIC);
    make_header(h, 0x80000, 0, 0xa);
    assert_int_equal(linux_image_check(h, 0x48080000, 4096, &img), IMG_ERR_OLD);
    make_header(h, 0, 0x2010000, 0xb);
    assert_int_equal(linux_image_check(h, 0x48000000, 4096, &img), IMG_ERR_ENDIAN);
    make_header(h, 0, 0x2010000, 0x2);
    assert_int_equal(linux_image_check(h, 0x48000000, 4096, &img), IMG_ERR_PLACEMENT);
    make_header(h, 0, 4096, 0xa);
    assert_int_equal(linux_image_check(h, 0x48000000, 8192, &img), IMG_ERR_SIZE);
    make_header(h, 0, 0x2010000, 0xa);
    assert_int_equal(linux_image_check(h, ~0ull - MB2 + 1, 4096, &img), IMG_ERR_SIZE);
    assert_int_equal(linux_image_check(h, 0x48001000, 4096, &img), IMG_ERR_ALIGN);
    make_header(h, 0x80000, 0x2010000, 0xa);
    assert_int_equal(linux_image_check(h, 0x48000000, 4096, &img), IMG_ERR_ALIGN);
    assert_int_equal(linux_image_check(h, 0x40000, 4096, &img), IMG_ERR_ALIGN);
    for (int e = IMG_OK; e <= IMG_ERR_ALIGN; e++)
        assert_string_not_equal(linux_image_error((enum image_err)e), "unknown error");
}

static void test_bootarg_range(void **state)
{
    (void)state;
    bool present;
    uint64_t a = 0, s = 0;
    const char *args = "hv.bench vtl0.kernel=0x48000000,32956352 vtl0.initrd=0x4c000000,0x1000 "
                       "-- console=ttyAMA0 vtl0.kernel=0x1,1";
    assert_true(bootarg_range(args, "vtl0.kernel=", &present, &a, &s));
    assert_true(present);
    assert_int_equal(a, 0x48000000);
    assert_int_equal(s, 32956352);
    assert_true(bootarg_range(args, "vtl0.initrd=", &present, &a, &s));
    assert_int_equal(a, 0x4c000000);
    assert_int_equal(s, 0x1000);
    /* After " -- " is VTL0's command line, not the hypervisor's. */
    assert_false(bootarg_range("-- vtl0.kernel=0x1,1", "vtl0.kernel=", &present, &a, &s));
    assert_false(present);
    assert_false(bootarg_range("hv.bench", "vtl0.kernel=", &present, &a, &s));
    assert_false(present);
    static const char *const bad[] = {
        "vtl0.kernel=", "vtl0.kernel=0x48000000", "vtl0.kernel=0x48000000,",
        "vtl0.kernel=0x,5", "vtl0.kernel=12,34x", "vtl0.kernel=0x48000000;5",
        "vtl0.kernel=0x1ffffffffffffffff,1", "vtl0.kernel=99999999999999999999,1",
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(bootarg_range(bad[i], "vtl0.kernel=", &present, &a, &s));
        assert_true(present);
    }
}

static void test_vtl0_cmdline(void **state)
{
    (void)state;
    assert_string_equal(bootarg_vtl0_cmdline("hv.bench -- console=ttyAMA0 rdinit=/init"),
                        "console=ttyAMA0 rdinit=/init");
    assert_string_equal(bootarg_vtl0_cmdline("--"), "");
    assert_null(bootarg_vtl0_cmdline("hv.bench --x a"));
    assert_null(bootarg_vtl0_cmdline(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_image),
        cmocka_unit_test(test_bad_images),
        cmocka_unit_test(test_bootarg_range),
        cmocka_unit_test(test_vtl0_cmdline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
