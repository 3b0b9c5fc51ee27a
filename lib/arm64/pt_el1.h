/* pt_el1.h: shared pt_ops callbacks (see pt_el1.c). */
#ifndef OVBS_PT_EL1_H
#define OVBS_PT_EL1_H
#include <stdbool.h>
#include <stdint.h>

uint64_t pt_identity_pa(void *ctx, const void *page);
void *pt_identity_va(void *ctx, uint64_t pa);
void pt_el1_invalidate(void *ctx, uint64_t va, unsigned level, bool whole_range);
void pt_el1_sync(void *ctx);
#define SCTLR_EL1_WXN (1ull << 19) /* writable implies execute-never */
void el1_mmu_enable(uint64_t ttbr0, uint64_t sctlr_extra);
#endif
