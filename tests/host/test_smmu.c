/* test_smmu.c: host unit tests (cmocka) for the SMMUv3 structure encoders
 * (hv/smmu_desc.c): STEs (stage 1, stage 2, abort), the context
 * descriptor, level-1 descriptors, queue and stream-table registers,
 * commands and event decoding; runs on the build host. Every expected value
 * is spelled out field by field from the SMMUv3 architecture (IHI 0070). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "smmu_desc.h"

/* The field of `w` in bits hi:lo. */
static uint64_t field(uint64_t w, unsigned hi, unsigned lo)
{
    return (w >> lo) & ((2ull << (hi - lo)) - 1);
}

static void test_ste_stage1(void **state)
{
    (void)state;
    uint64_t ste[SMMU_STE_DWORDS];
    smmu_ste_s1(ste, 0x40123440ull, true);
    assert_int_equal(field(ste[0], 0, 0), 1);                 /* V */
    assert_int_equal(field(ste[0], 3, 1), 5);                 /* Config: S1 translate, S2 bypass */
    assert_int_equal(field(ste[0], 5, 4), 0);                 /* S1Fmt: one CD */
    assert_int_equal(ste[0] & 0x000fffffffffffc0ull, 0x40123440ull); /* S1ContextPtr */
    assert_int_equal(field(ste[0], 63, 59), 0);               /* S1CDMax 0: no substreams */
    assert_int_equal(field(ste[1], 1, 0), 0);                 /* S1DSS: terminate */
    assert_int_equal(field(ste[1], 3, 2), 1);                 /* S1CIR write-back */
    assert_int_equal(field(ste[1], 5, 4), 1);                 /* S1COR */
    assert_int_equal(field(ste[1], 7, 6), 3);                 /* S1CSH inner */
    assert_int_equal(field(ste[1], 27, 27), 0);               /* S1STALLD */
    assert_int_equal(field(ste[1], 29, 28), 0);               /* EATS: ATS off */
    assert_int_equal(field(ste[1], 31, 30), 0);               /* STRW: EL1 */
    assert_int_equal(field(ste[1], 45, 44), 1);               /* SHCFG: incoming */
    assert_int_equal(field(ste[1], 49, 48), 2);               /* PRIVCFG: unprivileged */
    assert_int_equal(field(ste[1], 51, 50), 2);               /* INSTCFG: data */
    for (unsigned i = 2; i < SMMU_STE_DWORDS; i++)
        assert_int_equal(ste[i], 0);
    smmu_ste_s1(ste, 0x40123440ull, false);
    assert_int_equal(field(ste[1], 7, 2), 2u << 4);           /* NC walks, outer shareable */
}

static void test_ste_stage2(void **state)
{
    (void)state;
    uint64_t ste[SMMU_STE_DWORDS];
    struct smmu_s2_ctx c = { .ttb = 0x40abc000ull, .ia_bits = 44, .sl0 = 2, .ps = 4,
                             .vmid = 0x1234, .coherent = true };
    smmu_ste_s2(ste, &c);
    assert_int_equal(field(ste[0], 0, 0), 1);
    assert_int_equal(field(ste[0], 3, 1), 6);                 /* S1 bypass, S2 translate */
    assert_int_equal(field(ste[1], 29, 28), 0);               /* EATS */
    assert_int_equal(field(ste[1], 49, 48), 2);
    assert_int_equal(field(ste[2], 15, 0), 0x1234);           /* S2VMID */
    assert_int_equal(field(ste[2], 37, 32), 20);              /* S2T0SZ = 64 - 44 */
    assert_int_equal(field(ste[2], 39, 38), 2);               /* S2SL0: level 0 */
    assert_int_equal(field(ste[2], 41, 40), 1);               /* S2IR0 */
    assert_int_equal(field(ste[2], 43, 42), 1);               /* S2OR0 */
    assert_int_equal(field(ste[2], 45, 44), 3);               /* S2SH0 */
    assert_int_equal(field(ste[2], 47, 46), 0);               /* S2TG 4 KiB */
    assert_int_equal(field(ste[2], 50, 48), 4);               /* S2PS 44 bits */
    assert_int_equal(field(ste[2], 51, 51), 1);               /* S2AA64 */
    assert_int_equal(field(ste[2], 52, 52), 0);               /* S2ENDI little */
    assert_int_equal(field(ste[2], 54, 54), 1);               /* S2PTW */
    assert_int_equal(field(ste[2], 57, 57), 0);               /* S2S: never stall */
    assert_int_equal(field(ste[2], 58, 58), 1);               /* S2R: record faults */
    assert_int_equal(ste[3], 0x40abc000ull);                  /* S2TTB */
}

static void test_ste_abort(void **state)
{
    (void)state;
    uint64_t ste[SMMU_STE_DWORDS];
    smmu_ste_abort(ste);
    assert_int_equal(ste[0], 1);                              /* V, Config 0b000 */
    for (unsigned i = 1; i < SMMU_STE_DWORDS; i++)
        assert_int_equal(ste[i], 0);
}

static void test_cd_stage1(void **state)
{
    (void)state;
    uint64_t cd[SMMU_CD_DWORDS];
    struct smmu_s1_ctx c = { .ttb0 = 0x40fff000ull, .ia_bits = 44, .ips = 4, .asid = 1,
                             .mair = 0x04ff, .coherent = true };
    smmu_cd_s1(cd, &c);
    assert_int_equal(field(cd[0], 5, 0), 20);                 /* T0SZ */
    assert_int_equal(field(cd[0], 7, 6), 0);                  /* TG0 4 KiB */
    assert_int_equal(field(cd[0], 9, 8), 1);                  /* IR0 */
    assert_int_equal(field(cd[0], 11, 10), 1);                /* OR0 */
    assert_int_equal(field(cd[0], 13, 12), 3);                /* SH0 */
    assert_int_equal(field(cd[0], 14, 14), 0);                /* EPD0: TTB0 walks on */
    assert_int_equal(field(cd[0], 15, 15), 0);                /* ENDI little */
    assert_int_equal(field(cd[0], 30, 30), 1);                /* EPD1: no TTB1 */
    assert_int_equal(field(cd[0], 31, 31), 1);                /* V */
    assert_int_equal(field(cd[0], 34, 32), 4);                /* IPS */
    assert_int_equal(field(cd[0], 39, 38), 0);                /* TBI off */
    assert_int_equal(field(cd[0], 41, 41), 1);                /* AA64 */
    assert_int_equal(field(cd[0], 43, 42), 0);                /* HD, HA off */
    assert_int_equal(field(cd[0], 44, 44), 0);                /* S: no stall */
    assert_int_equal(field(cd[0], 45, 45), 1);                /* R: record faults */
    assert_int_equal(field(cd[0], 46, 46), 1);                /* A: abort */
    assert_int_equal(field(cd[0], 63, 48), 1);                /* ASID */
    assert_int_equal(cd[1], 0x40fff000ull);                   /* TTB0 */
    assert_int_equal(cd[2], 0);                               /* TTB1 */
    assert_int_equal(cd[3], 0x04ff);                          /* MAIR */
}

static void test_l1_desc_and_registers(void **state)
{
    (void)state;
    assert_int_equal(smmu_l1_desc(0x40002000ull, 6), 0x40002000ull | 7); /* Span 7: 64 STEs */
    assert_int_equal(field(smmu_l1_desc(0x40002040ull, 8), 4, 0), 9);
    uint32_t cfg = smmu_strtab_cfg_2lvl(16, 6);
    assert_int_equal(field(cfg, 5, 0), 16);                   /* LOG2SIZE */
    assert_int_equal(field(cfg, 10, 6), 6);                   /* SPLIT */
    assert_int_equal(field(cfg, 17, 16), 1);                  /* FMT two-level */
    uint64_t q = smmu_queue_base(0x40005000ull, 8, true);
    assert_int_equal(field(q, 4, 0), 8);
    assert_int_equal(q & 0x000fffffffffffe0ull, 0x40005000ull);
    assert_int_equal(field(q, 62, 62), 1);                    /* RA/WA */
    assert_int_equal(field(smmu_queue_base(0x40005000ull, 7, false), 62, 62), 0);
}

static void test_commands(void **state)
{
    (void)state;
    uint64_t c[SMMU_CMD_DWORDS];
    smmu_cmd_cfgi_all(c);
    assert_int_equal(c[0], 0x04);
    assert_int_equal(c[1], 31);                               /* Range 31: all StreamIDs */
    smmu_cmd_tlbi_nh_asid(c, 0xbeef);
    assert_int_equal(field(c[0], 7, 0), 0x11);
    assert_int_equal(field(c[0], 63, 48), 0xbeef);
    assert_int_equal(c[1], 0);
    smmu_cmd_tlbi_nsnh_all(c);
    assert_int_equal(c[0], 0x30);
    smmu_cmd_tlbi_s12_vmall(c, 7);
    assert_int_equal(field(c[0], 7, 0), 0x28);
    assert_int_equal(field(c[0], 47, 32), 7);
    smmu_cmd_sync(c);
    assert_int_equal(c[0], 0x46);                             /* CS = 0: no signal */
    assert_int_equal(c[1], 0);
    assert_string_equal(smmu_cmd_name(SMMU_OP_TLBI_NH_ASID), "TLBI_NH_ASID");
    assert_string_equal(smmu_cmd_name(0x7f), "?");
}

static void test_event_decode(void **state)
{
    (void)state;
    struct smmu_event e;
    /* F_PERMISSION for StreamID 0x0108 (01:01.0), a write at 0x41000800. */
    uint64_t perm[SMMU_EVT_DWORDS] = { 0x13 | (0x0108ull << 32), 0, 0x41000800ull, 0 };
    smmu_event_decode(perm, &e);
    assert_int_equal(e.type, SMMU_EVT_F_PERMISSION);
    assert_int_equal(e.sid, 0x0108);
    assert_int_equal(e.addr, 0x41000800ull);
    assert_true(e.write);
    /* F_TRANSLATION, RnW set (a read). */
    uint64_t tr[SMMU_EVT_DWORDS] = { 0x10 | (0x8ull << 32), 1ull << 35, 0x40200000ull, 0 };
    smmu_event_decode(tr, &e);
    assert_int_equal(e.type, SMMU_EVT_F_TRANSLATION);
    assert_int_equal(e.sid, 8);
    assert_int_equal(e.addr, 0x40200000ull);
    assert_false(e.write);
    /* C_BAD_STE has no address and no direction. */
    uint64_t bad[SMMU_EVT_DWORDS] = { 0x04 | (0xffffull << 32), 0, 0x1234, 0 };
    smmu_event_decode(bad, &e);
    assert_int_equal(e.sid, 0xffff);
    assert_int_equal(e.addr, 0);
    assert_false(e.write);
    assert_string_equal(smmu_event_name(SMMU_EVT_F_TRANSLATION), "F_TRANSLATION");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ste_stage1),
        cmocka_unit_test(test_ste_stage2),
        cmocka_unit_test(test_ste_abort),
        cmocka_unit_test(test_cd_stage1),
        cmocka_unit_test(test_l1_desc_and_registers),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_event_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
