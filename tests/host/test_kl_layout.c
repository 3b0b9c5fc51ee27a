/* test_kl_layout.c: host unit tests (cmocka) of the kernel-lock layout
 * logic (sk/kl_layout.c): the checks on each staged range and jump table,
 * VA-to-GPA lookups, the branch encoding, and the jump sites VTL1 will let
 * Linux patch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "kl_layout.h"

/* VTL0 RAM [0x40000000, 0x60000000); the measured Image at 0x48000000. */
#define RAM_BASE 0x40000000ull
#define RAM_END  0x60000000ull
#define IMG      0x48000000ull
#define IMG_SIZE 0x01f6e000ull
#define KVA      0xffff800008000000ull
#define MVA      0xffff800001000000ull

static bool ram(uint64_t gpa, uint64_t size)
{
    return gpa >= RAM_BASE && gpa + size <= RAM_END && gpa + size > gpa;
}

static const struct kl_bounds bounds = { IMG, IMG_SIZE, ram };
static struct kl_layout l;

static int setup(void **state)
{
    (void)state;
    memset(&l, 0, sizeof(l));
    return 0;
}

/* Kernel text [KVA+64K, +16 pages), rodata after it, a module's text. */
static void stage_basic(void)
{
    assert_int_equal(kl_add_range(&l, &bounds, KL_KERNEL_TEXT, KVA + 0x10000, IMG + 0x10000, 16),
                     HV_STATUS_SUCCESS);
    assert_int_equal(kl_add_range(&l, &bounds, KL_KERNEL_RODATA, KVA + 0x20000, IMG + 0x20000, 8),
                     HV_STATUS_SUCCESS);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA, 0x50000000, 2),
                     HV_STATUS_SUCCESS);
}

static void test_range_checks(void **state)
{
    (void)state;
    stage_basic();
    /* misaligned VA or GPA */
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA + 0x10008, 0x51000000, 1),
                     HV_STATUS_INVALID_ALIGNMENT);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA + 0x10000, 0x51000010, 1),
                     HV_STATUS_INVALID_ALIGNMENT);
    /* unknown kind, no pages, too many pages */
    assert_int_equal(kl_add_range(&l, &bounds, KL_JUMP_TABLE, MVA + 0x10000, 0x51000000, 1),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &bounds, 9, MVA + 0x10000, 0x51000000, 1),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA + 0x10000, 0x51000000, 0),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA + 0x10000, 0x41000000,
                                  KL_MAX_RANGE_PAGES + 1), HV_STATUS_INVALID_PARAMETER);
    /* not VTL0 RAM, or wrapping */
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA + 0x10000, 0x3ffff000, 2),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA + 0x10000, RAM_END - 0x1000, 2),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, 0xfffffffffffff000ull, 0x51000000, 2),
                     HV_STATUS_INVALID_PARAMETER);
    /* the kernel's ranges inside the measured image, a module's outside it */
    assert_int_equal(kl_add_range(&l, &bounds, KL_KERNEL_TEXT, KVA + 0x2000000, 0x51000000, 1),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &bounds, KL_KERNEL_RODATA, KVA + 0x1f6d000, IMG + 0x1f6d000, 2),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_RODATA, MVA + 0x10000, IMG + 0x100000, 1),
                     HV_STATUS_INVALID_PARAMETER);
    /* overlap in GPA, or in VA */
    assert_int_equal(kl_add_range(&l, &bounds, KL_KERNEL_RODATA, KVA + 0x40000, IMG + 0x1f000, 2),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_RODATA, MVA + 0x1000, 0x52000000, 1),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(l.nranges, 3);
    /* the last page of the image is still inside it */
    assert_int_equal(kl_add_range(&l, &bounds, KL_KERNEL_RODATA, KVA + 0x1f6d000, IMG + 0x1f6d000, 1),
                     HV_STATUS_SUCCESS);
}

static void test_no_kernel_range_without_image(void **state)
{
    (void)state;
    const struct kl_bounds none = { 0, 0, ram };
    assert_int_equal(kl_add_range(&l, &none, KL_KERNEL_TEXT, KVA, IMG, 1),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_range(&l, &none, KL_MODULE_TEXT, MVA, 0x50000000, 1), HV_STATUS_SUCCESS);
}

static void test_full_layout(void **state)
{
    (void)state;
    for (unsigned i = 0; i < KL_MAX_RANGES; i++)
        assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA + i * 0x1000ull,
                                      0x50000000 + i * 0x1000ull, 1), HV_STATUS_SUCCESS);
    assert_int_equal(kl_add_range(&l, &bounds, KL_MODULE_TEXT, MVA + KL_MAX_RANGES * 0x1000ull,
                                  0x51000000, 1), HV_STATUS_INSUFFICIENT_MEMORY);
}

static void test_lookup(void **state)
{
    (void)state;
    stage_basic();
    uint64_t gpa = 0;
    assert_true(kl_va_to_gpa(&l, KVA + 0x10123, true, &gpa));
    assert_int_equal(gpa, IMG + 0x10123);
    assert_true(kl_va_to_gpa(&l, KVA + 0x27fff, false, &gpa));
    assert_int_equal(gpa, IMG + 0x27fff);
    assert_false(kl_va_to_gpa(&l, KVA + 0x28000, false, &gpa)); /* one past the rodata */
    assert_false(kl_va_to_gpa(&l, KVA + 0x10000, false, &gpa)); /* text is not rodata */
    assert_false(kl_va_to_gpa(&l, KVA + 0x20000, true, &gpa));  /* rodata is not text */
    assert_false(kl_va_to_gpa(&l, KVA + 0xffff, true, &gpa));
    assert_non_null(kl_range_at(&l, 0x50001fff));
    assert_null(kl_range_at(&l, 0x50002000));
}

static void test_tables(void **state)
{
    (void)state;
    stage_basic();
    assert_int_equal(kl_add_table(&l, KVA + 0x20004, 4), HV_STATUS_INVALID_ALIGNMENT);
    assert_int_equal(kl_add_table(&l, KVA + 0x20008, 0), HV_STATUS_INVALID_PARAMETER);
    /* in text, or running past the rodata */
    assert_int_equal(kl_add_table(&l, KVA + 0x10000, 4), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_table(&l, KVA + 0x27ff8, 2), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_table(&l, KVA + 0x20008, KL_MAX_JUMP_SITES + 1),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(kl_add_table(&l, KVA + 0x20008, 256), HV_STATUS_SUCCESS);
    assert_int_equal(kl_add_table(&l, KVA + 0x20008 + 255 * 16, 1), HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(l.ntables, 1);
    assert_int_equal(l.table_entries, 256);
}

static void test_branch(void **state)
{
    (void)state;
    uint32_t insn = 0;
    assert_true(kl_a64_branch(0x1000, 0x1008, &insn));
    assert_int_equal(insn, 0x14000002);
    assert_true(kl_a64_branch(0x1008, 0x1000, &insn));
    assert_int_equal(insn, 0x17fffffe);
    assert_true(kl_a64_branch(0x10000000, 0x10000000 + (1ull << 27) - 4, &insn));
    assert_int_equal(insn, 0x15ffffff);
    assert_false(kl_a64_branch(0x10000000, 0x10000000 + (1ull << 27), &insn));
    assert_true(kl_a64_branch(0x10000000, 0x10000000 - (1ull << 27), &insn));
    assert_int_equal(insn, 0x16000000);
    assert_false(kl_a64_branch(0x10000000, 0x10000000 - (1ull << 27) - 4, &insn));
    assert_false(kl_a64_branch(0x1002, 0x1008, &insn));
    assert_false(kl_a64_branch(0x1000, 0x1006, &insn));
}

static void test_site_of(void **state)
{
    (void)state;
    stage_basic();
    struct kl_site s;
    uint64_t entry = KVA + 0x20100;
    /* code at KVA+0x10040, target at KVA+0x10080 */
    struct ovbs_jump_entry e = { (int32_t)(0x10040 - 0x20100), (int32_t)(0x10080 - 0x20104), 0 };
    assert_int_equal(kl_site_of(&l, entry, &e, &s), 1);
    assert_int_equal(s.gpa, IMG + 0x10040);
    assert_int_equal(s.branch, 0x14000010);
    /* code outside the text (init text): skipped */
    e.code = -0x20100 + 0x8000;
    assert_int_equal(kl_site_of(&l, entry, &e, &s), 0);
    /* target outside the text: the layout is refused */
    e.code = (int32_t)(0x10040 - 0x20100);
    e.target = (int32_t)(0x20000 - 0x20104);
    assert_int_equal(kl_site_of(&l, entry, &e, &s), -1);
    /* a site in a module's text */
    int64_t to_module = (int64_t)(MVA + 0x100) - (int64_t)entry;
    e.code = (int32_t)to_module;
    e.target = (int32_t)(to_module + 0x10 - 4);
    assert_int_equal(kl_site_of(&l, entry, &e, &s), 1);
    assert_int_equal(s.gpa, 0x50000100);
    assert_int_equal(s.branch, 0x14000004);
}

static void test_sort_and_find(void **state)
{
    (void)state;
    struct kl_site s[6] = {
        { 0x5000, 0x14000001, 0 }, { 0x1000, 0x14000002, 0 }, { 0x3000, 0x14000003, 0 },
        { 0x1000, 0x14000002, 0 }, { 0x9000, 0x14000004, 0 }, { 0x2000, 0x14000005, 0 },
    };
    assert_int_equal(kl_sort_sites(s, 6), 5);
    for (unsigned i = 1; i < 5; i++)
        assert_true(s[i - 1].gpa < s[i].gpa);
    assert_non_null(kl_find_site(s, 5, 0x3000));
    assert_int_equal(kl_find_site(s, 5, 0x3000)->branch, 0x14000003);
    assert_non_null(kl_find_site(s, 5, 0x1000));
    assert_non_null(kl_find_site(s, 5, 0x9000));
    assert_null(kl_find_site(s, 5, 0x3004));
    assert_null(kl_find_site(s, 5, 0x0));
    assert_null(kl_find_site(s, 5, 0xa000));
    struct kl_site bad[2] = { { 0x1000, 0x14000002, 0 }, { 0x1000, 0x14000003, 0 } };
    assert_int_equal(kl_sort_sites(bad, 2), -1);
    /* a larger shuffled set comes out ordered */
    static struct kl_site many[5000];
    for (unsigned i = 0; i < 5000; i++)
        many[i] = (struct kl_site){ ((i * 7919u) % 5000u) * 4ull + 0x1000, 0x14000001, 0 };
    assert_int_equal(kl_sort_sites(many, 5000), 5000);
    for (unsigned i = 1; i < 5000; i++)
        assert_true(many[i - 1].gpa < many[i].gpa);
    assert_non_null(kl_find_site(many, 5000, 0x1000 + 4 * 4321));
}

static void test_write_allowed(void **state)
{
    (void)state;
    const struct kl_site s = { 0x1000, 0x14000010, 0 };
    assert_true(kl_write_allowed(&s, A64_NOP));
    assert_true(kl_write_allowed(&s, 0x14000010));
    assert_false(kl_write_allowed(&s, 0x14000011));
    assert_false(kl_write_allowed(&s, 0x94000010)); /* BL, not B */
    assert_false(kl_write_allowed(&s, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_range_checks, setup),
        cmocka_unit_test_setup(test_no_kernel_range_without_image, setup),
        cmocka_unit_test_setup(test_full_layout, setup),
        cmocka_unit_test_setup(test_lookup, setup),
        cmocka_unit_test_setup(test_tables, setup),
        cmocka_unit_test_setup(test_branch, setup),
        cmocka_unit_test_setup(test_site_of, setup),
        cmocka_unit_test_setup(test_sort_and_find, setup),
        cmocka_unit_test_setup(test_write_allowed, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
