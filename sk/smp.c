/* smp.c: the secure kernel on several VPs (EL1 of VTL1): its locks, which
 * tell the hypervisor not to preempt a VP while it holds one, and how each
 * VP is enabled, entered and set up. docs/sk-smp.md has the design.
 *
 * Why a lock needs the hypervisor's help: an interrupt for VTL0 preempts
 * VTL1's secure call wherever it is, and VTL0 may never resume that call.
 * A VP preempted inside a critical section would leave every other VP
 * spinning for the lock for ever. So while assist.no_preempt (the depth
 * of critical sections on this VP) is non-zero the hypervisor only notes
 * the interrupt (assist.preempt_deferred); the outermost unlock sees the
 * note and yields to VTL0 at once, now holding nothing. */
#include <stddef.h>
#include "arm64/sysreg.h"
#include "panic.h"
#include "sk.h"

struct sk_cpu sk_cpus[SK_MAX_VPS];
unsigned sk_nvp = 1;
extern char sk_stack_top[], sk_vp_stacks[];

/* sk_lock and sk_unlock are inline in sk.h. */
static inline void compiler_barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

/* The hypervisor deferred VTL0's interrupt while this VP held a lock:
 * give the CPU to VTL0 now. Returns when VTL0 resumes the secure call.
 * Out of line: sk_unlock stays a few instructions without a frame. */
__attribute__((noinline)) void sk_yield_deferred(struct sk_cpu *cpu)
{
    cpu->assist.preempt_deferred = 0;
    compiler_barrier();
    hvc(OVBS_VTL1_YIELD, 0, 0, 0);
}

uint64_t sk_lock_irq(struct spinlock *l)
{
    uint64_t daif = READ_SYSREG(daif);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    sk_lock(l);
    return daif;
}

void sk_unlock_irq(struct spinlock *l, uint64_t daif)
{
    struct sk_cpu *cpu = this_cpu();
    spin_unlock(l);
    compiler_barrier();
    uint32_t depth = cpu->assist.no_preempt - 1;
    cpu->assist.no_preempt = depth;
    WRITE_SYSREG(daif, daif);
    compiler_barrier();
    if (depth == 0 && cpu->assist.preempt_deferred)
        sk_yield_deferred(cpu);
}

/* Tell the hypervisor where this VP's assist struct is. Without it a lock
 * holder could be preempted and stall every other VP: fail closed. */
static void register_assist(struct sk_cpu *cpu)
{
    struct hv_result r = hvc(OVBS_VTL1_SET_VP_ASSIST, (uint64_t)(uintptr_t)&cpu->assist, 0, 0);
    if (r.x0 != HV_STATUS_SUCCESS) {
        sk_log("the hypervisor refused this VP's assist struct: status 0x%lx", r.x0);
        panic("no VP assist struct: locks could be preempted");
    }
}

/* Everything a VP's EL1 needs besides what entry.S did (vectors, MMU,
 * TPIDR_EL1): run on every entry of every VP, so it is repeatable. The
 * state of the VP's last life (if it was turned off) is dropped: VTL1 was
 * idle then, so no trustlet ran and no lock was held. */
void sk_cpu_setup(struct sk_cpu *cpu, unsigned vp)
{
    cpu->index = vp;
    cpu->assist.no_preempt = 0;
    cpu->assist.preempt_deferred = 0;
    cpu->assist.nested_entry = (uint64_t)(uintptr_t)sk_nested_entry;
    cpu->assist.nested_sp = (uint64_t)(uintptr_t)sk_nested_stacks +
                            (uint64_t)(vp + 1) * SK_NESTED_STACK_SIZE;
    cpu->in_nested = false;
    cpu->running = NULL;
    cpu->runaway_active = false;
    for (unsigned i = 0; i < 8; i++)
        cpu->io.x[i] = 0;
    trustlets_cpu_init();
    fp_init();
    irq_init();
}

static uint64_t stack_top(unsigned vp)
{
    if (vp == 0)
        return (uint64_t)(uintptr_t)sk_stack_top;
    return (uint64_t)(uintptr_t)sk_vp_stacks + (uint64_t)vp * SK_STACK_SIZE;
}

static uint64_t enable_vp(unsigned vp)
{
    return hvc6(OVBS_ENABLE_VP_VTL, vp, (uint64_t)(uintptr_t)sk_secondary_entry, stack_top(vp),
                (uint64_t)(uintptr_t)&sk_cpus[vp], 0, 0).x0;
}

/* On the boot VP, before OVBS_VTL1_BOOT_DONE: register VP 0's assist,
 * enable VTL1 on every other VP this kernel supports (a refusal leaves
 * that VP disabled: VTL0 cannot start it), and record VP 0's own restart
 * entry. VPs past SK_MAX_VPS are never enabled. */
void smp_boot(unsigned nvp)
{
    struct sk_cpu *boot = &sk_cpus[0];
    if (nvp == 0 || nvp > 8)
        panic("the hypervisor passed no sensible number of VPs");
    unsigned want = nvp < SK_MAX_VPS ? nvp : SK_MAX_VPS;
    register_assist(boot);
    for (unsigned vp = 1; vp < want; vp++) {
        uint64_t st = enable_vp(vp);
        if (st == HV_STATUS_SUCCESS)
            sk_nvp++;
        else
            sk_log("VP %u stays without VTL1: enable refused, status 0x%lx", vp, st);
    }
    uint64_t st = enable_vp(0);
    if (st != HV_STATUS_SUCCESS)
        sk_log("no restart entry for VP 0: status 0x%lx", st);
    sk_log("%u of %u VPs enabled for VTL1 (this kernel runs on at most %u)", sk_nvp, nvp,
           SK_MAX_VPS);
}

/* A VP's entry from entry.S (MMU on, TPIDR_EL1 = cpu): check that the
 * hypervisor's argument and index agree, set the VP up, and serve. */
_Noreturn void sk_secondary_main(struct sk_cpu *cpu, uint64_t vp);
_Noreturn void sk_secondary_main(struct sk_cpu *cpu, uint64_t vp)
{
    if (vp >= SK_MAX_VPS || cpu != &sk_cpus[vp])
        panic("a VP entered with an argument that is not its own");
    sk_cpu_setup(cpu, (unsigned)vp);
    register_assist(cpu);
    /* After the kernel lock, VTL0 starts only inside its locked text
     * (kernel_lock.c); otherwise the VP stays off. */
    uint64_t entry = hvc6(OVBS_GET_VP_REGISTER, vp, 0, VP_REG_PC, 0, 0, 0).x1;
    if (!kl_start_allowed(entry)) {
        sk_log("VTL0's CPU_ON entry 0x%lx is not locked kernel text: VP %lu stays off", entry,
               vp);
        hvc(OVBS_VTL1_VP_DECLINE, 0, 0, 0);
        panic("the hypervisor would not decline a starting VP");
    }
    sk_log("started: VTL1 set up on this VP");
    sk_dispatch_loop(cpu, OVBS_VTL1_VP_READY);
}
