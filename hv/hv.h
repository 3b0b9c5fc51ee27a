/* hv.h: services every part of the hypervisor uses (EL2): logging, the
 * machine description, the ownership map, the page pool, fatal stops. */
#ifndef OVBS_HV_H
#define OVBS_HV_H
#include <stdbool.h>
#include <stdint.h>
#include "owner.h"
#include "platform.h"
#include "spinlock.h"

#define PAGE_SIZE ((uint64_t)4096)

/* Console: every line the hypervisor prints starts with "[hv] ". */
void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hv_console_init(uintptr_t uart_base);
void hv_log_raw(const char *prefix, const char *text);
/* Every line a guest can cause at will is asked for first: each source
 * has its own per-second budget; a line over it is counted
 * (OVBS_EV_LINES_SUPPRESSED), not printed. docs/logging.md lists the
 * sites. */
enum hv_log_source {
    LOG_SRC_CALLS,      /* refused and unknown hypercalls (hvc.c) */
    LOG_SRC_ABORTS,     /* stage-2 aborts injected into a guest (trap.c) */
    LOG_SRC_INTERCEPTS, /* VTL0 broke a VTL1 protection (vtl.c) */
    LOG_SRC_TRAPS,      /* unhandled traps, FIQs (trap.c) */
    LOG_SRC_PSCI,       /* refused PSCI requests (psci.c) */
    LOG_SRC_VTL,        /* refused VtlCalls (vtl.c) */
    LOG_SRC_GIC,        /* dropped interrupts, GIC emulation (gic.c, gicr.c) */
    LOG_SRC_SK,         /* lines relayed from the secure kernel (vtl.c) */
    LOG_SRC_DEVICES,    /* PCIe functions judged, bridge buses refused (pcie.c) */
    LOG_SRC_DMA,        /* DMA faults the SMMU reported (smmu.c) */
    LOG_SRC_COUNT
};
bool hv_log_allowed(enum hv_log_source src);

extern struct platform hv_platform;
extern struct owner_map hv_owners;
extern uint64_t hv_features;      /* OVBS_FEAT_* */
extern const void *hv_boot_fdt;

/* Page pool for tables and hypervisor data (hv-owned memory). */
void pool_init(uint64_t base, uint64_t size);
void *pool_alloc_pages(unsigned count, unsigned align_pages);
void pool_free_page(void *page);
uint64_t pool_pages_free(void);
/* pt_ops callbacks for tables kept in the pool (identity mapped at EL2:
 * lib/arm64/pt_el1.h translates). */
void *pool_pt_alloc_page(void *ctx);
void *pool_pt_alloc_root(void *ctx, unsigned count);
void pool_pt_free_page(void *ctx, void *page);


/* EL2 stage 1 (mmu.c). */
void mmu_el2_init(void);
/* Set once the boot CPU's EL2 MMU is on (mmu.c). Atomics and exclusives
 * want Normal cacheable memory, which there is none of before: the locks
 * that boot code takes earlier (log, events, pool) go through hv_lock,
 * which skips them while the boot CPU still runs alone with the MMU off. */
extern bool hv_mmu_on;
/* vtl.c: guards VTL0's stage 2, the SMMU's tables and the ownership map's
 * VTL0 access bytes (docs/smp.md has the lock order). */
extern struct spinlock prot_lock;
static inline void hv_lock(struct spinlock *l)
{
    if (hv_mmu_on)
        spin_lock(l);
}
static inline void hv_unlock(struct spinlock *l)
{
    if (hv_mmu_on)
        spin_unlock(l);
}
void clean_to_poc(const void *p, uint64_t len);
bool mmu_el2_is_guard(uint64_t va, unsigned *cpu);

/* Memory layout and the VTLs' stage 2 (mem.c). */
void mem_init(void);
void mem_reserve_vtl1(uint64_t base, uint64_t size);
void mem_build_stage2(void);
extern struct stage2 vtl0_stage2, vtl1_stage2;
extern bool hv_bench_mode;
extern bool hv_selftest_vserror, hv_selftest_forge_vtl1_timer; /* hv.selftest=... (vtl.c) */

/* Fatal stop: report, then end the machine with a failure status. */
_Noreturn void hv_halt_failure(void);

/* Boot images and the start of the guests (loader.c). */
_Noreturn void loader_boot(void);
void el2_controls_setup(void); /* HCR_EL2, MDCR_EL2 and friends, per CPU */
#endif
