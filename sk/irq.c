/* irq.c: VTL1's own interrupts (EL1 of VTL1). The secure kernel uses the
 * EL1 virtual timer of its own VTL context to bound how long its work runs;
 * the hypervisor delivers that timer to VTL1 only, through VTL1's virtual
 * GIC CPU interface (ICC_* system registers, which at EL1 under
 * HCR_EL2.IMO are the virtual ICV_* ones). Each VP has its own timer and
 * its own virtual CPU interface: irq_init runs on every VP's every entry,
 * and the watchdog's state and the interrupt count are the VP's (struct
 * sk_cpu), so no lock is taken here but the event ring's (events.c). */
#include "arm64/sysreg.h"
#include "panic.h"
#include "sk.h"


/* CNTV_CTL_EL0: ENABLE (bit 0), IMASK (bit 1, the hypervisor sets it when
 * it injects the interrupt), ISTATUS (bit 2, read-only: the timer condition
 * CNTVCT >= CNTV_CVAL holds). */
#define CNTV_ENABLE  (1ull << 0)
#define CNTV_ISTATUS (1ull << 2)

void irq_init(void)
{
    WRITE_SYSREG(S3_0_C12_C12_5, 0x7);  /* ICC_SRE_EL1: SRE, DFB, DIB */
    isb();
    WRITE_SYSREG(S3_0_C4_C6_0, 0xff);   /* ICC_PMR_EL1: all priorities */
    WRITE_SYSREG(S3_0_C12_C12_3, 0);    /* ICC_BPR1_EL1 */
    WRITE_SYSREG(S3_0_C12_C12_7, 1);    /* ICC_IGRPEN1_EL1 */
    WRITE_SYSREG(cntv_ctl_el0, 0);
    isb();
    __asm__ volatile("msr daifclr, #2" ::: "memory"); /* IRQs on from now */
}

void timer_arm(uint64_t ticks)
{
    WRITE_SYSREG(cntv_cval_el0, READ_SYSREG(cntvct_el0) + ticks);
    WRITE_SYSREG(cntv_ctl_el0, CNTV_ENABLE);
    isb();
}

/* The deadline this kernel set has really passed: its own timer (VTL1's
 * CNTV context, which nothing outside VTL1 can write) is enabled and its
 * condition holds, read from the timer itself and from the counter. An
 * interrupt that arrives otherwise (VTL0 pending the timer's PPI in the
 * GIC, say) is not a timeout, and nothing acts on it as one. */
static bool own_timer_expired(void)
{
    uint64_t ctl = READ_SYSREG(cntv_ctl_el0);
    return (ctl & (CNTV_ENABLE | CNTV_ISTATUS)) == (CNTV_ENABLE | CNTV_ISTATUS) &&
           READ_SYSREG(cntvct_el0) >= READ_SYSREG(cntv_cval_el0);
}

void irq_handle(struct frame *f)
{
    uint64_t intid = READ_SYSREG(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */
    if (intid >= 1020)
        return;
    if (!own_timer_expired()) {
        sk_event(SK_EV_TIMER_SPURIOUS, intid, READ_SYSREG(cntv_ctl_el0));
        WRITE_SYSREG(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
        return;
    }
    /* The only interrupt VTL1 receives is its timer: stop it. */
    WRITE_SYSREG(cntv_ctl_el0, 0);
    isb();
    struct sk_cpu *cpu = this_cpu();
    cpu->timer_interrupts++;
    if (cpu->runaway_active && (f->elr == (uint64_t)(uintptr_t)sk_runaway_loop ||
                                f->elr == (uint64_t)(uintptr_t)sk_runaway_loop - 4)) {
        f->elr = (uint64_t)(uintptr_t)sk_runaway_escape;
        cpu->runaway_active = false;
    }
    WRITE_SYSREG(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
}

/* Work that would never end by itself, bounded by VTL1's timer. */
int watchdog_run(uint64_t ticks, uint64_t *elapsed)
{
    if (ticks == 0 || ticks > SC_WATCHDOG_MAX_TICKS)
        return HV_STATUS_INVALID_PARAMETER;
    /* IRQs stay masked until the loop runs: a short deadline must not
     * expire before there is a runaway to stop. The loop unmasks them; the
     * caller's DAIF is put back afterwards. */
    uint64_t daif = READ_SYSREG(daif);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    uint64_t start = READ_SYSREG(cntvct_el0);
    this_cpu()->runaway_active = true;
    timer_arm(ticks);
    sk_runaway();
    WRITE_SYSREG(daif, daif);
    *elapsed = READ_SYSREG(cntvct_el0) - start;
    if (sk_log_allowed(SK_LOG_CALLS))
        sk_log("watchdog: runaway work stopped by VTL1's timer after %lu ticks", *elapsed);
    return HV_STATUS_TIME_OUT;
}
