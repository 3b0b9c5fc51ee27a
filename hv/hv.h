/* hv.h: services every part of the hypervisor uses (EL2): logging, the
 * machine description, the ownership map, the page pool, fatal stops. */
#ifndef OVBS_HV_H
#define OVBS_HV_H
#include <stdbool.h>
#include <stdint.h>
#include "owner.h"
#include "platform.h"

#define PAGE_SIZE 4096ull

/* Console: every line the hypervisor prints starts with "[hv] ". */
void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hv_console_init(uintptr_t uart_base);

extern struct platform hv_platform;
extern struct owner_map hv_owners;
extern uint64_t hv_features;      /* OVBS_FEAT_* */
extern const void *hv_boot_fdt;

/* Page pool for tables and hypervisor data (hv-owned memory). */
void pool_init(uint64_t base, uint64_t size);
void *pool_alloc_pages(unsigned count, unsigned align_pages);
void pool_free_page(void *page);
uint64_t pool_pages_free(void);

/* EL2 stage 1 (mmu.c). */
void mmu_el2_init(void);
bool mmu_el2_is_guard(uint64_t va, unsigned *cpu);

/* Memory layout and VTL0's stage 2 (mem.c). */
void mem_init(void);
extern struct stage2 vtl0_stage2;

/* Fatal stop: report, then end the machine with a failure status. */
_Noreturn void hv_halt_failure(void);

/* Guest start (loader.c). */
void loader_start_vtl0(void);
#endif
