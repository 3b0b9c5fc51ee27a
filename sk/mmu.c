/* mmu.c: the secure kernel's stage 1 (EL1&0 of VTL1, identity mapped).
 * Text RX, rodata R, everything else of VTL1 RW and never executable; VTL0's
 * RAM RW and never executable (the secure kernel reads requests there but
 * never runs anything from it). Tables come from the page allocator. Every
 * trustlet address space (TTBR0_EL1 with its own ASID) repeats these kernel
 * mappings, which are global and EL1-only, and adds its own EL0 pages.
 *
 * Every VP runs on the same kernel tables: the boot VP builds them and keeps
 * the registers that turn them on (sk_mmu_regs, read-only after boot), which
 * each other VP loads in entry.S. The tables themselves change only for
 * SC_STATE_PROBE's foreign page, under kpt_lock. Lock order: kpt_lock, then
 * alloc_lock (a new table page). */
#include "arm64/sysreg.h"
#include "panic.h"
#include "pgtable.h"
#include "pt_el1.h"
#include "sk.h"

extern char __sk_start[], __sk_text_end[], __sk_rodata_end[];
static struct pgtable kpt; /* root: read-only after boot; entries: kpt_lock */
static struct spinlock kpt_lock = SPINLOCK_INIT;
/* 16-byte aligned for entry.S's LDP, which runs with the MMU off. */
struct sk_mmu_regs sk_mmu_regs __attribute__((aligned(64)));

static void *pt_alloc(void *ctx)
{
    (void)ctx;
    return page_alloc();
}

static void *pt_alloc_root(void *ctx, unsigned count)
{
    return count == 1 ? pt_alloc(ctx) : 0;
}

static void pt_free(void *ctx, void *p)
{
    (void)ctx;
    page_free(p);
}

static const struct pt_ops ops = {
    pt_alloc, pt_alloc_root, pt_free, pt_identity_pa, pt_identity_va, pt_el1_invalidate,
    pt_el1_sync,
};

static uint64_t vtl1_base, vtl1_size; /* read-only after boot */

static bool map(struct pgtable *pt, uint64_t base, uint64_t size, unsigned prot)
{
    return pt_map(pt, base, base, size, prot) == PT_OK;
}

int sk_address_space_init(struct pgtable *pt)
{
    if (pt_init(pt, PT_S1_EL10, 48, false, &ops, 0))
        return -1;
    uint64_t text = (uint64_t)(uintptr_t)__sk_start;
    uint64_t rodata = (uint64_t)(uintptr_t)__sk_text_end;
    uint64_t data = (uint64_t)(uintptr_t)__sk_rodata_end;
    bool ok = map(pt, vtl1_base, vtl1_size, PT_R | PT_W) &&
              map(pt, text, rodata - text, PT_R | PT_XK) &&
              map(pt, rodata, data - rodata, PT_R);
    uint64_t b[VTL0_MAX_RANGES], s[VTL0_MAX_RANGES];
    unsigned n = vtl0_ranges(b, s, VTL0_MAX_RANGES);
    for (unsigned i = 0; ok && i < n; i++)
        ok = map(pt, b[i], s[i], PT_R | PT_W);
    if (!ok) {
        pt_destroy(pt);
        return -1;
    }
    return 0;
}

/* TTBR0_EL1: ASID in bits 63:48 (8-bit ASIDs: TCR_EL1.AS = 0), root below. */
void sk_address_space_switch(const struct pgtable *pt, unsigned asid)
{
    WRITE_SYSREG(ttbr0_el1, pt_root_pa(pt ? pt : &kpt) | ((uint64_t)asid << 48));
    isb();
}

/* SC_STATE_PROBE: one physical page that is not VTL1's, mapped read-only
 * at its own address in the kernel's tables so that a read can show that
 * VTL1's stage 2 stops it; unmapped (with its TLB entry, on every VP: the
 * inner-shareable TLBI of pt_el1_invalidate) right after. kpt_lock covers
 * the three steps: the tables are every VP's, and two probes at once must
 * not map or unmap each other's page. */
int sk_with_foreign_page(uint64_t pa, int (*probe)(uint64_t pa, uint64_t *out), uint64_t *out)
{
    int rc = -1;
    sk_lock(&kpt_lock);
    if (map(&kpt, pa, SK_PAGE, PT_R)) {
        rc = probe(pa, out);
        pt_unmap(&kpt, pa, SK_PAGE);
    }
    sk_unlock(&kpt_lock);
    return rc;
}

/* The registers that turn this MMU on, for the other VPs, which read them
 * with their MMU off: cleaned to the point of coherency, where such a read
 * goes (DC CVAC by the smallest data-cache line, CTR_EL0.DminLine, so the
 * whole struct is cleaned whatever the line size). */
static void save_mmu_regs(void)
{
    sk_mmu_regs.mair = READ_SYSREG(mair_el1);
    sk_mmu_regs.tcr = READ_SYSREG(tcr_el1);
    sk_mmu_regs.ttbr0 = READ_SYSREG(ttbr0_el1);
    sk_mmu_regs.sctlr = READ_SYSREG(sctlr_el1);
    uint64_t line = 4ull << ((READ_SYSREG(ctr_el0) >> 16) & 0xf);
    uint64_t start = (uint64_t)(uintptr_t)&sk_mmu_regs, end = start + sizeof(sk_mmu_regs);
    for (uint64_t a = start & ~(line - 1); a < end; a += line)
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    dsb_ish();
}

void sk_mmu_init(uint64_t base, uint64_t size)
{
    vtl1_base = base;
    vtl1_size = size;
    if (sk_address_space_init(&kpt))
        panic("cannot build the secure kernel's page tables");
    el1_mmu_enable(pt_root_pa(&kpt), SCTLR_EL1_WXN);
    save_mmu_regs();
    sk_log("MMU on: %zu table pages, %lu pages of VTL1 memory free", kpt.table_pages,
           pages_free());
}
