/* tests.c: the VTL0 test kernel's named tests (EL1 of VTL0). Functional
 * checks of the hypercall interface, then attacks: each tries something the
 * threat model forbids and passes only if the hypervisor (or the CPU) blocked
 * it and VTL0 kept running. Aborts the hypervisor injects arrive as
 * synchronous external aborts (FSC 0x10), which our own stage 1 never
 * reports; the hypervisor also counts each one it injects, which tells its
 * aborts from QEMU's own for an address no device claims. */
#include <string.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pgtable.h"
#include "smp_tests.h"
#include "vsm_tests.h"

static char detail[160];

bool note(bool ok, const char *msg)
{
    unsigned i = 0;
    while (msg[i] && i < sizeof(detail) - 1) {
        detail[i] = msg[i];
        i++;
    }
    detail[i] = '\0';
    return ok;
}

/* ---- helpers ----------------------------------------------------------- */

struct run {
    uint64_t base, size;
    unsigned owner, access;
};

static bool memmap_entry(unsigned i, struct run *r)
{
    struct hv_result res = hvc(OVBS_HV_MEMMAP_ENTRY, i, 0, 0);
    if (res.x0 != HV_STATUS_SUCCESS)
        return false;
    r->base = res.x1;
    r->size = res.x2;
    r->owner = res.x3 & 0xff;
    r->access = (res.x3 >> 8) & 0xff;
    return true;
}

/* The first (or last) range the hypervisor reports for `owner`; base 0 if
 * there is none. */
uint64_t owned_base(unsigned owner, bool last, uint64_t *size)
{
    struct run r, found = { 0, 0, 0, 0 };
    for (unsigned i = 0; memmap_entry(i, &r); i++) {
        if (r.owner == owner && (last || !found.size))
            found = r;
    }
    if (size)
        *size = found.size;
    return found.base;
}

static bool find_owned(unsigned owner, unsigned nth, struct run *out)
{
    struct run r;
    for (unsigned i = 0; memmap_entry(i, &r); i++) {
        if (r.owner == owner && nth-- == 0) {
            *out = r;
            return true;
        }
    }
    return false;
}

static bool blocked_by_stage2(uint64_t value, unsigned before, unsigned ec)
{
    return value == PROBE_FAULT_VALUE && this_cpu()->fault.count == before + 1 &&
           ESR_EC(this_cpu()->fault.esr) == ec && ISS_FSC(this_cpu()->fault.esr) == FSC_SYNC_EXT_ABORT;
}

/* Aborts the hypervisor has injected since boot: it records each in its
 * event ring (OVBS_EV_STAGE2_ABORT, stage2_abort in hv/trap.c). An FSC of
 * 0x10 alone does not prove stage 2 stopped an access: QEMU reports an
 * access to an address no device claims the same way. The counter rising
 * by one per access does. */
static uint64_t aborts_injected(void)
{
    struct hv_result r = hvc(OVBS_HV_EVENT_COUNT, OVBS_EV_STAGE2_ABORT, 0, 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : ~0ull;
}

/* Map `pa` into our own stage 1 the way an attacker in VTL0 would. */
static bool map_target(uint64_t pa, bool device)
{
    return mmu_map(pa & ~0xfffull, 4096, PT_R | PT_W | (device ? PT_DEVICE : PT_XK));
}

/* Read `pa` from EL1 through our own stage 1; true if stage 2 stopped it
 * (the hypervisor injected a synchronous external abort). */
bool read_blocked(uint64_t pa)
{
    if (!map_target(pa, false))
        return false;
    unsigned before = this_cpu()->fault.count;
    uint64_t injected = aborts_injected();
    return blocked_by_stage2(probe_load(pa), before, EC_DABT_CUR) &&
           aborts_injected() == injected + 1;
}

enum access_kind { ACC_READ, ACC_WRITE, ACC_EXEC, ACC_ZVA };

static bool attack_range(unsigned owner, enum access_kind kind, bool device)
{
    struct run r;
    unsigned tried = 0;
    uint64_t injected = aborts_injected();
    for (unsigned n = 0; find_owned(owner, n, &r); n++) {
        uint64_t targets[2] = { r.base, r.base + r.size - 4096 };
        for (unsigned t = 0; t < 2; t++) {
            uint64_t a = targets[t];
            if (!map_target(a, device))
                return note(false, "could not map the target in our stage 1");
            unsigned before = this_cpu()->fault.count;
            uint64_t v;
            unsigned ec = EC_DABT_CUR;
            switch (kind) {
            case ACC_READ: v = probe_load(a); break;
            case ACC_WRITE: v = probe_store(a, 0x4141414141414141ull); break;
            case ACC_ZVA: v = probe_dc_zva(a); break;
            default:
                ec = EC_IABT_CUR;
                expect_exec_fault(a);
                v = probe_exec(a);
                break;
            }
            if (!blocked_by_stage2(v, before, ec)) {
                kprintf("    access to 0x%lx not blocked as expected (value 0x%lx ESR 0x%lx)\n",
                        a, v, this_cpu()->fault.esr);
                return note(false, "access was not blocked by stage 2");
            }
            tried++;
        }
    }
    if (!tried)
        return note(false, "no range with that owner to attack");
    if (aborts_injected() != injected + tried)
        return note(false, "an abort came, but not from the hypervisor's stage-2 handler");
    return note(true, "every access faulted: synchronous external abort injected by hv");
}

/* ---- functional tests -------------------------------------------------- */

static bool t_smccc_version(void)
{
    return note(hvc(SMCCC_VERSION, 0, 0, 0).x0 == SMCCC_VERSION_1_1, "SMCCC 1.1");
}

static bool t_smccc_arch_features(void)
{
    bool ok = hvc(SMCCC_ARCH_FEATURES, SMCCC_VERSION, 0, 0).x0 == 0 &&
              (int64_t)hvc(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1 | 0x7f00, 0, 0).x0 ==
                  SMCCC_RET_NOT_SUPPORTED;
    return note(ok, "known call reported, unknown call NOT_SUPPORTED");
}

/* What Linux asks at boot, through its PSCI conduit (SMC): PSCI_FEATURES
 * must report SMCCC_VERSION (else Linux assumes SMCCC 1.0 and its
 * arm_smccc_1_1 calls do nothing). QEMU's firmware has no SMCCC 1.1, so
 * no workaround is offered; SSBD (workaround 2) never is. TRNG_VERSION and
 * ARCH_SOC_ID are answered NOT_SUPPORTED as known calls: not counted as
 * refused unknown ones, which an unassigned ID still is. */
static bool t_smccc_linux_probes(void)
{
    uint64_t refused = event_count(false, OVBS_EV_CALL_REFUSED);
    bool ok = smc(PSCI_FEATURES, SMCCC_VERSION, 0, 0).x0 == 0 &&
              smc(SMCCC_VERSION, 0, 0, 0).x0 == SMCCC_VERSION_1_1;
    static const uint32_t not_offered[] = { SMCCC_ARCH_WORKAROUND_1, SMCCC_ARCH_WORKAROUND_2,
                                            SMCCC_ARCH_WORKAROUND_3, SMCCC_ARCH_SOC_ID };
    for (unsigned i = 0; i < sizeof(not_offered) / sizeof(not_offered[0]); i++)
        ok &= (int64_t)smc(SMCCC_ARCH_FEATURES, not_offered[i], 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED;
    ok &= (int64_t)smc(SMCCC_ARCH_WORKAROUND_1, 0, 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED &&
          (int64_t)smc(SMCCC_TRNG_VERSION, 0, 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED;
    bool quiet = event_count(false, OVBS_EV_CALL_REFUSED) == refused;
    bool unknown = (int64_t)smc(0x84000051u, 0, 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED &&
                   event_count(false, OVBS_EV_CALL_REFUSED) == refused + 1;
    kprintf("    SMCCC probes answered %s; known ones %s counted as refused; an unknown "
            "one %s\n", ok ? "right" : "WRONG", quiet ? "not" : "WRONGLY", unknown ? "is" : "is NOT");
    return note(ok && quiet && unknown, "PSCI_FEATURES(SMCCC_VERSION), workarounds not offered, "
                                        "TRNG_VERSION answered cleanly");
}

static uint64_t field(uint64_t v, unsigned lsb)
{
    return (v >> lsb) & 0xf;
}

/* VTL0's ID registers (HCR_EL2.TID3): features whose state the VTL switch
 * does not keep are hidden, the rest as the CPU has them (QEMU's max CPU
 * has SVE, SME and trace IDs, which must not show). */
static bool t_idregs_sanitized(void)
{
    uint64_t pfr0 = READ_SYSREG(id_aa64pfr0_el1), pfr1 = READ_SYSREG(id_aa64pfr1_el1);
    uint64_t dfr0 = READ_SYSREG(id_aa64dfr0_el1), isar0 = READ_SYSREG(id_aa64isar0_el1);
    uint64_t isar1 = READ_SYSREG(id_aa64isar1_el1);
    uint64_t zfr0 = READ_SYSREG(S3_0_C0_C4_4), smfr0 = READ_SYSREG(S3_0_C0_C4_5);
    uint64_t mmfr3 = READ_SYSREG(S3_0_C0_C7_3), unallocated = READ_SYSREG(S3_0_C0_C3_7);
    bool hidden = field(pfr0, 32) == 0 && field(pfr0, 44) == 0 && field(pfr0, 40) == 0 &&
                  field(pfr1, 24) == 0 && field(pfr1, 8) == 0 && zfr0 == 0 && smfr0 == 0 &&
                  field(dfr0, 4) == 0 && field(dfr0, 32) == 0 && field(dfr0, 44) == 0 &&
                  field(isar0, 24) == 0 && field(isar1, 60) == 0 && mmfr3 == 0 &&
                  unallocated == 0;
    bool debug_min = field(dfr0, 12) == 1 && field(dfr0, 20) == 1 && field(dfr0, 28) == 0;
    bool kept = field(pfr0, 16) != 0xf && field(pfr0, 24) == 1 && field(isar0, 4) != 0 &&
                field(isar0, 20) == 2 && field(dfr0, 0) >= 6 && field(dfr0, 8) != 0;
    kprintf("    ID_AA64PFR0 0x%lx PFR1 0x%lx DFR0 0x%lx ISAR0 0x%lx ZFR0 0x%lx SMFR0 0x%lx\n",
            pfr0, pfr1, dfr0, isar0, zfr0, smfr0);
    return note(hidden && debug_min && kept, "SVE, SME, MTE, AMU, MPAM, trace, SPE, TME, LS64 "
                                             "hidden; 2 breakpoints, 2 watchpoints; FP, GIC, "
                                             "AES, atomics, PMU shown");
}

static bool t_vendor_uid(void)
{
    struct hv_result r = hvc(OVBS_CALL_UID, 0, 0, 0);
    struct hv_result v = hvc(OVBS_CALL_REVISION, 0, 0, 0);
    bool ok = r.x0 == OVBS_UID_0 && r.x1 == OVBS_UID_1 && r.x2 == OVBS_UID_2 &&
              r.x3 == OVBS_UID_3 && v.x0 == OVBS_REVISION_MAJOR && v.x1 == OVBS_REVISION_MINOR;
    return note(ok, "UID and revision identify OpenVBS");
}

static bool t_hv_null_call(void)
{
    return note(hvc(OVBS_HV_NULL, 1, 2, 3).x0 == HV_STATUS_SUCCESS, "null call succeeds");
}

/* VTL0 may use the PMU, but never to time the hypervisor: with the cycle
 * counter filtered to EL2 only (PMCCFILTR_EL0: P, bit 31, and U, bit 30,
 * exclude EL1 and EL0; NSH, bit 27, includes EL2), a hundred hypercalls
 * must not move it (MDCR_EL2.HPMD and HCCD). */
static bool a_pmu_count_el2(void)
{
    WRITE_SYSREG(pmccfiltr_el0, (1ull << 31) | (1ull << 30) | (1ull << 27));
    WRITE_SYSREG(pmcntenset_el0, 1ull << 31);
    WRITE_SYSREG(pmcr_el0, READ_SYSREG(pmcr_el0) | 1); /* E */
    isb();
    uint64_t before = READ_SYSREG(pmccntr_el0);
    for (int i = 0; i < 100; i++)
        (void)hvc(OVBS_HV_NULL, 0, 0, 0);
    isb();
    uint64_t counted = READ_SYSREG(pmccntr_el0) - before;
    WRITE_SYSREG(pmccfiltr_el0, 0);
    kprintf("    cycles counted at EL2 over 100 hypercalls: %lu\n", counted);
    return note(counted == 0, "the cycle counter does not count at EL2");
}

/* The GIC must not become a way into VTL1's memory: with LPIs on, a
 * redistributor reads its pending table at the address in GICR_PENDBASER.
 * VTL0 tries to point both LPI tables at VTL1's memory and turn LPIs on;
 * the hypervisor emulates the control page and shows a GIC without LPIs. */
#define GICR_CTLR       0x00
#define GICR_TYPER      0x08
#define GICR_WAKER      0x14
#define GICR_PROPBASER  0x70
#define GICR_PENDBASER  0x78

static bool a_gic_lpi_tables(void)
{
    if (!gicr_base || !map_target(gicr_base, true))
        return note(false, "no redistributor to try");
    volatile uint32_t *r32 = (volatile uint32_t *)(uintptr_t)gicr_base;
    volatile uint64_t *r64 = (volatile uint64_t *)(uintptr_t)gicr_base;
    uint64_t vtl1 = owned_base(OWNER_VTL1, false, NULL);
    unsigned faults = this_cpu()->fault.count;
    uint64_t typer = r64[GICR_TYPER / 8];
    r64[GICR_PROPBASER / 8] = vtl1 | 0xf;   /* IDbits: 16 interrupt-ID bits */
    r64[GICR_PENDBASER / 8] = vtl1;
    r32[GICR_PROPBASER / 4 + 1] = (uint32_t)(vtl1 >> 32) | 0x10; /* upper halves alone */
    r32[GICR_PENDBASER / 4 + 1] = (uint32_t)(vtl1 >> 32) | 0x10;
    r32[GICR_CTLR / 4] = r32[GICR_CTLR / 4] | 1; /* EnableLPIs */
    uint64_t prop = r64[GICR_PROPBASER / 8], pend = r64[GICR_PENDBASER / 8];
    prop |= r32[GICR_PROPBASER / 4 + 1];
    pend |= r32[GICR_PENDBASER / 4 + 1];
    uint32_t ctlr = r32[GICR_CTLR / 4], waker = r32[GICR_WAKER / 4];
    kprintf("    TYPER 0x%lx PROPBASER 0x%lx PENDBASER 0x%lx CTLR 0x%x WAKER 0x%x\n", typer,
            prop, pend, ctlr, waker);
    bool ok = this_cpu()->fault.count == faults && (typer & 1) == 0 && prop == 0 && pend == 0 &&
              (ctlr & 1) == 0 && (typer >> 32) == (READ_SYSREG(mpidr_el1) & 0xffffff) &&
              (waker & 2) == 0;
    /* A 64-bit access to a 32-bit register (WAKER and the next one) is not
     * emulated: it is refused as an abort. */
    ok &= probe_load(gicr_base + GICR_WAKER - 4) == PROBE_FAULT_VALUE &&
          this_cpu()->fault.count == faults + 1;
    return note(ok, "VTL0 sees a GIC without LPIs; the tables stay unset");
}

/* Hardware debug belongs to neither VTL: VTL0 tries to arm breakpoint 0
 * on its own code and turn on debug exceptions (MDSCR_EL1.MDE, KDE); every
 * debug register reads back as zero and the breakpoint never fires. */
static void debug_target(void)
{
    __asm__ volatile("nop");
}

static bool a_debug_regs(void)
{
    uint64_t va = (uint64_t)(uintptr_t)&debug_target;
    unsigned before = this_cpu()->fault.count;
    WRITE_SYSREG(dbgbvr0_el1, va);
    WRITE_SYSREG(dbgbcr0_el1, (0xfull << 5) | (3u << 1) | 1); /* BAS all, EL1+EL0, enabled */
    WRITE_SYSREG(mdscr_el1, (1ull << 15) | (1ull << 13));     /* MDE, KDE */
    __asm__ volatile("msr daifclr, #8" ::: "memory");         /* unmask debug (D) */
    isb();
    debug_target();
    __asm__ volatile("msr daifset, #8" ::: "memory");
    uint64_t bvr = READ_SYSREG(dbgbvr0_el1), bcr = READ_SYSREG(dbgbcr0_el1);
    uint64_t mdscr = READ_SYSREG(mdscr_el1);
    kprintf("    DBGBVR0 0x%lx DBGBCR0 0x%lx MDSCR 0x%lx, debug exceptions taken: %u\n", bvr, bcr,
            mdscr, this_cpu()->fault.count - before);
    return note(bvr == 0 && bcr == 0 && mdscr == 0 && this_cpu()->fault.count == before,
                "debug registers read as zero; no breakpoint fired");
}

/* SMCCC 1.1: x4-x17 are preserved across a call. */
static bool t_hv_preserves_registers(void)
{
    register uint64_t x0 __asm__("x0") = OVBS_HV_NULL;
    register uint64_t x4 __asm__("x4") = 0x4444;
    register uint64_t x9 __asm__("x9") = 0x9999;
    register uint64_t x17 __asm__("x17") = 0x1717;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x4), "+r"(x9), "+r"(x17) : : "x1", "x2", "x3",
                     "memory");
    return note(x0 == 0 && x4 == 0x4444 && x9 == 0x9999 && x17 == 0x1717,
                "x4..x17 unchanged across a hypercall");
}

static bool t_hv_info(void)
{
    struct hv_result r = hvc(OVBS_HV_INFO, 0, 0, 0);
    bool ok = r.x0 == 0 && (r.x1 & OVBS_FEAT_XNX) && r.x2 >= 40 && r.x3 > 0 && r.x3 < 64;
    kprintf("    features 0x%lx, IPA %lu bits, VTL0 stage-2 tables %lu pages\n", r.x1, r.x2, r.x3);
    return note(ok, "features, IPA size and table pages reported");
}

static bool t_memmap_consistent(void)
{
    struct run r;
    uint64_t prev_end = 0;
    bool have_hv = false, have_vtl1 = false, have_self = false;
    uint64_t self = (uint64_t)(uintptr_t)&t_memmap_consistent;
    for (unsigned i = 0; memmap_entry(i, &r); i++) {
        if (r.size == 0 || r.base < prev_end)
            return note(false, "runs overlap or are out of order");
        prev_end = r.base + r.size;
        if ((r.owner == OWNER_HV || r.owner == OWNER_VTL1 || r.owner == OWNER_MMIO_HV) &&
            r.access != 0)
            return note(false, "VTL0 has access to memory it does not own");
        have_hv |= r.owner == OWNER_HV;
        have_vtl1 |= r.owner == OWNER_VTL1;
        if (self >= r.base && self < r.base + r.size)
            have_self = r.owner == OWNER_VTL0 && r.access == OVBS_ACC_RWX;
        if (r.owner == OWNER_VTL0 && (vtl0_ram_base < r.base + r.size && r.base < vtl0_ram_base))
            return note(false, "device tree RAM does not match");
    }
    return note(have_hv && have_vtl1 && have_self,
                "sorted, hv and VTL1 ranges have no VTL0 access, this kernel is VTL0 RWX");
}

static bool t_memmap_bad_index(void)
{
    bool ok = hvc(OVBS_HV_MEMMAP_ENTRY, 1ull << 40, 0, 0).x0 == HV_STATUS_INVALID_PARAMETER &&
              hvc(OVBS_HV_MEMMAP_ENTRY, 100000, 0, 0).x0 == HV_STATUS_INVALID_PARAMETER;
    return note(ok, "out-of-range index: INVALID_PARAMETER");
}

static bool t_psci_version(void)
{
    return note(smc(PSCI_VERSION, 0, 0, 0).x0 == 0x10000, "PSCI 1.0 via trapped SMC");
}

static bool t_psci_features(void)
{
    bool ok = smc(PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0).x0 == 0 &&
              (int64_t)smc(PSCI_FEATURES, 0x8400ffff, 0, 0).x0 == PSCI_RET_NOT_SUPPORTED;
    return note(ok, "CPU_ON implemented, unknown function not");
}

/* With SMP the other CPUs are on once they came up at boot (smp.c); a
 * hypervisor that refused their CPU_ON reports them off. */
static bool t_psci_affinity(void)
{
    uint64_t me = READ_SYSREG(mpidr_el1) & 0xff00ffffffull;
    bool ok = smc(PSCI_AFFINITY_INFO_64, me, 0, 0).x0 == 0 &&
              (int64_t)smc(PSCI_AFFINITY_INFO_64, 0xff, 0, 0).x0 == PSCI_RET_INVALID_PARAMS;
    for (unsigned i = 0; i < num_cpus; i++)
        ok &= smc(PSCI_AFFINITY_INFO_64, cpus[i].mpidr, 0, 0).x0 == (cpus[i].online ? 0u : 1u);
    return note(ok, "the CPUs that came up on, the others off, unknown MPIDR invalid");
}

static bool t_own_ram_rw(void)
{
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(vtl0_ram_base + vtl0_ram_size - 8);
    *p = 0x1234abcd5678ef00ull;
    return note(*p == 0x1234abcd5678ef00ull, "VTL0 RAM is readable and writable");
}

static bool t_el0_svc(void)
{
    long rc = enter_el0((uint64_t)(uintptr_t)user_svc_exit, user_stack_top);
    return note(rc == 42, "EL0 program ran and returned 42 via SVC");
}

/* ---- attacks ------------------------------------------------------------ */

static bool a_read_hv(void) { return attack_range(OWNER_HV, ACC_READ, false); }
static bool a_write_hv(void) { return attack_range(OWNER_HV, ACC_WRITE, false); }
static bool a_exec_hv(void) { return attack_range(OWNER_HV, ACC_EXEC, false); }
static bool a_zva_hv(void) { return attack_range(OWNER_HV, ACC_ZVA, false); }
static bool a_read_vtl1(void) { return attack_range(OWNER_VTL1, ACC_READ, false); }
static bool a_write_vtl1(void) { return attack_range(OWNER_VTL1, ACC_WRITE, false); }
static bool a_exec_vtl1(void) { return attack_range(OWNER_VTL1, ACC_EXEC, false); }
/* The devices that can write any memory, at the addresses QEMU's virt
 * machine gives them (hw/arm/virt.c: SMMUv3 0x09050000, fw-cfg 0x09020000).
 * The ranges the hypervisor reports as its own are attacked above; these
 * are attacked whatever it reports, so a device it forgot to keep is
 * caught too (this test kernel is QEMU's: the hypervisor is not). */
static const uint64_t dma_capable_devices[] = { 0x09050000, 0x09020000 };

static bool attack_known_devices(enum access_kind kind)
{
    for (unsigned i = 0; i < sizeof(dma_capable_devices) / sizeof(dma_capable_devices[0]); i++) {
        uint64_t a = dma_capable_devices[i];
        if (!map_target(a, true))
            return note(false, "could not map the device in our stage 1");
        unsigned before = this_cpu()->fault.count;
        uint64_t v = kind == ACC_READ ? probe_load(a) : probe_store(a, 0x4141414141414141ull);
        if (!blocked_by_stage2(v, before, EC_DABT_CUR)) {
            kprintf("    device at 0x%lx reachable from VTL0\n", a);
            return note(false, "a device that can write any memory is VTL0's");
        }
    }
    return true;
}

static bool a_smmu_read(void)
{
    return attack_known_devices(ACC_READ) && attack_range(OWNER_MMIO_HV, ACC_READ, true);
}

static bool a_smmu_write(void)
{
    return attack_known_devices(ACC_WRITE) && attack_range(OWNER_MMIO_HV, ACC_WRITE, true);
}

/* Reach hypervisor memory through a different virtual address: stage 2
 * checks the physical page, whatever our stage 1 says. */
static bool a_alias_hv(void)
{
    struct run r;
    if (!find_owned(OWNER_HV, 1, &r) && !find_owned(OWNER_HV, 0, &r))
        return note(false, "no hypervisor range");
    uint64_t alias = 0x7000000000ull;
    if (!mmu_map_alias(alias, r.base))
        return note(false, "could not create the alias");
    unsigned before = this_cpu()->fault.count;
    uint64_t injected = aborts_injected();
    uint64_t v = probe_load(alias);
    return note(blocked_by_stage2(v, before, EC_DABT_CUR) && aborts_injected() == injected + 1,
                "alias VA to hypervisor PA: blocked at stage 2");
}

/* The first and last page of the first hole between the ranges the
 * hypervisor reports. Both stage 2 and QEMU (no device there) would answer
 * with FSC 0x10: the hypervisor's abort counter tells them apart. */
static bool a_mmio_hole(void)
{
    struct run r;
    uint64_t prev_end = 0, hole = 0, hole_end = 0;
    for (unsigned i = 0; memmap_entry(i, &r); i++) {
        if (r.base > prev_end && prev_end >= 0x1000) {
            hole = prev_end;
            hole_end = r.base;
            break;
        }
        prev_end = r.base + r.size;
    }
    uint64_t targets[2] = { hole, hole_end - 4096 };
    if (!hole || !map_target(targets[0], true) || !map_target(targets[1], true))
        return note(false, "no hole found");
    kprintf("    hole [0x%lx, 0x%lx)\n", hole, hole_end);
    uint64_t injected = aborts_injected();
    for (unsigned t = 0; t < 2; t++) {
        unsigned before = this_cpu()->fault.count;
        if (!blocked_by_stage2(probe_load(targets[t]), before, EC_DABT_CUR))
            return note(false, "unassigned address: no abort");
    }
    return note(aborts_injected() == injected + 2,
                "unassigned address: abort, injected by the hypervisor (its counter rose)");
}

static volatile uint64_t secondary_ran;
static void secondary_entry(void)
{
    secondary_ran = 1;
    for (;;)
        ;
}

static bool a_psci_cpu_on(void)
{
    uint64_t me = READ_SYSREG(mpidr_el1) & 0xff00ffffffull;
    uint64_t entry = (uint64_t)(uintptr_t)secondary_entry;
    int64_t via_smc = (int64_t)smc(PSCI_CPU_ON_64, me | 1, entry, 0).x0;
    int64_t via_hvc = (int64_t)hvc(PSCI_CPU_ON_64, me | 1, entry, 0).x0;
    int64_t self = (int64_t)smc(PSCI_CPU_ON_64, me, entry, 0).x0;
    for (volatile int i = 0; i < 100000; i++)
        ;
    bool still_off = smc(PSCI_AFFINITY_INFO_64, me | 1, 0, 0).x0 == 1;
    kprintf("    CPU_ON via SMC %ld, via HVC %ld, self %ld, secondary ran %lu\n", via_smc, via_hvc,
            self, secondary_ran);
    /* With SMP the other CPU already runs this kernel: ALREADY_ON, and it
     * never jumps to secondary_entry (entry checks: smp_cpu_off_on). */
    if (num_cpus > 1 && cpus[1].online)
        return note(via_smc == PSCI_RET_ALREADY_ON && via_hvc == PSCI_RET_ALREADY_ON &&
                        self == PSCI_RET_ALREADY_ON && !still_off && !secondary_ran,
                    "CPU_ON of running CPUs: ALREADY_ON; no CPU restarted at our code");
    return note(via_smc == PSCI_RET_DENIED && via_hvc == PSCI_RET_DENIED &&
                    self == PSCI_RET_ALREADY_ON && still_off && !secondary_ran,
                "CPU_ON at our own code denied; no CPU started");
}

static bool a_unknown_hvc(void)
{
    register uint64_t x0 __asm__("x0") = OVBS_HV_NULL;
    __asm__ volatile("hvc #1" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    bool ok = (int64_t)hvc(OVBS_FN(0xffff), 0, 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED &&
              (int64_t)hvc(0xc5001234, 0, 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED &&
              (int64_t)hvc(OVBS_HV_NULL & ~SMCCC_64BIT, 0, 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED &&
              (int64_t)x0 == SMCCC_RET_NOT_SUPPORTED &&
              hvc(OVBS_HV_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS;
    return note(ok, "unknown IDs, 32-bit variant and hvc #1: NOT_SUPPORTED; hv still answers");
}

static bool a_unknown_smc(void)
{
    bool ok = (int64_t)smc(0xc2000001, 0, 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED &&
              (int64_t)smc(0xbf000000, 0, 0, 0).x0 == SMCCC_RET_NOT_SUPPORTED;
    return note(ok, "SiP and trusted-OS SMCs are not passed to firmware");
}

static bool a_hvc_from_el0(void)
{
    long rc = enter_el0((uint64_t)(uintptr_t)user_hvc, user_stack_top);
    return note(rc == -(0x1000 + EC_UNKNOWN),
                "HVC at EL0 is undefined; VTL0's own kernel handled it");
}

static bool a_msr_el2(void)
{
    unsigned before = this_cpu()->fault.count;
    uint64_t a = probe_msr_vttbr(0), b = probe_msr_hcr(0);
    return note(a == PROBE_FAULT_VALUE && b == PROBE_FAULT_VALUE &&
                    this_cpu()->fault.count == before + 2 && ESR_EC(this_cpu()->fault.esr) == EC_UNKNOWN,
                "writing VTTBR_EL2/HCR_EL2 from EL1 is undefined");
}

static bool a_eret_el2(void)
{
    unsigned before = this_cpu()->fault.count;
    uint64_t v = probe_eret_el2();
    return note(v == PROBE_FAULT_VALUE && this_cpu()->fault.count == before + 1 &&
                    ESR_EC(this_cpu()->fault.esr) == EC_ILLEGAL_STATE,
                "ERET to EL2 from EL1 is an illegal return");
}

const struct test tests[] = {
    { "smccc_version", false, t_smccc_version, "SMCCC_VERSION answers 1.1" },
    { "smccc_arch_features", false, t_smccc_arch_features, "SMCCC_ARCH_FEATURES" },
    { "smccc_linux_probes", false, t_smccc_linux_probes, "what Linux asks of SMCCC at boot" },
    { "idregs_sanitized", true, t_idregs_sanitized, "VTL0 sees only the features it keeps" },
    { "vendor_uid", false, t_vendor_uid, "vendor service UID and revision" },
    { "hv_null_call", false, t_hv_null_call, "null hypercall" },
    { "hv_preserves_registers", false, t_hv_preserves_registers, "SMCCC register rules" },
    { "hv_info", false, t_hv_info, "hypervisor features" },
    { "memmap_consistent", false, t_memmap_consistent, "ownership map seen from VTL0" },
    { "memmap_bad_index", false, t_memmap_bad_index, "bad memory-map query" },
    { "psci_version", false, t_psci_version, "PSCI version through the relay" },
    { "psci_features", false, t_psci_features, "PSCI_FEATURES" },
    { "psci_affinity_info", false, t_psci_affinity, "PSCI AFFINITY_INFO" },
    { "own_ram_rw", false, t_own_ram_rw, "VTL0 RAM works" },
    { "el0_svc", false, t_el0_svc, "EL0 round trip" },
    { "read_hv", true, a_read_hv, "read hypervisor memory" },
    { "write_hv", true, a_write_hv, "write hypervisor memory" },
    { "exec_hv", true, a_exec_hv, "execute hypervisor memory" },
    { "zero_hv", true, a_zva_hv, "DC ZVA on hypervisor memory" },
    { "alias_hv", true, a_alias_hv, "hypervisor memory through a VA alias" },
    { "read_vtl1", true, a_read_vtl1, "read memory reserved for VTL1" },
    { "write_vtl1", true, a_write_vtl1, "write memory reserved for VTL1" },
    { "exec_vtl1", true, a_exec_vtl1, "execute memory reserved for VTL1" },
    { "smmu_read", true, a_smmu_read, "read SMMU, fw-cfg registers" },
    { "smmu_write", true, a_smmu_write, "write SMMU, fw-cfg registers" },
    { "pmu_count_el2", true, a_pmu_count_el2, "time the hypervisor with the PMU" },
    { "gic_lpi_tables", true, a_gic_lpi_tables, "point the GIC's LPI tables at VTL1" },
    { "debug_regs", true, a_debug_regs, "arm a hardware breakpoint" },
    { "mmio_hole", true, a_mmio_hole, "touch an unassigned physical address" },
    { "virtio_mmio_kept", true, a_virtio_mmio_kept,
      "reach a virtio-mmio device, which masters memory outside the SMMU" },
    { "pci_hidden", true, a_pci_hidden, "find a PCIe function that bypasses the SMMU" },
    { "msi_absent", true, a_msi_absent, "reach the ITS, or find MSI references in our tree" },
    { "pci_renumber", true, a_pci_renumber,
      "renumber bridges so an unsafe function answers where a safe one was judged" },
    { "psci_cpu_on", true, a_psci_cpu_on, "PSCI CPU_ON at our own code to reach EL2" },
    { "unknown_hvc", true, a_unknown_hvc, "unknown hypercalls" },
    { "unknown_smc", true, a_unknown_smc, "SMCs to other firmware services" },
    { "hvc_from_el0", true, a_hvc_from_el0, "HVC from EL0" },
    { "msr_el2_regs", true, a_msr_el2, "write EL2 system registers from EL1" },
    { "eret_to_el2", true, a_eret_el2, "ERET into EL2" },
    { "vtl_call_null", false, t_vtl_call_null, "secure call round trip" },
    { "measurement_log", false, t_measurement_log, "boot images measured (SHA-256)" },
    { "execute_only", false, t_execute_only, "VTL1 makes a page execute-only" },
    { "intercepts_reach_vtl1", false, t_intercepts_reach_vtl1, "VTL1 sees violations" },
    { "interrupt_preempts_vtl1", false, t_interrupt_preempts_vtl1,
      "VTL0 interrupt during a secure call" },
    { "nested_intercept", false, t_nested_intercept,
      "intercept while a secure call is preempted" },
    { "nested_call_while_preempted", false, t_nested_call_while_preempted,
      "second secure call during a preempted one" },
    { "pmu_count_vtl1", true, a_pmu_count_vtl1, "count VTL1's work with VTL0's PMU" },
    { "reissue_preempted_call", true, a_reissue_preempted_call,
      "resume a preempted call from another PC or SP" },
    { "vtl1_watchdog", false, t_vtl1_watchdog, "VTL1's own timer bounds its work" },
    { "vtl1_timer_entry", false, t_vtl1_timer_entry, "VTL1 entered by its own interrupt" },
    { "gic_forge_timer", true, a_gic_forge_timer, "forge VTL1's timer PPIs before a call" },
    { "gic_disable_hv_ppis", true, a_gic_disable_hv_ppis,
      "disable PPIs 25-27 and the group enables, as Linux does" },
    { "gic_redistributor_sleep", true, a_gic_redistributor_sleep,
      "put the CPU's redistributor to sleep (GICR_WAKER)" },
    { "gic_vtimer_copy", false, t_gic_vtimer_copy, "VTL0's virtual copy of the timer PPI" },
    { "gic_group0", true, a_gic_group0, "make PPIs and an SPI Group 0 (FIQs)" },
    { "gic_smmu_spis", true, a_gic_smmu_spis, "take the SMMU's interrupts away from the hypervisor" },
    { "vtl1_selftest", false, t_vtl1_selftest, "VP registers and refusals seen from VTL1" },
    { "read_vtl1_after_boot", true, a_read_vtl1, "read VTL1 memory with the SK running" },
    { "write_readonly_page", true, a_write_readonly_page, "write a page VTL1 made read-only" },
    { "stale_tlb", true, a_stale_tlb, "use a stale TLB entry after a protection change" },
    { "exec_nx_el1", true, a_exec_nx_el1, "execute at EL1 a page VTL1 made non-executable" },
    { "exec_nx_el0", true, a_exec_nx_el0, "execute at EL0 a page VTL1 made non-executable" },
    { "unlock_locked", true, a_unlock_locked, "make a locked (KDP) page writable again" },
    { "protect_foreign_memory", true, a_protect_foreign_memory,
      "protection changes outside VTL0 RAM" },
    { "vsm_calls_from_vtl0", true, a_vsm_calls_from_vtl0, "VTL1-only hypercalls from VTL0" },
    { "vtl_call_from_el0", true, a_vtl_call_from_el0, "VtlCall from EL0" },
    { "confused_deputy", true, a_confused_deputy, "secure-call buffers in protected memory" },
    { "hv_buffer_checks", true, a_hv_buffer_checks, "hypercall buffers in protected memory" },
    { "toctou_buffer", true, a_toctou_buffer, "change a buffer after VTL1 checked it" },
    { "vtl1_register_leak", true, a_vtl1_register_leak, "VTL1 register contents after return" },
    { "hypercall_fuzz", true, a_hypercall_fuzz, "100000 random hypercalls/secure calls" },
    { "tl_load_and_echo", false, t_tl_load_and_echo, "load, call and unload a trustlet" },
    { "tl_services", false, t_tl_services, "IUM calls: random, heap, report, checks" },
    { "tl_keyholder", false, t_tl_keyholder, "key held in VTL1 signs for VTL0, sealed" },
    { "tl_canary", false, t_tl_canary, "a random stack canary per trustlet" },
    { "tl_image_toctou", true, a_tl_image_toctou, "change a trustlet image while it loads" },
    { "tl_shared_runtime", false, t_tl_shared_runtime, "one runtime copy for all trustlets" },
    { "tl_bad_signature", true, a_tl_bad_signature, "trustlet with a forged signature" },
    { "tl_tampered_image", true, a_tl_tampered_image, "trustlet with a tampered byte" },
    { "tl_unknown_id", true, a_tl_unknown_id, "signed trustlet the kernel does not know" },
    { "tl_rollback", true, a_tl_rollback, "older trustlet version (rollback)" },
    { "tl_malformed", true, a_tl_malformed, "malformed trustlet images" },
    { "tl_misbehaving", true, a_tl_misbehaving, "trustlets that crash, loop or overreach" },
    { "tl_bad_buffers", true, a_tl_bad_buffers, "trustlet call buffers in protected memory" },
    { "tl_isolation", true, a_tl_isolation, "reach a trustlet's memory from VTL0 and from another trustlet" },
    { "tl_register_spy", true, a_tl_register_spy,
      "a trustlet reads FP/SIMD and thread registers others used" },
    { "tl_forbidden_registers", true, a_tl_forbidden_registers,
      "a trustlet reads the PMU, timers, SCXTNUM, TPIDR2" },
    { "vtl1_shared_registers", true, a_vtl1_shared_registers,
      "registers the hardware has once for both VTLs" },
    { "log_flood", true, a_log_flood, "flood both logs with refusals, then break a lock" },
    { "log_ring_bad_reads", true, a_log_ring_bad_reads, "read the event rings out of range" },
    { "log_suppressed_counted", false, t_log_suppressed_counted,
      "lines over the rate limits are counted" },
    /* DMA (dma_tests.c): the blocked ones pass as skipped until the
     * hypervisor sets OVBS_FEAT_SMMU_ENFORCED; dma_smmu_enforced fails. */
    { "dma_vtl0_works", false, t_dma_vtl0_works, "edu and virtio-rng DMA into VTL0 RAM" },
    { "dma_read_hv", true, a_dma_read_hv, "edu DMA read of hypervisor memory" },
    { "dma_write_hv", true, a_dma_write_hv, "edu DMA write to hypervisor memory" },
    { "dma_read_vtl1", true, a_dma_read_vtl1, "edu DMA read of VTL1 memory" },
    { "dma_write_vtl1", true, a_dma_write_vtl1, "edu DMA write to the VTL1 canary" },
    { "dma_write_readonly", true, a_dma_write_readonly, "DMA write to a page VTL1 made read-only" },
    { "dma_write_locked", true, a_dma_write_locked, "DMA write to a locked page" },
    { "dma_hole", true, a_dma_hole, "DMA to an address no one owns" },
    { "dma_invalidation", true, a_dma_invalidation,
      "DMA write through a stale SMMU TLB entry after a protection change" },
    { "dma_msi_vtl1", true, a_dma_msi_vtl1, "an MSI aimed at VTL1 memory" },
    { "dma_virtio_blocked", true, a_dma_virtio_blocked, "virtio-rng buffers in VTL1/hv memory" },
    { "dma_smmu_enforced", false, t_dma_smmu_enforced, "the hypervisor enforces the SMMU" },
    { "tl_budget_preempted", true, t_tl_budget_excludes_preemption,
      "hold a trustlet's call preempted until its budget would run out" },
};
const unsigned num_tests = sizeof(tests) / sizeof(tests[0]);

/* A test by name, from this table or the multiprocessor one (smp_tests.c),
 * so `test NAME` (and make mutate's vtl0:NAME) reaches either. */
const struct test *find_test(const char *name)
{
    for (unsigned i = 0; i < num_tests; i++) {
        if (!strcmp(tests[i].name, name))
            return &tests[i];
    }
    for (unsigned i = 0; i < num_smp_tests; i++) {
        if (!strcmp(smp_tests[i].name, name))
            return &smp_tests[i];
    }
    return 0;
}

bool run_test(const struct test *t)
{
    detail[0] = '\0';
    bool ok = t->run();
    kprintf("TEST %s %s %s\n", t->name, ok ? "PASS" : "FAIL", detail);
    return ok;
}
