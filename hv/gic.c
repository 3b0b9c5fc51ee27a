/* gic.c: GICv3 at EL2. The hypervisor acknowledges every physical interrupt
 * (ICC_IAR1_EL1), drops its priority at once (ICC_CTLR_EL1.EOImode = 1
 * splits priority drop from deactivation) and hands it to a VTL as a
 * virtual interrupt in a list register (ICH_LR<n>_EL2):
 *   - the EL2 physical timer (CNTHP, PPI 26) is the hypervisor's own: it
 *     stands in for the timer of the VTL that is not running (vtl.c);
 *   - the EL1 virtual timer (PPI 27) belongs to whichever VTL runs, because
 *     each VTL has its own CNTV context: its output is masked
 *     (CNTV_CTL.IMASK) and a purely virtual interrupt is injected;
 *   - the SMMU's SPIs (event queue, global errors) are the hypervisor's
 *     (gic_claim_spi): handled in smmu.c, never seen by a VTL;
 *   - everything else is a device interrupt of VTL0, linked to the physical
 *     one (ICH_LR.HW) so VTL0's EOI deactivates it.
 * A timer PPI is acted on only if its timer's condition really holds: VTL0
 * cannot program the physical state of PPIs 25-27 (gicr.c, gicd.c emulate
 * the pages where it could), and a pending state that no timer explains is
 * acknowledged, counted and dropped. VTL0's own view of PPI 27 is a virtual
 * copy per VP (struct vtimer_ppi) that only decides what VTL0 receives. */
#include "arm64/sysreg.h"
#include "gic.h"
#include "events.h"
#include "hv.h"
#include "smmu.h"
#include "vtl.h"

#define GICD_CTLR            0x0000
#define GICD_CTLR_RWP        (1u << 31)
#define GICD_CTLR_ARE        (1u << 4)  /* affinity routing (DS = 1 layout) */
#define GICD_CTLR_ENGRP1     (1u << 1)
#define GICD_ISENABLER       0x0100     /* 1 bit per INTID, write 1 to enable */
#define GICD_IPRIORITYR      0x0400     /* 1 byte per INTID */
#define GICD_ICFGR           0x0c00     /* 2 bits per INTID: bit 1 set = edge */
#define GICD_IROUTER         0x6000     /* 8 bytes per INTID: affinity, IRM 31 */
#define HV_MAX_SPIS          4
#define GICR_FRAME_SIZE      0x20000    /* RD_base + SGI_base, 64 KiB each */
#define GICR_TYPER           0x0008
#define GICR_TYPER_LAST      (1u << 4)
#define GICR_WAKER           0x0014
#define GICR_WAKER_SLEEP     (1u << 1)
#define GICR_WAKER_ASLEEP    (1u << 2)
#define GICR_SGI             0x10000
#define GICR_IGROUPR0        (GICR_SGI + 0x0080)
#define GICR_ISENABLER0      (GICR_SGI + 0x0100)
#define GICR_ISPENDR0        (GICR_SGI + 0x0200)
#define GICR_IPRIORITYR      (GICR_SGI + 0x0400)

#define ICH_HCR_EN           (1ull << 0)
#define ICH_HCR_NPIE         (1ull << 3)  /* maintenance IRQ while no LR is pending */
#define LR_STATE_PENDING     (1ull << 62)
#define LR_STATE_ACTIVE      (1ull << 63)
#define LR_STATE_MASK        (3ull << 62)
#define LR_HW                (1ull << 61)
#define LR_GROUP1            (1ull << 60)
#define LR_PRIORITY(p)       ((uint64_t)(p) << 48)
#define LR_PINTID(i)         ((uint64_t)(i) << 32)
#define IRQ_PRIORITY         0xa0
/* CNTV_CTL_EL0 and CNTHP_CTL_EL2 share one layout. */
#define TIMER_CTL_ENABLE     (1ull << 0)
#define TIMER_CTL_IMASK      (1ull << 1) /* the output (the PPI's level) is masked */
#define TIMER_CTL_ISTATUS    (1ull << 2) /* the condition is met: CVAL <= count */
#define TIMER_FIRED          (TIMER_CTL_ENABLE | TIMER_CTL_ISTATUS)
/* The GIC's maintenance interrupt (the gic-v3 node's interrupt, PPI 9):
 * the hypervisor's; it asks for it (ICH_HCR_EL2.NPIE) while interrupts for
 * VTL0 wait for a free list register. */
#define PPI_MAINTENANCE      25
/* ICC_SGI1R_EL1: TargetList 15:0, Aff1 23:16, INTID 27:24, Aff2 39:32,
 * IRM 40 (all but self), RS 47:44 (Aff0 / 16), Aff3 55:48. */
#define SGI1R_INTID(v)       (((v) >> 24) & 0xf)
#define SGI1R_IRM            (1ull << 40)

static unsigned nr_lr;
/* Active-priority registers per group: ICH_VTR_EL2.PREbits (bits 28:26)
 * is the number of preemption bits minus one; 5 bits need AP<g>R0 only,
 * 6 add AP<g>R1, 7 add AP<g>R2 and AP<g>R3. Every one that exists holds a
 * VTL's interrupt nesting and is switched with it. */
static unsigned nr_apr = 1;
static uint64_t boot_rd;                /* the boot CPU's redistributor */
/* hv_spis and nr_hv_spis: written at boot on the boot CPU only (the SMMU
 * claims its SPIs before any other CPU runs), read-only afterwards. */
static uint32_t hv_spis[HV_MAX_SPIS];   /* SPIs the hypervisor took (gic_claim_spi) */
static unsigned nr_hv_spis;

uint32_t gic_hv_ppis(void)
{
    return (1u << PPI_MAINTENANCE) | (1u << hv_platform.timer_hyp_intid) |
           (1u << OVBS_HV_RESERVED_SGI);
}

static void write_lr(unsigned n, uint64_t v);

static volatile uint32_t *reg32(uint64_t addr)
{
    return (volatile uint32_t *)(uintptr_t)addr;
}

/* MPIDR's Aff3 (39:32), Aff2, Aff1, Aff0 (23:0) packed as GICR_TYPER's
 * affinity field (63:32) holds them. */
uint32_t gic_affinity(uint64_t mpidr)
{
    return (uint32_t)((mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000));
}

static uint64_t find_redistributor(uint64_t mpidr)
{
    uint64_t aff = gic_affinity(mpidr);
    for (uint64_t rd = hv_platform.gicr.base;
         rd + GICR_FRAME_SIZE <= hv_platform.gicr.base + hv_platform.gicr.size;
         rd += GICR_FRAME_SIZE) {
        uint64_t typer = *(volatile uint64_t *)(uintptr_t)(rd + GICR_TYPER);
        if ((typer >> 32) == aff)
            return rd;
        if (typer & GICR_TYPER_LAST)
            break;
    }
    return 0;
}

static void enable_ppi(uint64_t rd, unsigned intid)
{
    volatile uint8_t *prio = (volatile uint8_t *)(uintptr_t)(rd + GICR_IPRIORITYR);
    prio[intid] = IRQ_PRIORITY;
    *reg32(rd + GICR_ISENABLER0) = 1u << intid;
}

bool gic_is_hv_spi(uint32_t intid)
{
    for (unsigned i = 0; i < nr_hv_spis; i++) {
        if (hv_spis[i] == intid)
            return true;
    }
    return false;
}

uint32_t gic_hv_spi_bits(uint32_t first)
{
    uint32_t bits = 0;
    for (unsigned i = 0; i < nr_hv_spis; i++) {
        if (hv_spis[i] >= first && hv_spis[i] - first < 32)
            bits |= 1u << (hv_spis[i] - first);
    }
    return bits;
}

void gic_claim_spi(uint32_t intid)
{
    /* Only INTIDs whose GICD_IROUTER lies in the emulated first IROUTER
     * page (0x6000-0x6fff: INTIDs below 512) can be kept from VTL0's
     * retargeting (gicd.c). */
    if (intid < 32 || intid >= 512 || nr_hv_spis == HV_MAX_SPIS || gic_is_hv_spi(intid)) {
        hv_log("FATAL: cannot take SPI %u for the hypervisor", intid);
        hv_halt_failure();
    }
    hv_spis[nr_hv_spis++] = intid;
    uint64_t d = hv_platform.gicd.base;
    *(volatile uint8_t *)(uintptr_t)(d + GICD_IPRIORITYR + intid) = IRQ_PRIORITY;
    volatile uint32_t *cfg = reg32(d + GICD_ICFGR + 4 * (intid / 16));
    *cfg |= 2u << (2 * (intid % 16));
    uint64_t mpidr = READ_SYSREG(mpidr_el1);
    *(volatile uint64_t *)(uintptr_t)(d + GICD_IROUTER + 8 * intid) =
        (mpidr & 0xffffff) | ((mpidr & 0xff00000000ull)); /* Aff3 39:32, Aff2..0 23:0 */
    *reg32(d + GICD_ISENABLER + 4 * (intid / 32)) = 1u << (intid % 32);
}

/* This CPU's redistributor awake, its SGIs and PPIs in Group 1, the ones
 * the hypervisor needs enabled; its physical CPU interface on. */
static void cpu_interface_init(uint64_t rd)
{
    *reg32(rd + GICR_WAKER) &= ~GICR_WAKER_SLEEP;
    while (*reg32(rd + GICR_WAKER) & GICR_WAKER_ASLEEP)
        ;
    /* Every SGI and PPI is Group 1 (an IRQ), and stays so: a Group 0 one
     * would be signalled to EL2 as an FIQ. gicr.c ignores VTL0's writes to
     * IGROUPR0; gicd_protect does the same for the SPIs. */
    *reg32(rd + GICR_IGROUPR0) = ~0u;
    enable_ppi(rd, hv_platform.timer_hyp_intid);
    enable_ppi(rd, hv_platform.timer_virt_intid);
    enable_ppi(rd, PPI_MAINTENANCE);
    enable_ppi(rd, OVBS_HV_RESERVED_SGI);
    /* EL2's physical CPU interface: system registers, all priorities
     * unmasked, EOImode 1, group 1 on. ICC_SRE_EL2: SRE, DFB, DIB, Enable
     * (EL1 may use its system-register interface too). */
    WRITE_SYSREG(S3_4_C12_C9_5, 0xf);
    isb();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);       /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_3, 0);        /* ICC_BPR1_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_4, 1u << 1);  /* ICC_CTLR_EL1.EOImode */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);        /* ICC_IGRPEN1_EL1 */
    WRITE_SYSREG(S3_4_C12_C11_0, ICH_HCR_EN);  /* ICH_HCR_EL2 */
    isb();
}

static uint64_t redistributor_or_stop(uint64_t mpidr)
{
    uint64_t rd = find_redistributor(mpidr);
    if (!rd) {
        hv_log("FATAL: no GIC redistributor for MPIDR 0x%lx", mpidr);
        hv_halt_failure();
    }
    return rd;
}

void gic_init(void)
{
    if (hv_platform.gic_version != 3 || !hv_platform.gicr.size) {
        hv_log("FATAL: a GICv3 is required");
        hv_halt_failure();
    }
    struct hv_cpu *cpu = this_cpu();
    uint64_t rd = redistributor_or_stop(READ_SYSREG(mpidr_el1));
    boot_rd = rd;
    cpu->redistributor = rd;
    volatile uint32_t *ctlr = reg32(hv_platform.gicd.base + GICD_CTLR);
    *ctlr |= GICD_CTLR_ARE;
    while (*ctlr & GICD_CTLR_RWP)
        ;
    *ctlr |= GICD_CTLR_ENGRP1;
    while (*ctlr & GICD_CTLR_RWP)
        ;
    nr_lr = (unsigned)(READ_SYSREG(S3_4_C12_C11_1) & 0x1f) + 1; /* ICH_VTR_EL2.ListRegs */
    if (nr_lr > VGIC_MAX_LR)
        nr_lr = VGIC_MAX_LR;
    unsigned pre_bits = (unsigned)((READ_SYSREG(S3_4_C12_C11_1) >> 26) & 7) + 1;
    nr_apr = pre_bits <= 5 ? 1 : 1u << (pre_bits - 5);
    cpu_interface_init(rd);
    hv_log("GICv3: redistributor 0x%lx, %u list registers, timers: virtual %u, hyp %u", rd,
           nr_lr, hv_platform.timer_virt_intid, hv_platform.timer_hyp_intid);
}

void gic_cpu_init(struct hv_cpu *cpu)
{
    cpu->redistributor = redistributor_or_stop(READ_SYSREG(mpidr_el1));
    cpu->live_lrs = 0;
    cpu->maintenance = 0;
    for (unsigned i = 0; i < nr_lr; i++)
        write_lr(i, 0);
    cpu_interface_init(cpu->redistributor);
}

/* Before CPU_OFF: no interrupt is taken here any more; the redistributor
 * stays awake (firmware powers it down with the CPU). */
void gic_cpu_stop(struct hv_cpu *cpu)
{
    WRITE_SYSREG(S3_0_C12_C12_7, 0);        /* ICC_IGRPEN1_EL1 */
    WRITE_SYSREG(S3_4_C12_C11_0, 0);        /* ICH_HCR_EL2: virtual interface off */
    isb();
    cpu->live_lrs = 0;
    cpu->maintenance = 0;
}

/* ICH_LR<n>_EL2 are sixteen separately named registers. */
static uint64_t read_lr(unsigned n)
{
    switch (n) {
    case 0: return READ_SYSREG(S3_4_C12_C12_0);
    case 1: return READ_SYSREG(S3_4_C12_C12_1);
    case 2: return READ_SYSREG(S3_4_C12_C12_2);
    case 3: return READ_SYSREG(S3_4_C12_C12_3);
    case 4: return READ_SYSREG(S3_4_C12_C12_4);
    case 5: return READ_SYSREG(S3_4_C12_C12_5);
    case 6: return READ_SYSREG(S3_4_C12_C12_6);
    case 7: return READ_SYSREG(S3_4_C12_C12_7);
    case 8: return READ_SYSREG(S3_4_C12_C13_0);
    case 9: return READ_SYSREG(S3_4_C12_C13_1);
    case 10: return READ_SYSREG(S3_4_C12_C13_2);
    case 11: return READ_SYSREG(S3_4_C12_C13_3);
    case 12: return READ_SYSREG(S3_4_C12_C13_4);
    case 13: return READ_SYSREG(S3_4_C12_C13_5);
    case 14: return READ_SYSREG(S3_4_C12_C13_6);
    default: return READ_SYSREG(S3_4_C12_C13_7);
    }
}

static void write_lr(unsigned n, uint64_t v)
{
    switch (n) {
    case 0: WRITE_SYSREG(S3_4_C12_C12_0, v); break;
    case 1: WRITE_SYSREG(S3_4_C12_C12_1, v); break;
    case 2: WRITE_SYSREG(S3_4_C12_C12_2, v); break;
    case 3: WRITE_SYSREG(S3_4_C12_C12_3, v); break;
    case 4: WRITE_SYSREG(S3_4_C12_C12_4, v); break;
    case 5: WRITE_SYSREG(S3_4_C12_C12_5, v); break;
    case 6: WRITE_SYSREG(S3_4_C12_C12_6, v); break;
    case 7: WRITE_SYSREG(S3_4_C12_C12_7, v); break;
    case 8: WRITE_SYSREG(S3_4_C12_C13_0, v); break;
    case 9: WRITE_SYSREG(S3_4_C12_C13_1, v); break;
    case 10: WRITE_SYSREG(S3_4_C12_C13_2, v); break;
    case 11: WRITE_SYSREG(S3_4_C12_C13_3, v); break;
    case 12: WRITE_SYSREG(S3_4_C12_C13_4, v); break;
    case 13: WRITE_SYSREG(S3_4_C12_C13_5, v); break;
    case 14: WRITE_SYSREG(S3_4_C12_C13_6, v); break;
    default: WRITE_SYSREG(S3_4_C12_C13_7, v); break;
    }
}

/* ICH_AP0R<n>_EL2 and ICH_AP1R<n>_EL2 for n = 1..3 (R0 is on the fast
 * path in vgic_save/restore). */
static void save_upper_aprs(struct vgic_state *s)
{
    s->ap0r[1] = READ_SYSREG(S3_4_C12_C8_1);
    s->ap1r[1] = READ_SYSREG(S3_4_C12_C9_1);
    if (nr_apr < 4)
        return;
    s->ap0r[2] = READ_SYSREG(S3_4_C12_C8_2);
    s->ap1r[2] = READ_SYSREG(S3_4_C12_C9_2);
    s->ap0r[3] = READ_SYSREG(S3_4_C12_C8_3);
    s->ap1r[3] = READ_SYSREG(S3_4_C12_C9_3);
}

static void restore_upper_aprs(const struct vgic_state *s)
{
    WRITE_SYSREG(S3_4_C12_C8_1, s->ap0r[1]);
    WRITE_SYSREG(S3_4_C12_C9_1, s->ap1r[1]);
    if (nr_apr < 4)
        return;
    WRITE_SYSREG(S3_4_C12_C8_2, s->ap0r[2]);
    WRITE_SYSREG(S3_4_C12_C9_2, s->ap1r[2]);
    WRITE_SYSREG(S3_4_C12_C8_3, s->ap0r[3]);
    WRITE_SYSREG(S3_4_C12_C9_3, s->ap1r[3]);
}

void vgic_init_state(struct vgic_state *s)
{
    *s = (struct vgic_state){ 0 };
    s->upper_aprs = nr_apr > 1;
}

/* ICH_ELRSR_EL2 marks the list registers that hold nothing (no pending or
 * active interrupt): only the others are read. With no interrupts in
 * flight, as on most switches, no list register is touched at all. */
void vgic_save(struct vgic_state *s)
{
    /* cpu->live_lrs: the list registers the hardware may hold non-zero;
     * only those need writing back as zero when a VTL without them comes
     * in. Per CPU, as the list registers are. */
    uint32_t used = ~(uint32_t)READ_SYSREG(S3_4_C12_C11_5) & this_cpu()->live_lrs;
    s->used = used;
    for (uint32_t m = used; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctz(m);
        s->lr[i] = read_lr(i);
    }
    s->vmcr = READ_SYSREG(S3_4_C12_C11_7);  /* ICH_VMCR_EL2 */
    s->ap0r[0] = READ_SYSREG(S3_4_C12_C8_0);  /* ICH_AP0R0_EL2 */
    s->ap1r[0] = READ_SYSREG(S3_4_C12_C9_0);  /* ICH_AP1R0_EL2 */
    if (s->upper_aprs)
        save_upper_aprs(s);
}

void vgic_restore(const struct vgic_state *s)
{
    struct hv_cpu *cpu = this_cpu();
    for (uint32_t m = s->used | cpu->live_lrs; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctz(m);
        write_lr(i, (s->used & (1u << i)) ? s->lr[i] : 0);
    }
    cpu->live_lrs = s->used;
    WRITE_SYSREG(S3_4_C12_C11_7, s->vmcr);
    WRITE_SYSREG(S3_4_C12_C8_0, s->ap0r[0]);
    WRITE_SYSREG(S3_4_C12_C9_0, s->ap1r[0]);
    if (s->upper_aprs)
        restore_upper_aprs(s);
}

/* Put `lr` (vINTID, priority, and HW/pINTID if linked) pending for
 * `target` of `vp`, which runs on this CPU: in the hardware's list
 * registers if that VTL runs, in its saved copy otherwise. If the
 * interrupt is already there: pending stays pending; an interrupt without
 * a physical one linked that is active becomes active and pending (an SGI
 * sent again while its handler runs must run it again); a linked one
 * cannot arrive twice (the distributor holds it active until the guest
 * deactivates it). False if no list register is free. */
static bool place_lr(struct vp *vp, enum vtl target, uint64_t lr)
{
    struct hv_cpu *cpu = this_cpu();
    uint32_t intid = (uint32_t)lr;
    lr |= LR_STATE_PENDING | LR_GROUP1;
    bool live = vp->active == target;
    struct vgic_state *s = &vp->vtl[target].gic;
    uint32_t used = live ? ~(uint32_t)READ_SYSREG(S3_4_C12_C11_5) & cpu->live_lrs : s->used;
    for (uint32_t m = used; m; m &= m - 1) {
        unsigned i = (unsigned)__builtin_ctz(m);
        uint64_t cur = live ? read_lr(i) : s->lr[i];
        if ((cur & 0xffffffffull) != intid)
            continue;
        if (!(cur & LR_HW) && (cur & LR_STATE_MASK) == LR_STATE_ACTIVE) {
            cur |= LR_STATE_PENDING;
            if (live)
                write_lr(i, cur);
            else
                s->lr[i] = cur;
        }
        return true;
    }
    for (unsigned i = 0; i < nr_lr; i++) {
        if (used & (1u << i))
            continue;
        if (live) {
            write_lr(i, lr);
            cpu->live_lrs |= 1u << i;
        } else {
            s->lr[i] = lr;
            s->used |= 1u << i;
        }
        return true;
    }
    return false;
}

/* Ask for the maintenance interrupt while VTL0 has interrupts waiting for a
 * list register (NPIE: raised once none of the list registers is pending,
 * i.e. VTL0 took what it had), and stop asking once none wait. */
static void want_maintenance(struct hv_cpu *cpu, bool on)
{
    uint32_t want = on ? (uint32_t)ICH_HCR_NPIE : 0;
    if (cpu->maintenance == want)
        return;
    cpu->maintenance = want;
    WRITE_SYSREG(S3_4_C12_C11_0, ICH_HCR_EN | want);
    isb();
}

static void drop(uint32_t intid, enum vtl target)
{
    hv_event(OVBS_EV_IRQ_DROPPED, intid, target);
    if (hv_log_allowed(LOG_SRC_GIC))
        hv_log("VTL%u: no room for interrupt %u: dropped", target, intid);
}

/* The priority VTL0 gave SGI n in its redistributor (its writes to the
 * SGI/PPI page reach the hardware for INTIDs it owns, gicr.c). */
static uint8_t sgi_priority_of(const struct hv_cpu *cpu, unsigned n)
{
    return *(volatile uint8_t *)(uintptr_t)(cpu->redistributor + GICR_IPRIORITYR + n);
}

/* VTL0's waiting interrupts into list registers, as many as fit; what does
 * not fit keeps waiting and the maintenance interrupt will call again.
 * Only on the VP's own CPU. */
void vgic_flush_waiting(struct vp *vp)
{
    struct hv_cpu *cpu = this_cpu();
    struct vgic_waiting *w = &vp->wait0;
    uint32_t sgis = __atomic_exchange_n(&w->sgis, 0, __ATOMIC_ACQUIRE), left = 0;
    for (uint32_t m = sgis; m; m &= m - 1) {
        unsigned n = (unsigned)__builtin_ctz(m);
        if (!place_lr(vp, VTL0, LR_PRIORITY(sgi_priority_of(cpu, n)) | n))
            left |= 1u << n;
    }
    if (left)
        __atomic_fetch_or(&w->sgis, left, __ATOMIC_RELAXED);
    unsigned kept = 0;
    for (unsigned i = 0; i < w->nhw; i++) {
        uint64_t lr = LR_PRIORITY(IRQ_PRIORITY) | LR_HW | LR_PINTID(w->hw[i]) | w->hw[i];
        if (!place_lr(vp, VTL0, lr))
            w->hw[kept++] = w->hw[i];
    }
    w->nhw = kept;
    /* Only while VTL0 runs: NPIE looks at the list registers in the
     * hardware, which are VTL1's while it runs (vtl_switch flushes again
     * when VTL0 comes back). */
    want_maintenance(cpu, (left || kept) && vp->active == VTL0);
}

void vgic_inject(struct vp *vp, enum vtl target, uint32_t intid, bool hw)
{
    uint64_t lr = LR_PRIORITY(IRQ_PRIORITY) | intid;
    if (hw)
        lr |= LR_HW | LR_PINTID(intid);
    if (place_lr(vp, target, lr))
        return;
    struct vgic_waiting *w = &vp->wait0;
    if (target == VTL0 && hw && w->nhw < VGIC_HW_WAITING) {
        w->hw[w->nhw++] = intid;
        want_maintenance(this_cpu(), vp->active == VTL0);
        return;
    }
    drop(intid, target);
}

static void inject_lr(struct vp *vp, enum vtl target, uint64_t lr)
{
    if (!place_lr(vp, target, lr))
        drop((uint32_t)lr, target);
}

/* ---- SGIs between VPs ---------------------------------------------------- */

/* Raise the hypervisor's own SGI on another CPU: it flushes the waiting
 * interrupts of the VP there (gic_handle_irq). The DSB makes the waiting
 * bit, set before, visible to that CPU before the SGI can be (GICv3: a
 * system-register write is not ordered against earlier memory accesses). */
static void kick(const struct hv_cpu *target)
{
    uint64_t m = target->mpidr;
    uint64_t v = (1ull << (m & 0xf)) | (((m >> 8) & 0xff) << 16) |
                 ((uint64_t)OVBS_HV_RESERVED_SGI << 24) | (((m >> 16) & 0xff) << 32) |
                 (((m >> 4) & 0xf) << 44) | (((m >> 32) & 0xff) << 48);
    dsb_ishst();
    WRITE_SYSREG(S3_0_C12_C11_5, v); /* ICC_SGI1R_EL1 at EL2: a physical SGI */
    isb();
}

/* Every other online CPU takes the hypervisor's SGI (el1_pin.c: it then
 * re-reads what every CPU must apply). */
void gic_kick_all_others(void)
{
    const struct hv_cpu *self = this_cpu();
    for (unsigned i = 0; i < hv_platform.ncpus; i++) {
        if (&hv_cpus[i] != self && vtl1_state_running_vtl(vtl_vp_state(i)) >= 0)
            kick(&hv_cpus[i]);
    }
}

/* Whether ICC_SGI1R value v names the CPU with MPIDR m (IRM = 0). */
static bool sgi_targets(uint64_t v, uint64_t m)
{
    return ((v >> 16) & 0xff) == ((m >> 8) & 0xff) && ((v >> 32) & 0xff) == ((m >> 16) & 0xff) &&
           ((v >> 48) & 0xff) == ((m >> 32) & 0xff) && ((v >> 44) & 0xf) == ((m >> 4) & 0xf) &&
           (v & (1ull << (m & 0xf)));
}

static void refuse_sgi(struct vp *vp, uint64_t v)
{
    hv_event(OVBS_EV_SGI_REFUSED, v, 1);
    if (hv_log_allowed(LOG_SRC_GIC))
        hv_log("VP %u: VTL0's SGI (ICC_SGI1R 0x%lx) refused: the hypervisor's reserved SGI",
               vp->index, v);
}

/* VTL0 wrote ICC_SGI1R_EL1 (trapped with HCR_EL2.IMO; VTL1 sends none,
 * trap.c). SGI 0-14 becomes a virtual SGI for every running target VP;
 * the reserved SGI is refused (write ignored, counted). */
void gic_send_sgi(struct vp *vp, uint64_t v)
{
    unsigned intid = (unsigned)SGI1R_INTID(v);
    if (intid == OVBS_HV_RESERVED_SGI) {
        refuse_sgi(vp, v);
        return;
    }
    bool self = false;
    for (unsigned i = 0; i < hv_platform.ncpus; i++) {
        struct vp *t = &hv_vps[i];
        bool named = (v & SGI1R_IRM) ? t != vp : sgi_targets(v, hv_platform.cpu_mpidr[i]);
        if (!named || vtl1_state_running_vtl(vtl_vp_state(i)) < 0)
            continue;
        __atomic_fetch_or(&t->wait0.sgis, 1u << intid, __ATOMIC_RELEASE);
        if (t == vp)
            self = true;
        else
            kick(&hv_cpus[i]);
    }
    if (self)
        vgic_flush_waiting(vp);
}

/* ---- The virtual-timer PPI as VTL0 sees it (struct vtimer_ppi) ---------- */

void vgic_vtimer_init(struct vtimer_ppi *t)
{
    /* What VTL0 finds at handover: enabled at the hypervisor's priority. */
    *t = (struct vtimer_ppi){ .enabled = true, .priority = IRQ_PRIORITY };
}

static void inject_vtimer0(struct vp *vp)
{
    vp->vtimer0.held = false;
    inject_lr(vp, VTL0, LR_PRIORITY(vp->vtimer0.priority) | hv_platform.timer_virt_intid);
}

/* Only the running VP's list registers can be written from here: a VTL0
 * write to another CPU's redistributor changes that VP's copy, and an
 * interrupt held there waits until that VP itself enables the PPI again
 * (or re-arms its timer). */
static bool is_current(const struct vp *vp)
{
    return this_cpu()->vp == vp;
}

void vgic_vtimer_set_enabled(struct vp *vp, bool on)
{
    vp->vtimer0.enabled = on;
    if (on && vp->vtimer0.held && is_current(vp))
        inject_vtimer0(vp);
}

void vgic_vtimer_set_pending(struct vp *vp, bool on)
{
    vp->vtimer0.held = on;
    if (on && vp->vtimer0.enabled && is_current(vp))
        inject_vtimer0(vp);
}

/* ---- Physical interrupts ------------------------------------------------ */

static void forged(struct vp *vp, uint32_t intid, uint64_t ctl)
{
    hv_event(OVBS_EV_TIMER_FORGED, intid, ctl);
    if (hv_log_allowed(LOG_SRC_GIC))
        hv_log("timer PPI %u pending while VTL%u ran but its timer did not fire (CTL 0x%lx): "
               "dropped", intid, vp->active, ctl);
}

/* PPI 26: CNTHP is the shadow of the sleeping VTL's timer. It counts only
 * if armed (ENABLE), unmasked and expired (ISTATUS); anything else leaves
 * an armed shadow alone. */
static void shadow_timer_irq(struct vp *vp, uint32_t intid)
{
    uint64_t ctl = READ_SYSREG(cnthp_ctl_el2);
    bool fired = (ctl & (TIMER_FIRED | TIMER_CTL_IMASK)) == TIMER_FIRED;
    if (fired)
        WRITE_SYSREG(cnthp_ctl_el2, 0);
    WRITE_SYSREG(S3_0_C12_C11_1, intid); /* ICC_DIR_EL1: deactivate */
    if (!fired) {
        forged(vp, intid, ctl);
        return;
    }
    vtl_shadow_timer_fired(vp);
}

/* PPI 27: the running VTL's own CNTV fired only if it is enabled, expired
 * and its output unmasked. Then the output is masked (the level would
 * re-fire at once) and the VTL receives a virtual interrupt; its handler
 * reprograms CNTV_CTL. VTL0 receives it only while its virtual copy has
 * the PPI enabled; otherwise it is held until VTL0 enables it. */
static void virtual_timer_irq(struct vp *vp, uint32_t intid)
{
    uint64_t ctl = READ_SYSREG(cntv_ctl_el0);
    bool fired = (ctl & (TIMER_FIRED | TIMER_CTL_IMASK)) == TIMER_FIRED;
    if (fired) {
        WRITE_SYSREG(cntv_ctl_el0, ctl | TIMER_CTL_IMASK);
        isb();
    }
    WRITE_SYSREG(S3_0_C12_C11_1, intid);
    if (!fired)
        forged(vp, intid, ctl);
    else if (vp->active == VTL1)
        vgic_inject(vp, VTL1, intid, false);
    else if (vp->vtimer0.enabled)
        inject_vtimer0(vp);
    else
        vp->vtimer0.held = true;
}

void gic_handle_irq(struct vp *vp)
{
    uint32_t intid = (uint32_t)READ_SYSREG(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */
    if (intid >= 1020 && intid <= 1023)
        return; /* spurious */
    WRITE_SYSREG(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1: priority drop only */
    if (intid == hv_platform.timer_hyp_intid) {
        shadow_timer_irq(vp, intid);
        return;
    }
    if (intid == hv_platform.timer_virt_intid) {
        virtual_timer_irq(vp, intid);
        return;
    }
    if (intid == PPI_MAINTENANCE || intid == OVBS_HV_RESERVED_SGI) {
        /* A list register came free, or another CPU left interrupts for
         * this VP: place them. If VTL1 runs, that is an interrupt for
         * VTL0 like any other (preempts a call). */
        WRITE_SYSREG(S3_0_C12_C11_1, intid);
        if (intid == OVBS_HV_RESERVED_SGI)
            el1_pin_cpu_init(); /* the kernel lock may have pinned EL1 (el1_pin.c) */
        if (vp->active != VTL0 && (vp->wait0.sgis || vp->wait0.nhw))
            vtl_preempt_for_vtl0(vp);
        vgic_flush_waiting(vp);
        return;
    }
    if (gic_is_hv_spi(intid)) {
        smmu_handle_irq(intid);
        WRITE_SYSREG(S3_0_C12_C11_1, intid); /* ICC_DIR_EL1: deactivate */
        return;
    }
    if (vp->active != VTL0)
        vtl_preempt_for_vtl0(vp);
    vgic_inject(vp, VTL0, intid, true);
}

/* An FIQ exit: a Group 0 interrupt. The hypervisor keeps every interrupt
 * in Group 1 and VTL0 cannot change that for SGIs, PPIs and SPIs (the
 * extended SPI range of a GICv3.1 distributor, GICD_TYPER.ESPI, is not
 * emulated yet), so this is firmware's leftover or an extended SPI VTL0
 * regrouped. Acknowledge it (ICC_IAR0_EL1), drop its priority
 * (ICC_EOIR0_EL1) and deactivate it (ICC_DIR_EL1), or it would be
 * signalled forever; it reaches no VTL. */
void gic_handle_fiq(struct vp *vp)
{
    uint32_t intid = (uint32_t)READ_SYSREG(S3_0_C12_C8_0) & 0xffffff;
    if (intid >= 1020 && intid <= 1023)
        return;
    WRITE_SYSREG(S3_0_C12_C8_1, intid);
    WRITE_SYSREG(S3_0_C12_C11_1, intid);
    hv_event(OVBS_EV_FIQ, intid, vp->active);
    if (hv_log_allowed(LOG_SRC_GIC))
        hv_log("Group 0 interrupt %u (FIQ) while VTL%u ran: acknowledged and dropped", intid,
               vp->active);
}

/* hv.selftest=forge-timer: what VTL0 could do if it reached the SGI/PPI
 * page: set both timer PPIs pending with no timer armed. The first guest
 * entry takes them, and both must be dropped as forged (tests/qemu). */
void gic_selftest_forge_timers(void)
{
    *reg32(boot_rd + GICR_ISPENDR0) = (1u << hv_platform.timer_hyp_intid) |
                                      (1u << hv_platform.timer_virt_intid);
}
