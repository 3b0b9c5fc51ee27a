/* test_owner.c: host unit tests (cmocka) for the page ownership map and its
 * transition rules (hv/owner.c); runs on the build host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "owner.h"

#define PAGE  0x1000ull
#define RAM0  0x40000000ull /* bank 0: 16 pages */
#define NPG0  16
#define RAM1  0x80000000ull /* bank 1: 4 pages */
#define NPG1  4

static struct owner_map map;
static uint8_t st0[NPG0], st1[NPG1];

static int setup_one_bank(void **state)
{
    (void)state;
    owner_init(&map);
    memset(st0, 0xaa, sizeof(st0));
    return owner_add_ram(&map, RAM0, NPG0 * PAGE, st0) == OWN_OK ? 0 : -1;
}

/* Every page of bank 0 has owner `want[i]` ('0' VTL0, '1' VTL1, 'h' HV). */
static void expect_pages(const char *want)
{
    for (unsigned i = 0; i < NPG0; i++) {
        uint8_t o = want[i] == '0' ? OWNER_VTL0 : want[i] == '1' ? OWNER_VTL1 : OWNER_HV;
        uint8_t acc = o == OWNER_VTL0 ? OVBS_ACC_RWX : 0;
        assert_int_equal(owner_of(&map, RAM0 + i * PAGE), o);
        assert_int_equal(owner_of(&map, RAM0 + i * PAGE + PAGE - 1), o);
        assert_int_equal(owner_vtl0_access(&map, RAM0 + i * PAGE), acc);
    }
}

static void test_add_ram_starts_vtl0_rwx(void **state)
{
    (void)state;
    expect_pages("0000000000000000");
    assert_int_equal(owner_of(&map, RAM0 - 1), OWNER_NONE);
    assert_int_equal(owner_of(&map, RAM0 + NPG0 * PAGE), OWNER_NONE);
    assert_int_equal(owner_vtl0_access(&map, RAM0 - PAGE), 0);
    struct own_run r;
    assert_true(owner_run(&map, 0, &r));
    assert_int_equal(r.base, RAM0);
    assert_int_equal(r.size, NPG0 * PAGE);
    assert_int_equal(r.owner, OWNER_VTL0);
    assert_int_equal(r.access, OVBS_ACC_RWX);
    assert_null(r.name);
    assert_false(owner_run(&map, 1, &r));
}

static void test_claim_for_hv_only_during_boot(void **state)
{
    (void)state;
    assert_true(owner_transition_allowed(&map, OWNER_VTL0, OWNER_HV));
    assert_int_equal(owner_transition(&map, RAM0 + 2 * PAGE, 2 * PAGE, OWNER_VTL0, OWNER_HV),
                     OWN_OK);
    expect_pages("00hh000000000000");
    owner_end_boot(&map);
    assert_false(owner_transition_allowed(&map, OWNER_VTL0, OWNER_HV));
    assert_int_equal(owner_transition(&map, RAM0 + 8 * PAGE, PAGE, OWNER_VTL0, OWNER_HV),
                     OWN_ERR_ILLEGAL);
    expect_pages("00hh000000000000");
}

static void test_vtl0_vtl1_both_ways(void **state)
{
    (void)state;
    owner_end_boot(&map); /* reserve/release stay open after boot */
    assert_int_equal(owner_transition(&map, RAM0 + 4 * PAGE, 3 * PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_OK);
    expect_pages("0000111000000000");
    assert_int_equal(owner_transition(&map, RAM0 + 5 * PAGE, PAGE, OWNER_VTL1, OWNER_VTL0),
                     OWN_OK);
    expect_pages("0000101000000000");
    /* Releasing pages VTL1 does not own is a state error, not a no-op. */
    assert_int_equal(owner_transition(&map, RAM0 + 5 * PAGE, PAGE, OWNER_VTL1, OWNER_VTL0),
                     OWN_ERR_STATE);
    expect_pages("0000101000000000");
}

static void test_forbidden_transitions(void **state)
{
    (void)state;
    assert_int_equal(owner_transition(&map, RAM0, PAGE, OWNER_VTL0, OWNER_HV), OWN_OK);
    static const uint8_t to[] = { OWNER_NONE, OWNER_VTL0, OWNER_VTL1, OWNER_MMIO_VTL0,
                                  OWNER_MMIO_HV };
    for (unsigned i = 0; i < sizeof(to); i++) {
        assert_false(owner_transition_allowed(&map, OWNER_HV, to[i]));
        assert_int_equal(owner_transition(&map, RAM0, PAGE, OWNER_HV, to[i]), OWN_ERR_ILLEGAL);
    }
    assert_int_equal(owner_transition(&map, RAM0 + PAGE, PAGE, OWNER_VTL1, OWNER_HV),
                     OWN_ERR_ILLEGAL);
    assert_int_equal(owner_transition(&map, RAM0 + PAGE, PAGE, OWNER_VTL0, OWNER_MMIO_VTL0),
                     OWN_ERR_ILLEGAL);
    assert_int_equal(owner_transition(&map, RAM0 + PAGE, PAGE, OWNER_VTL0, OWNER_NONE),
                     OWN_ERR_ILLEGAL);
    assert_int_equal(owner_transition(&map, RAM0 + PAGE, PAGE, OWNER_VTL0, OWNER_VTL0),
                     OWN_ERR_ILLEGAL);
    expect_pages("h000000000000000");
}

static void test_partial_wrong_state_changes_nothing(void **state)
{
    (void)state;
    assert_int_equal(owner_transition(&map, RAM0 + 6 * PAGE, 2 * PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_OK);
    assert_int_equal(owner_transition(&map, RAM0 + 15 * PAGE, PAGE, OWNER_VTL0, OWNER_HV),
                     OWN_OK);
    expect_pages("000000110000000h");
    /* The bad pages are in the middle and at the very end of the range. */
    assert_int_equal(owner_transition(&map, RAM0 + 2 * PAGE, 8 * PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_ERR_STATE);
    assert_int_equal(owner_transition(&map, RAM0 + 8 * PAGE, 8 * PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_ERR_STATE);
    assert_int_equal(owner_transition(&map, RAM0 + 5 * PAGE, 3 * PAGE, OWNER_VTL1, OWNER_VTL0),
                     OWN_ERR_STATE);
    expect_pages("000000110000000h");
}

static void test_not_ram_and_alignment(void **state)
{
    (void)state;
    /* Crossing the end of the bank, starting before it, or in a hole. */
    assert_int_equal(owner_transition(&map, RAM0 + 14 * PAGE, 4 * PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_ERR_NOT_RAM);
    assert_int_equal(owner_transition(&map, RAM0 - PAGE, 2 * PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_ERR_NOT_RAM);
    assert_int_equal(owner_transition(&map, 0x10000000, PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_ERR_NOT_RAM);
    /* Unaligned, empty, or wrapping around. */
    assert_int_equal(owner_transition(&map, RAM0 + 0x800, PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_ERR_ALIGN);
    assert_int_equal(owner_transition(&map, RAM0, PAGE + 4, OWNER_VTL0, OWNER_VTL1),
                     OWN_ERR_ALIGN);
    assert_int_equal(owner_transition(&map, RAM0, 0, OWNER_VTL0, OWNER_VTL1), OWN_ERR_ALIGN);
    assert_int_equal(owner_transition(&map, RAM0, ~0ull << 12, OWNER_VTL0, OWNER_VTL1),
                     OWN_ERR_ALIGN);
    expect_pages("0000000000000000");
    /* The last page alone is fine. */
    assert_int_equal(owner_transition(&map, RAM0 + 15 * PAGE, PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_OK);
    expect_pages("0000000000000001");

    uint8_t more[4];
    assert_int_equal(owner_add_ram(&map, RAM1 + 0x10, 4 * PAGE, more), OWN_ERR_ALIGN);
    assert_int_equal(owner_add_ram(&map, RAM1, 0, more), OWN_ERR_ALIGN);
    assert_int_equal(owner_add_ram(&map, RAM0 + NPG0 * PAGE - PAGE, 4 * PAGE, more),
                     OWN_ERR_OVERLAP);
    assert_int_equal(map.nbanks, 1);
}

static void test_mmio_merge_and_round_out(void **state)
{
    (void)state;
    owner_init(&map);
    /* A 0x20-byte register block becomes its whole page. */
    assert_int_equal(owner_add_mmio(&map, 0x09000010, 0x20, OWNER_MMIO_VTL0, "uart"), OWN_OK);
    assert_int_equal(map.nmmio, 1);
    assert_int_equal(map.mmio[0].base, 0x09000000);
    assert_int_equal(map.mmio[0].size, PAGE);
    assert_string_equal(map.mmio[0].name, "uart");
    /* Straddling a page boundary rounds out on both sides. */
    assert_int_equal(owner_add_mmio(&map, 0x09010ff0, 0x20, OWNER_MMIO_VTL0, "rtc"), OWN_OK);
    assert_int_equal(map.mmio[1].base, 0x09010000);
    assert_int_equal(map.mmio[1].size, 2 * PAGE);
    /* Overlapping the first with the same owner merges into one range. */
    assert_int_equal(owner_add_mmio(&map, 0x09000800, 0x1000, OWNER_MMIO_VTL0, "uart2"), OWN_OK);
    assert_int_equal(map.nmmio, 2);
    assert_int_equal(map.mmio[0].base, 0x09000000);
    assert_int_equal(map.mmio[0].size, 2 * PAGE);
    /* One range spanning both swallows them. */
    assert_int_equal(owner_add_mmio(&map, 0x09001000, 0x10000, OWNER_MMIO_VTL0, "all"), OWN_OK);
    assert_int_equal(map.nmmio, 1);
    assert_int_equal(map.mmio[0].base, 0x09000000);
    assert_int_equal(map.mmio[0].size, 0x12000);
    assert_int_equal(owner_of(&map, 0x09011fff), OWNER_MMIO_VTL0);
    assert_int_equal(owner_of(&map, 0x09012000), OWNER_NONE);
    /* Only device owners are accepted. */
    assert_int_equal(owner_add_mmio(&map, 0x0a000000, PAGE, OWNER_VTL0, "x"), OWN_ERR_ILLEGAL);
    assert_int_equal(owner_add_mmio(&map, 0x0a000000, 0, OWNER_MMIO_HV, "x"), OWN_ERR_ALIGN);
    assert_int_equal(map.nmmio, 1);
}

static void test_mmio_overlap_refused(void **state)
{
    (void)state;
    /* bank 0 is RAM at RAM0 (setup) */
    assert_int_equal(owner_add_mmio(&map, 0x09050000, 0x20000, OWNER_MMIO_HV, "smmu"), OWN_OK);
    assert_int_equal(owner_add_mmio(&map, 0x0906f000, 0x2000, OWNER_MMIO_VTL0, "dev"),
                     OWN_ERR_OVERLAP);
    assert_int_equal(owner_add_mmio(&map, 0x09040000, 0x10001, OWNER_MMIO_VTL0, "dev"),
                     OWN_ERR_OVERLAP);
    assert_int_equal(map.nmmio, 1);
    assert_int_equal(map.mmio[0].size, 0x20000);
    assert_int_equal(owner_of(&map, 0x09040000), OWNER_NONE);
    /* Device ranges may not cover RAM, by a single byte or whole. */
    assert_int_equal(owner_add_mmio(&map, RAM0 - 0x10, 0x11, OWNER_MMIO_VTL0, "x"),
                     OWN_ERR_OVERLAP);
    assert_int_equal(owner_add_mmio(&map, RAM0 + PAGE, PAGE, OWNER_MMIO_HV, "x"),
                     OWN_ERR_OVERLAP);
    assert_int_equal(map.nmmio, 1);
    assert_int_equal(owner_of(&map, RAM0 + PAGE), OWNER_VTL0);
    /* Nor RAM a device range. */
    uint8_t more[0x20];
    assert_int_equal(owner_add_ram(&map, 0x09040000, 0x20000, more), OWN_ERR_OVERLAP);
    assert_int_equal(map.nbanks, 1);
    assert_int_equal(owner_add_mmio(&map, 0x09040000, 0x10000, OWNER_MMIO_VTL0, "ok"), OWN_OK);
    assert_int_equal(map.nmmio, 2);
}

static void test_runs_in_address_order(void **state)
{
    (void)state;
    owner_init(&map);
    /* Banks and devices added out of order, devices between banks. */
    assert_int_equal(owner_add_ram(&map, RAM1, NPG1 * PAGE, st1), OWN_OK);
    assert_int_equal(owner_add_mmio(&map, 0x50000000, PAGE, OWNER_MMIO_HV, "mid"), OWN_OK);
    assert_int_equal(owner_add_ram(&map, RAM0, 8 * PAGE, st0), OWN_OK);
    assert_int_equal(owner_add_mmio(&map, 0x100000000ull, 3 * PAGE, OWNER_MMIO_VTL0, "high"),
                     OWN_OK);
    assert_int_equal(owner_add_mmio(&map, 0x09000000, PAGE, OWNER_MMIO_VTL0, "low"), OWN_OK);
    assert_int_equal(owner_transition(&map, RAM0 + 2 * PAGE, 2 * PAGE, OWNER_VTL0, OWNER_VTL1),
                     OWN_OK);
    assert_int_equal(owner_transition(&map, RAM0 + 7 * PAGE, PAGE, OWNER_VTL0, OWNER_HV),
                     OWN_OK);
    assert_int_equal(owner_transition(&map, RAM1, PAGE, OWNER_VTL0, OWNER_VTL1), OWN_OK);
    assert_int_equal(owner_transition(&map, RAM1, PAGE, OWNER_VTL1, OWNER_VTL0), OWN_OK);

    static const struct {
        uint64_t base, size;
        uint8_t owner, access;
        const char *name;
    } want[] = {
        { 0x09000000, PAGE, OWNER_MMIO_VTL0, OVBS_ACC_R | OVBS_ACC_W, "low" },
        { RAM0, 2 * PAGE, OWNER_VTL0, OVBS_ACC_RWX, NULL },
        { RAM0 + 2 * PAGE, 2 * PAGE, OWNER_VTL1, 0, NULL },
        { RAM0 + 4 * PAGE, 3 * PAGE, OWNER_VTL0, OVBS_ACC_RWX, NULL },
        { RAM0 + 7 * PAGE, PAGE, OWNER_HV, 0, NULL },
        { 0x50000000, PAGE, OWNER_MMIO_HV, 0, "mid" },
        { RAM1, NPG1 * PAGE, OWNER_VTL0, OVBS_ACC_RWX, NULL }, /* released page merges */
        { 0x100000000ull, 3 * PAGE, OWNER_MMIO_VTL0, OVBS_ACC_R | OVBS_ACC_W, "high" },
    };
    unsigned n = sizeof(want) / sizeof(want[0]);
    struct own_run r;
    for (unsigned i = 0; i < n; i++) {
        memset(&r, 0, sizeof(r));
        assert_true(owner_run(&map, i, &r));
        assert_int_equal(r.base, want[i].base);
        assert_int_equal(r.size, want[i].size);
        assert_int_equal(r.owner, want[i].owner);
        assert_int_equal(r.access, want[i].access);
        if (want[i].name)
            assert_string_equal(r.name, want[i].name);
        else
            assert_null(r.name);
    }
    assert_false(owner_run(&map, n, &r));
    assert_false(owner_run(&map, n + 5, &r));

    /* The iterator yields the same sequence. */
    struct own_iter it;
    unsigned count = 0;
    for (owner_iter_init(&it); owner_iter_next(&map, &it, &r); count++)
        assert_int_equal(r.base, want[count].base);
    assert_int_equal(count, n);
}

/* Runs are found eight state bytes at a time once aligned: check them
 * against a byte-by-byte reference, with the state array deliberately
 * misaligned and single-page runs at and around 8-byte boundaries. */
static void test_long_runs_match_reference(void **state)
{
    (void)state;
    enum { PAGES = 1000 };
    static uint64_t storage[PAGES / 8 + 2];
    uint8_t *st = (uint8_t *)storage + 3;
    owner_init(&map);
    assert_int_equal(owner_add_ram(&map, RAM0, PAGES * PAGE, st), OWN_OK);
    static const unsigned single[] = { 0, 4, 5, 7, 8, 9, 63, 64, 71, 500, 998, 999 };
    for (unsigned i = 0; i < sizeof(single) / sizeof(single[0]); i++)
        assert_int_equal(owner_transition(&map, RAM0 + single[i] * PAGE, PAGE, OWNER_VTL0,
                                          OWNER_VTL1), OWN_OK);
    assert_int_equal(owner_transition(&map, RAM0 + 100 * PAGE, 300 * PAGE, OWNER_VTL0,
                                      OWNER_VTL1), OWN_OK);
    struct own_iter it;
    struct own_run r;
    unsigned page = 0, runs = 0;
    for (owner_iter_init(&it); owner_iter_next(&map, &it, &r); runs++) {
        unsigned end = page;
        while (end < PAGES && st[end] == st[page])
            end++;
        assert_int_equal(r.base, RAM0 + page * PAGE);
        assert_int_equal(r.size, (uint64_t)(end - page) * PAGE);
        page = end;
    }
    assert_int_equal(page, PAGES);
    assert_int_equal(runs, 15); /* 8 runs of VTL1 pages, 7 of VTL0 between them */
}

static void test_owner_of_and_vtl0_access(void **state)
{
    (void)state;
    assert_int_equal(owner_add_mmio(&map, 0x09000000, PAGE, OWNER_MMIO_VTL0, "uart"), OWN_OK);
    assert_int_equal(owner_add_mmio(&map, 0x09050000, 0x20000, OWNER_MMIO_HV, "smmu"), OWN_OK);
    assert_int_equal(owner_transition(&map, RAM0, PAGE, OWNER_VTL0, OWNER_HV), OWN_OK);
    assert_int_equal(owner_transition(&map, RAM0 + PAGE, PAGE, OWNER_VTL0, OWNER_VTL1), OWN_OK);

    assert_int_equal(owner_of(&map, RAM0), OWNER_HV);
    assert_int_equal(owner_vtl0_access(&map, RAM0), 0);
    assert_int_equal(owner_of(&map, RAM0 + PAGE), OWNER_VTL1);
    assert_int_equal(owner_vtl0_access(&map, RAM0 + PAGE), 0);
    assert_int_equal(owner_of(&map, RAM0 + 2 * PAGE), OWNER_VTL0);
    assert_int_equal(owner_vtl0_access(&map, RAM0 + 2 * PAGE), OVBS_ACC_RWX);
    assert_int_equal(owner_of(&map, 0x09000abc), OWNER_MMIO_VTL0);
    assert_int_equal(owner_vtl0_access(&map, 0x09000abc), OVBS_ACC_R | OVBS_ACC_W);
    assert_int_equal(owner_of(&map, 0x0906ffff), OWNER_MMIO_HV);
    assert_int_equal(owner_vtl0_access(&map, 0x0906ffff), 0);
    /* Holes: between devices, just past a device, far away. */
    assert_int_equal(owner_of(&map, 0x09001000), OWNER_NONE);
    assert_int_equal(owner_of(&map, 0x09070000), OWNER_NONE);
    assert_int_equal(owner_of(&map, 0xffffffff00000000ull), OWNER_NONE);
    assert_int_equal(owner_vtl0_access(&map, 0x09001000), 0);

    assert_string_equal(owner_name(OWNER_VTL1), "vtl1");
    assert_string_equal(owner_name(OWNER_MMIO_HV), "mmio-hv");
    assert_string_equal(owner_name(200), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_add_ram_starts_vtl0_rwx, setup_one_bank),
        cmocka_unit_test_setup(test_claim_for_hv_only_during_boot, setup_one_bank),
        cmocka_unit_test_setup(test_vtl0_vtl1_both_ways, setup_one_bank),
        cmocka_unit_test_setup(test_forbidden_transitions, setup_one_bank),
        cmocka_unit_test_setup(test_partial_wrong_state_changes_nothing, setup_one_bank),
        cmocka_unit_test_setup(test_not_ram_and_alignment, setup_one_bank),
        cmocka_unit_test(test_mmio_merge_and_round_out),
        cmocka_unit_test_setup(test_mmio_overlap_refused, setup_one_bank),
        cmocka_unit_test(test_runs_in_address_order),
        cmocka_unit_test(test_long_runs_match_reference),
        cmocka_unit_test_setup(test_owner_of_and_vtl0_access, setup_one_bank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
