/* irq.c: interrupts in the VTL0 test kernel (EL1 of VTL0): the GIC's
 * virtual CPU interface (ICC_* system registers, virtualised by the
 * hypervisor) and the EL1 virtual timer of VTL0's own context. */
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pgtable.h"

volatile unsigned irq_count;
volatile bool irq_hit_in_call;   /* the last timer interrupt preempted a timed call */
void (*volatile irq_hook)(void); /* run once by the next timer interrupt */
unsigned timer_intid = 27;
uint64_t gicd_base, gicr_base;
volatile uint32_t irq_expected;
volatile unsigned irq_expected_count;

/* Redistributor frames: RD page, then the SGI/PPI page; 128 KiB each
 * (GICv3 without virtual LPIs, as QEMU's virt machine has). */
#define GICR_FRAME      0x20000
#define GICR_TYPER      0x08
#define GICR_SGI_PAGE   0x10000
#define GICR_ISENABLER0 0x100
#define SGIS_FOR_VTL0   0x7fffu /* 0-14; 15 is the hypervisor's */

/* Map every CPU's redistributor frame before the other CPUs start (the
 * stage-1 tables are not changed concurrently). */
void irq_map_redistributors(void)
{
    if (gicr_base)
        mmu_map(gicr_base, (uint64_t)num_cpus * GICR_FRAME, PT_R | PT_W | PT_DEVICE);
}

/* This CPU's redistributor: the frame whose GICR_TYPER affinity is ours. */
static uint64_t my_redistributor(void)
{
    uint64_t aff = READ_SYSREG(mpidr_el1) & 0xffffff;
    aff |= ((READ_SYSREG(mpidr_el1) >> 32) & 0xff) << 24;
    for (unsigned i = 0; gicr_base && i < num_cpus; i++) {
        uint64_t frame = gicr_base + (uint64_t)i * GICR_FRAME;
        uint64_t typer = *(volatile uint64_t *)(uintptr_t)(frame + GICR_TYPER);
        if ((typer >> 32) == aff)
            return frame;
    }
    return 0;
}

/* The CPU interface is per CPU, and so is the enable of its SGIs (the
 * redistributor's SGI/PPI page), as Linux sets them up. */
void irq_init_cpu(void)
{
    WRITE_SYSREG(S3_0_C12_C12_5, 0x7);  /* ICC_SRE_EL1: SRE, DFB, DIB */
    isb();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);   /* ICC_PMR_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_3, 0);    /* ICC_BPR1_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);    /* ICC_IGRPEN1_EL1 */
    WRITE_SYSREG(cntv_ctl_el0, 0);
    isb();
    uint64_t rd = my_redistributor();
    if (rd)
        *(volatile uint32_t *)(uintptr_t)(rd + GICR_SGI_PAGE + GICR_ISENABLER0) = SGIS_FOR_VTL0;
}

void irq_init(void)
{
    irq_map_redistributors();
    irq_init_cpu();
}

void timer_arm(uint64_t ticks)
{
    WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntvct_el0) + ticks);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    isb();
}

void timer_stop(void)
{
    WRITE_SYSREG(cntv_ctl_el0, 0);
    isb();
}

void irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

void irq_disable(void)
{
    __asm__ volatile("msr daifset, #2" ::: "memory");
}

/* The timer interrupt landed inside the secure call of vcall_with_timer
 * exactly when it stopped VTL1's work: the hypervisor then hands it to VTL0
 * with the call rewound onto its HVC (vtl_preempt_for_vtl0), so the
 * interrupted PC is that HVC. Before the call or after its VtlReturn the PC
 * is another one (entry.S, vtl0_timed_vcall). */
static bool preempted_timed_call(const struct frame *f)
{
    return f->elr == (uint64_t)(uintptr_t)vtl0_timed_hvc;
}

void vtl0_irq(const struct frame *f)
{
    uint64_t intid = READ_SYSREG(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */
    if (intid >= 1020)
        return;
    if (intid == timer_intid) {
        timer_stop();
        irq_count++;
        irq_hit_in_call = preempted_timed_call(f);
        void (*hook)(void) = irq_hook;
        irq_hook = 0;
        if (hook)
            hook();
    } else if (intid < 16) {
        struct percpu *c = this_cpu();
        c->sgi_count[intid]++;
        void (*sgi_hook)(unsigned) = c->sgi_hook;
        if (sgi_hook)
            sgi_hook((unsigned)intid);
    } else if (irq_expected && intid == irq_expected) {
        irq_expected_count++;
    } else {
        kprintf("VTL0: unexpected interrupt %lu\n", intid);
    }
    WRITE_SYSREG(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
}

/* One secure call (arguments a..d) with VTL0's timer armed `ticks` ahead
 * and `hook` run by its interrupt. *hit: exactly one interrupt came, and it
 * preempted the call (so the hook ran once, while VTL1's work was stopped). */
struct hv_result vcall_with_timer(uint64_t ticks, void (*hook)(void), bool *hit,
                                  uint64_t service, uint64_t a, uint64_t b, uint64_t c,
                                  uint64_t d)
{
    uint64_t io[7] = { OVBS_VTL_CALL, service, a, b, c, d, 0 };
    return vcall_with_timer_io(ticks, hook, hit, io);
}

/* The same with all of x0..x6 given (io[0..6]). */
struct hv_result vcall_with_timer_io(uint64_t ticks, void (*hook)(void), bool *hit,
                                     uint64_t io[7])
{
    unsigned before = irq_count;
    irq_hook = hook;
    irq_hit_in_call = false;
    irq_disable();
    timer_arm(ticks);
    vtl0_timed_vcall(io); /* IRQs unmasked around its HVC only */
    timer_stop();
    irq_hook = 0;
    *hit = irq_count == before + 1 && irq_hit_in_call;
    return (struct hv_result){ io[0], io[1], io[2], io[3] };
}
