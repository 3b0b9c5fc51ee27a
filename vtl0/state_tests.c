/* state_tests.c: architectural state at the trust boundaries, tried from
 * VTL0 (EL1 of VTL0) with a hostile, signed trustlet (trustlets/regspy):
 * FP/SIMD and thread registers between trustlets, the secure kernel and
 * VTL0; registers a trustlet or VTL1 must not reach; registers one copy of
 * which would serve both VTLs. docs/state-inventory.md names each test. */
#include <string.h>
#include "arm64/fpsimd.h"
#include "arm64/sysreg.h"
#include "kernel.h"
#include "openvbs/regspy.h"
#include "openvbs/trustlet.h"
#include "vsm_tests.h"

extern const uint8_t tl_regspy_a_start[], tl_regspy_a_end[];
extern const uint8_t tl_regspy_b_start[], tl_regspy_b_end[];
extern const uint8_t tl_keyholder_start[], tl_keyholder_end[];

#define KEYHOLDER_ID 0x0ec40002ull
#define MARK_A       0xa11ce0000000000aull
#define MARK_B       0xb0b000000000000bull
#define MARK_VTL0    0x7e1000000000000full
#define ISR_A        (1ull << 8) /* ISR_EL1.A: an SError (here virtual) is pending */

static uint64_t load_image(const uint8_t *start, const uint8_t *end)
{
    struct hv_result r = vcall(SC_TL_LOAD, pa(start), (uint64_t)(end - start), 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : 0;
}

struct spy {
    uint64_t id;
    const uint8_t *start, *end;
    uint64_t handle, session;
};

static bool spy_load(struct spy *s)
{
    s->handle = load_image(s->start, s->end);
    s->session = s->handle ? tl_open_session(s->id) : 0;
    return s->session != 0;
}

static void spy_unload(struct spy *s)
{
    if (s->handle)
        vcall(SC_TL_UNLOAD, s->handle, 0, 0);
    s->handle = s->session = 0;
}

static bool spy_plant(const struct spy *s, uint64_t marker)
{
    struct hv_result r = tl_invoke(s->session, REGSPY_PLANT, &marker, sizeof(marker));
    return r.x0 == HV_STATUS_SUCCESS && r.x1 == 0;
}

static bool spy_dump(const struct spy *s, struct regspy_dump *d)
{
    struct hv_result r = tl_invoke(s->session, REGSPY_DUMP, "", 0);
    if (r.x0 != HV_STATUS_SUCCESS || r.x1 != 0 || r.x2 != sizeof(*d))
        return false;
    memcpy(d, tl_reply_buf, sizeof(*d));
    return true;
}

/* A new instance: every register it can read is zero. */
static bool is_fresh(const struct regspy_dump *d)
{
    static const struct regspy_dump zero;
    return !memcmp(d, &zero, sizeof(*d));
}

/* Exactly what PLANT(marker) left: nothing of anyone else came in, and
 * nothing of its own was lost. */
static bool is_own(const struct regspy_dump *d, uint64_t marker)
{
    struct regspy_dump want;
    regspy_pattern(marker, &want);
    return !memcmp(d, &want, sizeof(*d));
}

/* How many 64-bit words of `d` carry `marker`'s pattern (for the log). */
static unsigned words_of(const struct regspy_dump *d, uint64_t marker)
{
    struct regspy_dump p;
    regspy_pattern(marker, &p);
    unsigned n = 0;
    for (unsigned i = 0; i < 64; i++) {
        for (unsigned j = 0; j < 64; j++)
            n += d->q[i] == p.q[j];
    }
    return n + (d->tpidr_el0 == marker);
}

/* Crypto between the spies' calls: the key holder makes a P-256 key (its
 * own BearSSL at EL0) and seals it (the secure kernel's ChaCha20-Poly1305
 * and HMAC at EL1, with the sealing key in q registers). */
static bool key_holder_works(void)
{
    uint64_t h = load_image(tl_keyholder_start, tl_keyholder_end);
    uint64_t s = h ? tl_open_session(KEYHOLDER_ID) : 0;
    bool ok = s && tl_invoke(s, 0, "", 0).x0 == HV_STATUS_SUCCESS &&
              tl_invoke(s, 2, "", 0).x2 == 32 + 28;
    if (h)
        vcall(SC_TL_UNLOAD, h, 0, 0);
    return ok;
}

/* VTL0's own FP/SIMD registers, planted before the calls and compared after:
 * the hypervisor keeps them (this kernel's C code never touches them). */
static void vtl0_plant(struct fpsimd_state *fp)
{
    struct regspy_dump d;
    regspy_pattern(MARK_VTL0, &d);
    memcpy(fp->q, d.q, sizeof(fp->q));
    fp->fpsr = d.fpsr;
    fp->fpcr = d.fpcr;
    fpsimd_restore(fp);
}

bool a_tl_register_spy(void)
{
    static struct regspy_dump d;
    static struct fpsimd_state mine, after;
    struct spy a = { REGSPY_A_ID, tl_regspy_a_start, tl_regspy_a_end, 0, 0 };
    struct spy b = { REGSPY_B_ID, tl_regspy_b_start, tl_regspy_b_end, 0, 0 };
    bool loaded = spy_load(&a) && spy_load(&b);
    bool fresh = spy_dump(&a, &d) && is_fresh(&d) && spy_dump(&b, &d) && is_fresh(&d);
    bool planted = spy_plant(&a, MARK_A) && spy_plant(&b, MARK_B);
    bool crypto = key_holder_works();
    vtl0_plant(&mine);
    bool a_own = spy_dump(&a, &d) && is_own(&d, MARK_A);
    unsigned a_foreign = words_of(&d, MARK_B) + words_of(&d, MARK_VTL0);
    bool b_own = spy_dump(&b, &d) && is_own(&d, MARK_B);
    unsigned b_foreign = words_of(&d, MARK_A) + words_of(&d, MARK_VTL0);
    fpsimd_save(&after);
    bool vtl0_own = !memcmp(&mine, &after, sizeof(mine));
    fpsimd_wipe();
    /* A new instance where B was: nothing of B, A or the key holder. */
    spy_unload(&b);
    bool reloaded = spy_load(&b) && spy_dump(&b, &d) && is_fresh(&d);
    spy_unload(&a);
    spy_unload(&b);
    kprintf("    spies loaded %d, fresh %d, planted %d, key holder %d; A keeps its own %d "
            "(%u foreign words), B %d (%u), VTL0 %d, new instance zeroed %d\n", loaded,
            fresh, planted, crypto, a_own, a_foreign, b_own, b_foreign, vtl0_own, reloaded);
    return note(loaded && fresh && planted && crypto && a_own && b_own && vtl0_own && reloaded,
                "each trustlet sees only its own FP/SIMD and TPIDR_EL0 values, zero at start");
}

/* Registers of the machine a trustlet must not reach: the PMU (VTL0 opens
 * it to EL0 first, in PMUSERENR_EL0, which both VTLs share), the EL1
 * physical timer and the counters (VTL0 opens them to its own EL0 in its
 * CNTKCTL_EL1), SCXTNUM_EL0, TPIDR2_EL0. Each read kills the spy. */
bool a_tl_forbidden_registers(void)
{
    uint64_t cntkctl = READ_SYSREG(cntkctl_el1);
    WRITE_SYSREG(pmuserenr_el0, 0xf);                   /* EN, SW, CR, ER */
    WRITE_SYSREG(cntkctl_el1, cntkctl | 0x303);         /* EL0PCTEN/VCTEN/VTEN/PTEN */
    isb();
    unsigned tried = 0, killed = 0;
    for (uint64_t cmd = REGSPY_FIRST_FORBIDDEN; cmd <= REGSPY_LAST_FORBIDDEN; cmd++) {
        struct spy s = { REGSPY_A_ID, tl_regspy_a_start, tl_regspy_a_end, 0, 0 };
        if (!spy_load(&s))
            break;
        tried++;
        struct hv_result r = tl_invoke(s.session, cmd, "", 0);
        if (r.x0 == TL_ST_DEAD)
            killed++;
        else
            kprintf("    spy command %lu got through: status 0x%lx value 0x%lx\n", cmd, r.x0,
                    *(uint64_t *)tl_reply_buf);
        spy_unload(&s);
    }
    WRITE_SYSREG(pmuserenr_el0, 0);
    WRITE_SYSREG(cntkctl_el1, cntkctl);
    isb();
    kprintf("    %u of %u forbidden register reads killed the trustlet\n", killed, tried);
    return note(tried == REGSPY_LAST_FORBIDDEN - REGSPY_FIRST_FORBIDDEN + 1 && killed == tried,
                "a trustlet reading the PMU, timers, SCXTNUM or TPIDR2, or using SVE/SME, is killed");
}

/* VtlCall with NZCV set: the flags VTL0 had come back unchanged. */
static uint64_t nzcv_across_call(uint64_t flags)
{
    register uint64_t x0 __asm__("x0") = OVBS_VTL_CALL;
    register uint64_t x1 __asm__("x1") = SC_NULL;
    uint64_t after;
    __asm__ volatile("msr nzcv, %3\n hvc #0\n mrs %2, nzcv"
                     : "+r"(x0), "+r"(x1), "=&r"(after)
                     : "r"(flags)
                     : "x2", "x3", "memory", "cc");
    return after;
}

/* State the hardware has once for both VTLs. VTL0 plants values; VTL1
 * (SC_STATE_PROBE) must be unable to read the EL1 physical timer, the PMU,
 * ACTLR_EL1 and SCXTNUM, and to send a physical SGI; TPIDR2_EL0 (with SME) and the pointer-auth keys
 * are switched, so VTL1 sees its own and its TPIDR2 marker never reaches
 * VTL0. VTL0 itself cannot use ACTLR_EL1, SCXTNUM_EL1, SVE or SME either,
 * nor send a physical SGI. */
bool a_vtl1_shared_registers(void)
{
    const uint64_t mark = 0x5a5a00005a5a0000ull;
    uint64_t features = hvc(OVBS_HV_INFO, 0, 0, 0).x1;
    bool tpidr2 = features & OVBS_FEAT_TPIDR2, pauth = features & OVBS_FEAT_PAUTH;
    uint64_t apia = pauth ? READ_SYSREG(s3_0_c2_c1_0) : 0;
    if (pauth)
        WRITE_SYSREG(s3_0_c2_c1_0, mark); /* APIAKeyLo_EL1: unused here */
    WRITE_SYSREG(cntp_cval_el0, mark);
    WRITE_SYSREG(cntp_ctl_el0, 3); /* ENABLE with IMASK: no interrupt */
    WRITE_SYSREG(pmuserenr_el0, 0xf);
    if (tpidr2)
        WRITE_SYSREG(s3_3_c13_c0_5, mark);
    isb();
    uint64_t vserror0 = READ_SYSREG(isr_el1) & ISR_A; /* with hv.selftest=vserror */
    struct hv_result r = vcall(SC_STATE_PROBE, mark, mark, 0); /* VTL1 compares, tells only */
    bool blocked = r.x0 == HV_STATUS_SUCCESS && (r.x1 & 0xffffffffu) == 0;
    uint64_t vserror1 = (r.x1 >> 32) & ISR_A;
    bool vserror_own = !vserror1 && (READ_SYSREG(isr_el1) & ISR_A) == vserror0;
    bool keys = !pauth || (!(r.x2 & 1) && READ_SYSREG(s3_0_c2_c1_0) == mark);
    if (pauth)
        WRITE_SYSREG(s3_0_c2_c1_0, apia);
    bool tp2 = !tpidr2 || (!(r.x2 & 2) && READ_SYSREG(s3_3_c13_c0_5) == mark);
    bool kept = READ_SYSREG(cntp_cval_el0) == mark && READ_SYSREG(pmuserenr_el0) == 0xf;
    WRITE_SYSREG(cntp_ctl_el0, 0);
    WRITE_SYSREG(pmuserenr_el0, 0);
    if (tpidr2)
        WRITE_SYSREG(s3_3_c13_c0_5, 0);
    uint64_t flags = nzcv_across_call(0xa0000000ull);
    unsigned before = this_cpu()->fault.count;
    /* The hypervisor's reserved SGI, to every CPU (IRM): refused without a
     * fault, and counted. */
    uint64_t sgis_refused = hvc(OVBS_HV_EVENT_COUNT, OVBS_EV_SGI_REFUSED, 0, 0).x1;
    bool vtl0_trapped = probe_mrs_actlr() == PROBE_FAULT_VALUE &&
                        probe_mrs_scxtnum() == PROBE_FAULT_VALUE &&
                        probe_sve() == PROBE_FAULT_VALUE && probe_sme() == PROBE_FAULT_VALUE &&
                        probe_sgi(((uint64_t)OVBS_HV_RESERVED_SGI << 24) | (1ull << 40)) == 0 &&
                        this_cpu()->fault.count == before + 4 &&
                        hvc(OVBS_HV_EVENT_COUNT, OVBS_EV_SGI_REFUSED, 0, 0).x1 == sgis_refused + 1;
    kprintf("    VTL1 read mask 0x%lx of %u, PAuth key %s, TPIDR2 %s (%s VTL0's), VTL0 values "
            "kept %d, NZCV 0x%lx, ACTLR/SCXTNUM/SVE/SME/SGI trap in VTL0 %d\n", r.x1 & 0xffffffffu,
            SC_STATE_PROBES, keys ? "own" : "LEAKED", tpidr2 ? "switched" : "absent",
            (r.x2 & 2) ? "same as" : "not", kept, flags, vtl0_trapped);
    kprintf("    vSError pending: VTL0 %d, VTL1 %d\n", vserror0 != 0, vserror1 != 0);
    return note(blocked && keys && tp2 && kept && flags == 0xa0000000ull && vtl0_trapped &&
                    vserror_own,
                "VTL1 cannot read VTL0's physical timer, PMU, ACTLR, SCXTNUM; "
                "TPIDR2, keys, NZCV, vSError per VTL; no SVE/SME/SGI");
}
