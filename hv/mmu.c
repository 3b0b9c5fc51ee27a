/* mmu.c: the hypervisor's own stage-1 translation at EL2 (non-VHE, one
 * TTBR0_EL2 range, identity mapped). W^X for the image: text RX, rodata R,
 * data/bss/stacks RW and never executable, and an unmapped guard page below
 * every CPU's stack. RAM is RW-XN so the hypervisor can load guests; devices
 * it uses are Device-nGnRE. SCTLR_EL2.WXN backs W^X up in hardware. */
#include "arm64/sysreg.h"
#include "hv.h"
#include "pt_el1.h"
#include "percpu.h"

struct el2_mmu_regs hv_el2_mmu;
bool hv_mmu_on;

/* DC CVAC over [p, p + len): write the lines back to the point of
 * coherency, where a CPU with its caches off reads. */
void clean_to_poc(const void *p, uint64_t len)
{
    uint64_t ctr = READ_SYSREG(ctr_el0);
    uint64_t line = 4ull << ((ctr >> 16) & 0xf); /* CTR_EL0.DminLine: log2 words */
    uint64_t a = (uint64_t)(uintptr_t)p & ~(line - 1), end = (uint64_t)(uintptr_t)p + len;
    for (; a < end; a += line)
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    dsb_ish();
}

extern char __hv_start[], __hv_text_end[], __hv_rodata_end[], __hv_end[];

static struct pgtable el2_pt;

static void el2_invalidate(void *ctx, uint64_t va, unsigned level, bool whole_range)
{
    (void)ctx;
    (void)level;
    dsb_ishst();
    if (whole_range)
        __asm__ volatile("tlbi alle2is" ::: "memory");
    else
        __asm__ volatile("tlbi vae2is, %0" : : "r"(va >> 12) : "memory");
    dsb_ish();
    isb();
}

static void el2_sync(void *ctx)
{
    (void)ctx;
    dsb_ishst();
    isb();
}

static const struct pt_ops el2_ops = {
    .alloc_page = pool_pt_alloc_page,
    .alloc_root = pool_pt_alloc_root,
    .free_page = pool_pt_free_page,
    .pa_of = pt_identity_pa,
    .va_of = pt_identity_va,
    .invalidate = el2_invalidate,
    .sync = el2_sync,
};

/* ID_AA64MMFR0_EL1.PARange -> bits. */
unsigned cpu_pa_bits(void)
{
    static const unsigned bits[] = { 32, 36, 40, 42, 44, 48, 52 };
    unsigned r = READ_SYSREG(id_aa64mmfr0_el1) & 0xf;
    return r < 7 ? bits[r] : 48;
}

static void map_or_stop(uint64_t base, uint64_t size, unsigned prot, const char *what)
{
    int rc = pt_map(&el2_pt, base, base, size, prot);
    if (rc) {
        hv_log("FATAL: cannot map %s at 0x%lx (+0x%lx) at EL2: error %d", what,
               base, size, rc);
        hv_halt_failure();
    }
}

bool mmu_el2_is_guard(uint64_t va, unsigned *cpu)
{
    for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
        uint64_t g = (uint64_t)(uintptr_t)hv_stacks[i];
        if (va >= g && va < g + HV_STACK_GUARD) {
            *cpu = i;
            return true;
        }
    }
    return false;
}

void mmu_el2_init(void)
{
    unsigned va_bits = cpu_pa_bits() > 48 ? 48 : cpu_pa_bits();
    if (pt_init(&el2_pt, PT_S1_EL2, va_bits, false, &el2_ops, NULL)) {
        hv_log("FATAL: no memory for EL2 page tables");
        hv_halt_failure();
    }
    for (unsigned i = 0; i < hv_platform.nram; i++)
        map_or_stop(hv_platform.ram[i].base, hv_platform.ram[i].size, PT_R | PT_W, "RAM");

    uint64_t text = (uint64_t)(uintptr_t)__hv_start;
    uint64_t rodata = (uint64_t)(uintptr_t)__hv_text_end;
    uint64_t data = (uint64_t)(uintptr_t)__hv_rodata_end;
    map_or_stop(text, rodata - text, PT_R | PT_XK, "hv text");
    map_or_stop(rodata, data - rodata, PT_R, "hv rodata");
    for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
        if (pt_unmap(&el2_pt, (uint64_t)(uintptr_t)hv_stacks[i], HV_STACK_GUARD)) {
            hv_log("FATAL: cannot unmap stack guard %u", i);
            hv_halt_failure();
        }
    }
    uint64_t uart = hv_platform.uart.base & ~(PAGE_SIZE - 1);
    map_or_stop(uart, PAGE_SIZE, PT_R | PT_W | PT_DEVICE, "UART");
    if (hv_platform.gicd.size)
        map_or_stop(hv_platform.gicd.base, hv_platform.gicd.size, PT_R | PT_W | PT_DEVICE, "GICD");
    if (hv_platform.gicr.size)
        map_or_stop(hv_platform.gicr.base, hv_platform.gicr.size, PT_R | PT_W | PT_DEVICE, "GICR");
    if (hv_platform.has_pcie) /* VTL0's config accesses are emulated (pcie.c) */
        map_or_stop(hv_platform.ecam.base, hv_platform.ecam.size, PT_R | PT_W | PT_DEVICE, "ECAM");
    if (hv_platform.has_smmu)
        map_or_stop(hv_platform.smmu.base, hv_platform.smmu.size,
                    PT_R | PT_W | PT_DEVICE, "SMMU");

    uint64_t ps = READ_SYSREG(id_aa64mmfr0_el1) & 0xf;
    /* TCR_EL2 (non-VHE): RES1 bits 31 and 23; PS = physical address size;
     * TG0 = 4 KiB; SH0 = inner shareable; IRGN0/ORGN0 = write-back
     * write-allocate; T0SZ = 64 - VA bits. */
    uint64_t tcr = (1ull << 31) | (1ull << 23) | ((ps > 6 ? 5 : ps) << 16) | (3ull << 12) |
                   (1ull << 10) | (1ull << 8) | (64 - va_bits);
    WRITE_SYSREG(mair_el2, PT_MAIR_VALUE);
    WRITE_SYSREG(tcr_el2, tcr);
    WRITE_SYSREG(ttbr0_el2, pt_root_pa(&el2_pt));
    dsb_ish();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb_ish();
    isb();
    /* SCTLR_EL2: M (MMU), C (data cache), SA (stack alignment check),
     * I (instruction cache), WXN (writable implies execute-never), plus the
     * RES1 bits of the non-VHE layout. */
    uint64_t sctlr = 0x30c50830ull | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 12) |
                     (1u << 19);
    WRITE_SYSREG(sctlr_el2, sctlr);
    isb();
    /* The same registers for every other CPU's entry (entry.S), which reads
     * them with its MMU off: cleaned to the point of coherency. */
    hv_el2_mmu = (struct el2_mmu_regs){ PT_MAIR_VALUE, tcr, pt_root_pa(&el2_pt), sctlr };
    clean_to_poc(&hv_el2_mmu, sizeof(hv_el2_mmu));
    hv_mmu_on = true;
    hv_log("EL2 MMU on: %u-bit VA, W^X image, %zu table pages", va_bits,
           el2_pt.table_pages);
}
