/* gic_tests.c: tests of interrupt ownership from VTL0 (EL1 of VTL0): VTL0
 * programs the GICv3 distributor and its redistributor's SGI/PPI page as an
 * attacker (or an unmodified Linux) would, and the interrupts the
 * hypervisor depends on (maintenance 25, shadow timer 26, the physical
 * virtual-timer PPI 27) keep working for VTL1 and for the hypervisor. */
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pgtable.h"
#include "vsm_tests.h"

/* Redistributor SGI/PPI page (SGI_base = RD_base + 64 KiB) and distributor
 * registers: bit or byte n is INTID n. */
#define SGI_PAGE        0x10000
#define GICR_IGROUPR0   0x080
#define GICR_ISENABLER0 0x100
#define GICR_ICENABLER0 0x180
#define GICR_ISPENDR0   0x200
#define GICR_ICPENDR0   0x280
#define GICR_ISACTIVER0 0x300
#define GICR_IPRIORITYR 0x400
#define GICR_IGRPMODR0  0xd00
#define GICD_CTLR       0x000
#define GICD_CTLR_RWP   (1u << 31)
#define GICD_CTLR_GRPS  3u          /* EnableGrp0, EnableGrp1 */
#define GICD_TYPER      0x004
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ICFGR      0xc00
#define GICD_IROUTER    0x6000     /* 64-bit, one per INTID (from 32) */

#define PPI_MAINT  25
#define PPI_HYP    26
#define PPI_VIRT   27
#define HV_PPIS    ((1u << PPI_MAINT) | (1u << PPI_HYP) | (1u << PPI_VIRT))
#define WATCHDOG_TICKS 6250        /* 100 us at 62.5 MHz */

static volatile uint32_t *sgi_reg(uint64_t off)
{
    return (volatile uint32_t *)(uintptr_t)(gicr_base + SGI_PAGE + off);
}

static volatile uint8_t *sgi_prio(unsigned intid)
{
    return (volatile uint8_t *)(uintptr_t)(gicr_base + SGI_PAGE + GICR_IPRIORITYR + intid);
}

static volatile uint32_t *gicd_reg(uint64_t off)
{
    return (volatile uint32_t *)(uintptr_t)(gicd_base + off);
}

/* The distributor's control page and IROUTER page, and the SGI/PPI page,
 * in our own stage 1 (stage 2 is the hypervisor's business). */
static bool map_gic(void)
{
    return gicd_base && gicr_base &&
           mmu_map(gicd_base, 4096, PT_R | PT_W | PT_DEVICE) &&
           mmu_map(gicd_base + GICD_IROUTER, 4096, PT_R | PT_W | PT_DEVICE) &&
           mmu_map(gicr_base + SGI_PAGE, 4096, PT_R | PT_W | PT_DEVICE);
}

static void gicd_wait_rwp(void)
{
    while (*gicd_reg(GICD_CTLR) & GICD_CTLR_RWP)
        ;
}

/* The store and the VtlCall back to back: the attacker's best chance to
 * have a forged interrupt taken only once VTL1 runs. */
static struct hv_result store_then_call(volatile uint32_t *reg, uint32_t value,
                                        uint64_t service, uint64_t a)
{
    register uint64_t x0 __asm__("x0") = OVBS_VTL_CALL;
    register uint64_t x1 __asm__("x1") = service;
    register uint64_t x2 __asm__("x2") = a;
    register uint64_t x3 __asm__("x3") = 0;
    __asm__ volatile("str %w[v], [%[r]]\n\thvc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     : [v] "r"(value), [r] "r"(reg)
                     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
                       "x14", "x15", "x16", "x17", "memory");
    return (struct hv_result){ x0, x1, x2, x3 };
}

/* One runaway watchdog, cut short by nothing but VTL1's own timer. */
static bool watchdog_by_timer(struct hv_result r, struct hv_result before,
                              struct hv_result after)
{
    return r.x0 == HV_STATUS_TIME_OUT && r.x1 >= WATCHDOG_TICKS && after.x2 == before.x2 + 1;
}

/* Forge VTL1's timer: set PPIs 26 and 27 pending (and active) in the
 * redistributor right before a watchdog secure call. The hypervisor's
 * hardware state must not change (26 reads as zero; 27 is VTL0's own
 * virtual copy, so VTL0 alone receives its pend) and the watchdog must run
 * its full time. */
bool a_gic_forge_timer(void)
{
    if (!map_gic())
        return note(false, "no GIC in the device tree");
    const uint32_t forged = (1u << PPI_HYP) | (1u << PPI_VIRT);
    bool ok = true;
    unsigned irqs = irq_count;
    irq_disable();
    for (int round = 0; round < 4; round++) {
        struct hv_result before = vcall(SC_STATS, 0, 0, 0);
        volatile uint32_t *reg = sgi_reg(round & 1 ? GICR_ISACTIVER0 : GICR_ISPENDR0);
        struct hv_result r = store_then_call(reg, forged, SC_WATCHDOG, WATCHDOG_TICKS);
        struct hv_result after = vcall(SC_STATS, 0, 0, 0);
        if (!watchdog_by_timer(r, before, after))
            kprintf("    round %d: watchdog status %ld after %lu ticks\n", round, (long)r.x0,
                    r.x1);
        ok &= watchdog_by_timer(r, before, after);
        ok &= !(*sgi_reg(GICR_ISPENDR0) & (1u << PPI_HYP)) &&
              !(*sgi_reg(GICR_ISACTIVER0) & forged);
    }
    /* Accesses the syndrome does not describe as one plain register access
     * (64-bit here) are refused with an abort, not guessed at. */
    unsigned faults = this_cpu()->fault.count;
    bool refused = probe_load(gicr_base + SGI_PAGE + GICR_ISENABLER0) == PROBE_FAULT_VALUE &&
                   probe_load(gicd_base + GICD_CTLR) == PROBE_FAULT_VALUE &&
                   this_cpu()->fault.count == faults + 2;
    /* Two of the rounds pended VTL0's virtual copy of 27: it reaches VTL0,
     * once (a list register holds it until VTL0 takes it). */
    bool own_pending = *sgi_reg(GICR_ISPENDR0) & (1u << PPI_VIRT);
    irq_enable();
    for (volatile int i = 0; i < 1000; i++)
        ;
    irq_disable();
    bool to_vtl0 = irq_count == irqs + 1;
    kprintf("    VTL0's own pend of PPI 27 delivered to VTL0: %u time(s)\n", irq_count - irqs);
    return note(ok && refused && !own_pending && to_vtl0,
                "PPIs 26/27 pended and activated by VTL0 before a secure call: hardware "
                "unchanged, VTL1's watchdog ran its full time");
}

/* What an unmodified Linux does at boot: disable every PPI it does not use
 * (25 and 26 included) and the distributor's group enables around its
 * setup. VTL1's timer must keep working, and so must VTL0's own once VTL0
 * enables its PPI again, preempting a long secure call. */
bool a_gic_disable_hv_ppis(void)
{
    if (!map_gic())
        return note(false, "no GIC in the device tree");
    irq_disable();
    uint32_t ctlr = *gicd_reg(GICD_CTLR);
    *sgi_reg(GICR_ICENABLER0) = HV_PPIS;
    *gicd_reg(GICD_CTLR) = ctlr & ~GICD_CTLR_GRPS;
    gicd_wait_rwp();
    bool seen_off = !(*sgi_reg(GICR_ISENABLER0) & HV_PPIS) &&
                    !(*gicd_reg(GICD_CTLR) & GICD_CTLR_GRPS);
    bool watchdog = t_vtl1_watchdog();
    bool entry = t_vtl1_timer_entry();
    *sgi_reg(GICR_ISENABLER0) = 1u << PPI_VIRT; /* Linux enables its timer PPI */
    bool preempts = t_interrupt_preempts_vtl1();
    bool still_off = !(*sgi_reg(GICR_ISENABLER0) & ((1u << PPI_MAINT) | (1u << PPI_HYP)));
    *gicd_reg(GICD_CTLR) = ctlr;
    gicd_wait_rwp();
    bool restored = (*gicd_reg(GICD_CTLR) & GICD_CTLR_GRPS) == (ctlr & GICD_CTLR_GRPS);
    kprintf("    VTL0 sees them off: %d; VTL1 watchdog %d, timer entry %d; VTL0 preempts %d\n",
            seen_off, watchdog, entry, preempts);
    return note(seen_off && watchdog && entry && preempts && still_off && restored,
                "PPIs 25-27 and the group enables turned off by VTL0: VTL1's timer and "
                "VTL0's own still work");
}

/* VTL0 tells its CPU's redistributor the CPU goes to sleep, as Linux
 * does before a deep idle state (GICR_WAKER.ProcessorSleep): on hardware
 * that stops every interrupt to the CPU, the hypervisor's included. VTL0
 * sees its own copy (ChildrenAsleep follows at once), and VTL1's timer
 * and VTL0's own keep working; then VTL0 wakes it again. */
#define GICR_WAKER        0x0014
#define GICR_WAKER_SLEEP  (1u << 1)
#define GICR_WAKER_ASLEEP (1u << 2)
bool a_gic_redistributor_sleep(void)
{
    if (!map_gic() || !mmu_map(gicr_base, 4096, PT_R | PT_W | PT_DEVICE))
        return note(false, "no GIC in the device tree");
    volatile uint32_t *waker = (volatile uint32_t *)(uintptr_t)(gicr_base + GICR_WAKER);
    *waker = GICR_WAKER_SLEEP;
    bool asleep = (*waker & (GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP)) ==
                  (GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP);
    bool watchdog = t_vtl1_watchdog();
    bool entry = t_vtl1_timer_entry();
    bool preempts = t_interrupt_preempts_vtl1();
    *waker = 0;
    bool awake = !(*waker & (GICR_WAKER_SLEEP | GICR_WAKER_ASLEEP));
    kprintf("    VTL0 sees its redistributor asleep %d; VTL1 watchdog %d, timer entry %d; "
            "VTL0 preempts %d; awake again %d\n", asleep, watchdog, entry, preempts, awake);
    return note(asleep && watchdog && entry && preempts && awake,
                "VTL0 puts its redistributor to sleep: only its own copy does");
}

static bool wait_for_irq(unsigned expect)
{
    uint64_t until = READ_SYSREG(cntvct_el0) + 20 * WATCHDOG_TICKS;
    irq_enable();
    while (irq_count != expect && READ_SYSREG(cntvct_el0) < until)
        ;
    irq_disable();
    return irq_count == expect;
}

/* VTL0's virtual copy of PPI 27: disabled, its timer is held (and VTL1's
 * still fires); enabled again, the held interrupt arrives. Its priority
 * reads back what VTL0 wrote, bytewise and wordwise; 25 and 26 read as
 * zero and ignore writes. */
bool t_gic_vtimer_copy(void)
{
    if (!map_gic())
        return note(false, "no GIC in the device tree");
    irq_disable();
    unsigned irqs = irq_count;
    *sgi_reg(GICR_ICENABLER0) = 1u << PPI_VIRT;
    bool off = !(*sgi_reg(GICR_ISENABLER0) & (1u << PPI_VIRT));
    timer_arm(WATCHDOG_TICKS / 10);
    bool quiet = !wait_for_irq(irqs + 1);
    /* Held once the hypervisor took the timer's physical interrupt; on a
     * loaded host that may come late, so look for a while. */
    bool held = false;
    for (uint64_t until = READ_SYSREG(cntvct_el0) + 20 * WATCHDOG_TICKS;
         !held && READ_SYSREG(cntvct_el0) < until;)
        held = *sgi_reg(GICR_ISPENDR0) & (1u << PPI_VIRT);
    bool vtl1 = t_vtl1_watchdog();
    *sgi_reg(GICR_ISENABLER0) = 1u << PPI_VIRT;
    bool delivered = wait_for_irq(irqs + 1);
    bool on = *sgi_reg(GICR_ISENABLER0) & (1u << PPI_VIRT);

    volatile uint32_t *word = sgi_reg(GICR_IPRIORITYR + PPI_MAINT - 1); /* INTIDs 24-27 */
    uint32_t saved = *word;
    *sgi_prio(PPI_VIRT) = 0x80;
    *sgi_prio(PPI_HYP) = 0x10;
    bool byte = *sgi_prio(PPI_VIRT) == 0x80 && *sgi_prio(PPI_HYP) == 0 &&
                *sgi_prio(PPI_MAINT) == 0;
    *word = (saved & 0xffu) | 0x40302000u;
    bool words = (*word >> 8) == 0x400000u && *sgi_prio(PPI_VIRT) == 0x40;
    *word = saved;
    bool restored = *word == saved && (saved >> 24) != 0;
    kprintf("    disabled: quiet %d, held %d; re-enabled: delivered %d; priorities %d/%d\n",
            quiet, held, delivered, byte, words);
    return note(off && quiet && held && vtl1 && delivered && on && byte && words && restored,
                "VTL0's PPI 27 is a virtual copy: held while disabled, delivered on enable; "
                "its priority reads back");
}

/* VTL0 makes PPIs 26/27 and an SPI Group 0 (an FIQ at EL2): every group
 * bit reads back 1, the group modifier reads 0, and the SPI still arrives
 * as an ordinary interrupt. */
bool a_gic_group0(void)
{
    if (!map_gic())
        return note(false, "no GIC in the device tree");
    unsigned lines = ((*gicd_reg(GICD_TYPER) & 0x1f) + 1) * 32;
    uint32_t spi = lines - 1; /* the last SPI: no device uses it */
    uint32_t bit = 1u << (spi % 32), word = 4 * (spi / 32);
    irq_disable();
    *sgi_reg(GICR_IGROUPR0) = 0;
    *sgi_reg(GICR_IGRPMODR0) = ~0u;
    *gicd_reg(GICD_IGROUPR + word) = 0;
    bool ppis = *sgi_reg(GICR_IGROUPR0) == ~0u && *sgi_reg(GICR_IGRPMODR0) == 0;
    bool spis = (*gicd_reg(GICD_IGROUPR + word) & bit) != 0;
    /* Edge-triggered, routed to this CPU, enabled, then pended. */
    volatile uint32_t *cfg = gicd_reg(GICD_ICFGR + 4 * (spi / 16));
    *cfg |= 2u << (2 * (spi % 16));
    ((volatile uint8_t *)(uintptr_t)(gicd_base + GICD_IPRIORITYR))[spi] = 0xa0;
    *(volatile uint64_t *)(uintptr_t)(gicd_base + GICD_IROUTER + 8ull * spi) = 0;
    *gicd_reg(GICD_ISENABLER + word) = bit;
    gicd_wait_rwp();
    irq_expected = spi;
    unsigned before = irq_expected_count;
    *gicd_reg(GICD_ISPENDR + word) = bit;
    irq_enable();
    uint64_t until = READ_SYSREG(cntvct_el0) + 10 * WATCHDOG_TICKS;
    while (irq_expected_count == before && READ_SYSREG(cntvct_el0) < until)
        ;
    irq_disable();
    bool arrived = irq_expected_count == before + 1;
    *gicd_reg(GICD_ICENABLER + word) = bit;
    *gicd_reg(GICD_ICPENDR + word) = bit;
    gicd_wait_rwp();
    irq_expected = 0;
    bool alive = hvc(OVBS_HV_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS &&
                 vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS;
    kprintf("    SGI/PPI groups %d, SPI %u group %d, delivered as an IRQ %d\n", ppis, spi, spis,
            arrived);
    return note(ppis && spis && arrived && alive,
                "Group 0 refused: all interrupts stay Group 1 (IRQs); the machine runs on");
}

/* The SMMU's interrupts are the hypervisor's (hv/smmu.c, gic_claim_spi):
 * on QEMU's virt machine its SPIs 74-77 are INTIDs 106-109, of which the
 * hypervisor takes eventq (106) and gerror (109). VTL0 tries everything an
 * attacker would to take them away: disable, clear pending and active,
 * lower the priority, make them level-triggered, route them elsewhere.
 * Every register must read them as zero (the hypervisor set each of them
 * non-zero) while a VTL0 SPI (the last one) keeps what VTL0 wrote. */
#define SMMU_EVENTQ_SPI 106
#define SMMU_GERROR_SPI 109
#define GICD_ICACTIVER  0x380

/* Enabled, priority 0xa0, edge-triggered in hardware: all read as zero. */
static bool spi_state_hidden(uint32_t spi)
{
    uint32_t bit = 1u << (spi % 32), word = 4 * (spi / 32);
    volatile uint8_t *prio = (volatile uint8_t *)(uintptr_t)(gicd_base + GICD_IPRIORITYR);
    volatile uint64_t *route = (volatile uint64_t *)(uintptr_t)(gicd_base + GICD_IROUTER + 8ull * spi);
    return !(*gicd_reg(GICD_ISENABLER + word) & bit) && prio[spi] == 0 &&
           !((*gicd_reg(GICD_ICFGR + 4 * (spi / 16)) >> (2 * (spi % 16))) & 3) && *route == 0;
}

static bool spi_reads_hidden(uint32_t spi)
{
    uint32_t bit = 1u << (spi % 32), word = 4 * (spi / 32);
    volatile uint8_t *prio = (volatile uint8_t *)(uintptr_t)(gicd_base + GICD_IPRIORITYR);
    volatile uint64_t *route = (volatile uint64_t *)(uintptr_t)(gicd_base + GICD_IROUTER + 8ull * spi);
    if (!spi_state_hidden(spi))
        return false;
    *gicd_reg(GICD_ICENABLER + word) = bit;
    *gicd_reg(GICD_ICPENDR + word) = bit;
    *gicd_reg(GICD_ICACTIVER + word) = bit;
    prio[spi] = 0x10;
    *gicd_reg(GICD_ICFGR + 4 * (spi / 16)) = 0;
    *route = 0xff00000000ull; /* Aff3 0xff: no such CPU */
    gicd_wait_rwp();
    return spi_state_hidden(spi);
}

bool a_gic_smmu_spis(void)
{
    if (!map_gic())
        return note(false, "no GIC in the device tree");
    irq_disable();
    bool eventq = spi_reads_hidden(SMMU_EVENTQ_SPI), gerror = spi_reads_hidden(SMMU_GERROR_SPI);
    uint32_t spi = ((*gicd_reg(GICD_TYPER) & 0x1f) + 1) * 32 - 1;
    volatile uint8_t *prio = (volatile uint8_t *)(uintptr_t)(gicd_base + GICD_IPRIORITYR);
    prio[spi] = 0x30;
    bool control = prio[spi] == 0x30; /* a VTL0 SPI is VTL0's to program */
    prio[spi] = 0;
    bool alive = hvc(OVBS_HV_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS &&
                 vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS;
    kprintf("    SMMU SPIs hidden: eventq %d, gerror %d; VTL0's SPI %u programmable %d\n", eventq,
            gerror, spi, control);
    return note(eventq && gerror && control && alive,
                "the SMMU's interrupts stay the hypervisor's: VTL0 reads them as zero");
}
