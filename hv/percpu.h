/* percpu.h: per-physical-CPU and per-virtual-processor state of the
 * hypervisor (EL2). TPIDR_EL2 points at the running CPU's struct hv_cpu.
 * One VP runs on each CPU; each VP has one register context per VTL (VTL1's
 * arrives with the secure kernel). */
#ifndef OVBS_HV_PERCPU_H
#define OVBS_HV_PERCPU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arm64/fpsimd.h"
#include "layout.h"
#include "openvbs/vsm.h"
#include "spinlock.h"
#include "stage2.h"
#include "vpstate.h"

/* General registers of a guest, saved on every trap (entry.S). */
struct guest_regs {
    uint64_t x[31];
    uint64_t elr;  /* ELR_EL2: where the guest resumes */
    uint64_t spsr; /* SPSR_EL2: the guest's PSTATE */
    uint64_t pad;
};
_Static_assert(offsetof(struct guest_regs, elr) == REGS_ELR, "REGS_ELR");
_Static_assert(offsetof(struct guest_regs, spsr) == REGS_SPSR, "REGS_SPSR");
_Static_assert(sizeof(struct guest_regs) == REGS_SIZE, "REGS_SIZE");

enum vtl { VTL0 = 0, VTL1 = 1, VTL_COUNT };

/* EL1 system registers an OS uses: one set per VTL, swapped on a VTL switch
 * (sysregs.c). Everything VTL0 could read after a switch is here. */
struct el1_sysregs {
    uint64_t sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
    uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1;
    uint64_t elr, spsr, esr, far, par, afsr0, afsr1, cpacr, csselr, mdscr;
    uint64_t cntkctl, cntv_ctl, cntv_cval;
    uint64_t apia_lo, apia_hi, apib_lo, apib_hi, apda_lo, apda_hi, apdb_lo, apdb_hi;
    uint64_t apga_lo, apga_hi;
    uint64_t tpidr2_el0; /* with SME only (OVBS_FEAT_TPIDR2) */
};

/* EL2 controls that differ between the VTLs (vtl.c). */
struct el2_controls {
    uint64_t mdcr;    /* MDCR_EL2: VTL1 also has TPM, no PMU access at all */
    uint64_t cnthctl; /* CNTHCTL_EL2: VTL1 lacks EL1PCEN, no physical timer */
};


/* One VTL's view of the GICv3 virtual CPU interface (gic.c). */
#define VGIC_MAX_LR 16
#define VGIC_MAX_APR 4
struct vgic_state {
    uint32_t used;              /* bit n: lr[n] holds an interrupt */
    uint64_t lr[VGIC_MAX_LR];
    uint64_t vmcr;
    bool upper_aprs;             /* AP<g>R1.. exist: a copy of gic.c's
                                  * nr_apr > 1, next to the data the switch
                                  * loads anyway */
    uint64_t ap0r[VGIC_MAX_APR]; /* active priorities, as many as exist */
    uint64_t ap1r[VGIC_MAX_APR];
};

/* VTL0's virtual copy of the virtual-timer PPI (27) of this VP's
 * redistributor. Both VTLs' EL1 virtual timers raise that one physical PPI,
 * so its physical state (enable, priority, group, pending, active) is the
 * hypervisor's and VTL0 never reaches it: VTL0's accesses to its bits in the
 * SGI/PPI page are emulated against this copy (gicr.c), and the copy only
 * decides what is injected into VTL0 (gic.c). Group is always 1 and the
 * trigger is the hardware's; there is no active state to copy (VTL0's
 * virtual CPU interface holds it in a list register). */
struct vtimer_ppi {
    bool enabled;     /* VTL0's ISENABLER0 bit: VTL0's timer is injected */
    bool held;        /* pending for VTL0 but not injected: its timer fired
                       * (output then masked with CNTV_CTL_EL0.IMASK) or VTL0
                       * set it pending while disabled; injected on enable */
    uint8_t priority; /* VTL0's IPRIORITYR byte: the injected priority */
};

/* Everything that belongs to one VTL of one VP. */
struct vtl_ctx {
    struct guest_regs regs;
    struct el1_sysregs sys;
    struct fpsimd_state fp;
    struct vgic_state gic;
    struct el2_controls el2;
    bool vserror_pending; /* HCR_EL2.VSE for this VTL, while the other runs */
    uint64_t vdisr;       /* VDISR_EL2 (FEAT_RAS): a deferred virtual SError */
    struct stage2 *s2;  /* this VTL's view of physical memory */
};

/* Virtual interrupts waiting for a free list register of one VTL of a VP
 * (gic.c). SGIs come from any CPU: one bit per SGI INTID, set atomically
 * by the sender (LDSET), taken by the VP's own CPU (SWP). A device
 * interrupt (its physical one linked, ICH_LR.HW) stays active in the
 * distributor until VTL0 deactivates it, so it cannot arrive twice: the
 * few that find no free list register wait in `hw` (own CPU only). */
#define VGIC_HW_WAITING 16
struct __attribute__((aligned(8))) vgic_waiting {
    uint32_t sgis;                       /* atomic: bit n = SGI n pending */
    uint32_t nhw;                        /* own CPU; with sgis one 64-bit
                                          * word: "anything waiting?" is
                                          * one load (vtl.c) */
    uint32_t hw[VGIC_HW_WAITING];        /* own CPU */
};

/* Guards, per field of struct vp:
 *   lock: the VP's power and enable state (vtl1 while OFF, ENABLED or
 *         BOOTING, start_*, vtl1_entry_*) — the fields another CPU reads or
 *         changes (PSCI CPU_ON/AFFINITY_INFO, OVBS_ENABLE_VP_VTL);
 *   own:  everything else, changed only by the CPU that runs this VP while
 *         it runs (vtl1 in the running states, contexts, interrupts);
 *   atomic: sgi0.sgis (any CPU sets bits).
 * vtl1 is written with the lock held in every state; the VP's own CPU
 * reads it without the lock (a remote CPU only changes it while the VP is
 * not running). */
struct vp {
    unsigned index;                 /* own: fixed */
    struct spinlock lock;
    enum vtl active;                /* own: which VTL runs (or will run) */
    enum vtl1_state vtl1;           /* lock (see above): vpstate.c's machine */
    uint64_t preempted_call_pc;     /* own: VTL0's VtlCall that was preempted: */
    uint64_t preempted_call_sp;     /* its PC and stack pointer (vtl.c) */
    uint64_t preempted_at;          /* own: CNTPCT when that call was preempted */
    enum vtl fp_owner;              /* own: whose FP/SIMD values the registers hold */
    uint64_t vtl0_pmcr;             /* own: VTL0's PMCR_EL0 and PMUSERENR_EL0 while */
    uint64_t vtl0_pmuserenr;        /* VTL1 runs (vtl.c: pmu_on_switch) */
    bool vserror_used;              /* own: a virtual SError was ever raised here:
                                     * only then does the switch move HCR_EL2.VSE */
    uint64_t vtl1_entry_pc;         /* lock: where VTL1 starts on this VP */
    uint64_t vtl1_entry_sp;         /* lock: (OVBS_ENABLE_VP_VTL) */
    uint64_t vtl1_entry_arg;
    uint64_t start_pc;              /* lock: VTL0's CPU_ON entry point */
    uint64_t start_ctx;             /* lock: and context ID */
    struct ovbs_vp_assist *assist;  /* own: VTL1's critical-section flag, or NULL */
    uint64_t intercepts, preemptions, deferrals, yields; /* own: statistics */
    struct ovbs_intercept_message intercept; /* own: last one delivered to VTL1 */
    struct vtimer_ppi vtimer0;      /* gic lock (gicr.c): VTL0's view of the PPI */
    struct vgic_waiting wait0;      /* VTL0's interrupts waiting for a list register */
    struct vtl_ctx vtl[VTL_COUNT];  /* own */
    /* Last: kept out of the offsets the VTL switch uses (immediates). */
    struct {                        /* own: the preempted call's VTL1 context */
        struct guest_regs regs;     /* while a nested intercept runs (vtl.c) */
        struct el1_sysregs sys;
    } nested;
};

/* One per physical CPU, reached through TPIDR_EL2; only that CPU writes
 * it after it started (mpidr and redistributor are set before). */
struct hv_cpu {
    struct guest_regs *cur_regs; /* CPU_CUR_REGS: where entry.S saves a trap */
    uint64_t panic_sp;           /* CPU_PANIC_SP: stack for fatal reports */
    uint64_t stack_top;          /* CPU_STACK_TOP: above its guard page */
    unsigned index;
    uint64_t mpidr;
    struct vp *vp;               /* the VP this CPU runs */
    uint64_t redistributor;      /* this CPU's GICR frame (gic.c) */
    uint32_t live_lrs;           /* list registers the hardware may hold
                                  * non-zero (gic.c: vgic_save/restore) */
    uint32_t maintenance;        /* ICH_HCR_EL2 maintenance bits wanted (gic.c) */
};
_Static_assert(offsetof(struct hv_cpu, cur_regs) == CPU_CUR_REGS, "CPU_CUR_REGS");
_Static_assert(offsetof(struct hv_cpu, panic_sp) == CPU_PANIC_SP, "CPU_PANIC_SP");
_Static_assert(offsetof(struct hv_cpu, stack_top) == CPU_STACK_TOP, "CPU_STACK_TOP");
_Static_assert(sizeof(struct hv_cpu) == CPU_SIZE, "CPU_SIZE");

/* The EL2 MMU registers the boot CPU chose (mmu.c), for the secondaries'
 * entry (entry.S), which loads them before its MMU is on. */
struct el2_mmu_regs {
    uint64_t mair, tcr, ttbr0, sctlr;
};
extern struct el2_mmu_regs hv_el2_mmu;

/* main.c: per-CPU bring-up. */
void hv_cpu_prepare(unsigned cpu); /* before firmware CPU_ON */
void hv_cpu_stop(struct hv_cpu *cpu); /* before firmware CPU_OFF */

extern struct hv_cpu hv_cpus[HV_MAX_CPUS];
extern struct vp hv_vps[HV_MAX_CPUS];
extern uint8_t hv_stacks[HV_MAX_CPUS][HV_STACK_GUARD + HV_STACK_SIZE];

static inline struct hv_cpu *this_cpu(void)
{
    struct hv_cpu *c;
    __asm__ volatile("mrs %0, tpidr_el2" : "=r"(c));
    return c;
}
#endif
