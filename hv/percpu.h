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
#include "stage2.h"

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

/* What VTL1 is doing on this VP (vtl.c). */
enum vtl1_state {
    VTL1_OFF,          /* no secure kernel */
    VTL1_BOOTING,      /* secure kernel initialising, VTL0 not started */
    VTL1_IDLE,         /* parked in OVBS_VTL_RETURN, waiting for work */
    VTL1_IN_CALL,      /* handling a VtlCall */
    VTL1_IN_INTERCEPT, /* deciding about a VTL0 protection violation */
    VTL1_IN_INTERRUPT, /* handling its own interrupt */
};

struct vp {
    unsigned index;
    enum vtl active;          /* which VTL runs (or will run) on this VP */
    enum vtl1_state vtl1;
    bool vtl1_preempted;      /* the IN_CALL work was interrupted for VTL0; only
                               * ever set in IN_CALL, resumes on the same VtlCall */
    uint64_t preempted_call_pc; /* VTL0's VtlCall that was preempted: its PC */
    uint64_t preempted_call_sp; /* and its stack pointer (vtl.c) */
    enum vtl fp_owner;        /* whose FP/SIMD values the registers hold */
    uint64_t vtl0_pmcr;       /* VTL0's PMCR_EL0 and PMUSERENR_EL0 while VTL1 */
    uint64_t vtl0_pmuserenr;  /* runs (vtl.c: pmu_on_switch) */
    bool vserror_used;        /* a virtual SError was ever raised on this VP:
                               * only then does the switch move HCR_EL2.VSE */
    struct ovbs_intercept_message intercept; /* last one delivered to VTL1 */
    struct vtimer_ppi vtimer0; /* VTL0's view of the virtual-timer PPI (gic.c) */
    struct vtl_ctx vtl[VTL_COUNT];
};

struct hv_cpu {
    struct guest_regs *cur_regs; /* CPU_CUR_REGS: where entry.S saves a trap */
    uint64_t panic_sp;           /* CPU_PANIC_SP: stack for fatal reports */
    unsigned index;
    uint64_t mpidr;
    struct vp *vp;               /* the VP this CPU runs */
    uint64_t stack_top;
};
_Static_assert(offsetof(struct hv_cpu, cur_regs) == CPU_CUR_REGS, "CPU_CUR_REGS");
_Static_assert(offsetof(struct hv_cpu, panic_sp) == CPU_PANIC_SP, "CPU_PANIC_SP");

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
