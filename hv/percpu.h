/* percpu.h: per-physical-CPU and per-virtual-processor state of the
 * hypervisor (EL2). TPIDR_EL2 points at the running CPU's struct hv_cpu.
 * One VP runs on each CPU; each VP has one register context per VTL (VTL1's
 * arrives with the secure kernel). */
#ifndef OVBS_HV_PERCPU_H
#define OVBS_HV_PERCPU_H
#include <stddef.h>
#include <stdint.h>
#include "layout.h"
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

/* Everything that belongs to one VTL of one VP. */
struct vtl_ctx {
    struct guest_regs regs;
    struct stage2 *s2;  /* this VTL's view of physical memory */
};

struct vp {
    unsigned index;
    enum vtl active;          /* which VTL runs (or will run) on this VP */
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
extern uint8_t hv_stacks[HV_MAX_CPUS][HV_STACK_GUARD + HV_STACK_SIZE];

static inline struct hv_cpu *this_cpu(void)
{
    struct hv_cpu *c;
    __asm__ volatile("mrs %0, tpidr_el2" : "=r"(c));
    return c;
}
#endif
