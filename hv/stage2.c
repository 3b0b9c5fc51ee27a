/* stage2.c: stage-2 translation tables for the VTLs (EL2). Each VTL has its
 * own tables and VMID, so TLB entries of one VTL never serve the other.
 * VTCR_EL2 is shared by all of them. */
#include "arm64/sysreg.h"
#include "hv.h"
#include "pt_el1.h"
#include "stage2.h"

unsigned cpu_pa_bits(void);
static unsigned ipa_bits;
static unsigned vtcr_sl0;
static uint64_t vtcr_value; /* read-only once the boot CPU set it */

/* TLB maintenance for stage 2 acts on the VMID in VTTBR_EL2, so switch to the
 * table's VMID for the duration. TLBI IPAS2E1IS drops stage-2 entries for one
 * IPA; entries combining stage 1 and 2 are tagged by VA, not IPA, so
 * VMALLE1IS must follow (Arm ARM D8.14.5). */
static void s2_invalidate(void *ctx, uint64_t ipa, unsigned level, bool whole_range)
{
    struct stage2 *s2 = ctx;
    (void)level;
    uint64_t saved = READ_SYSREG(vttbr_el2);
    if (saved != s2->vttbr) {
        WRITE_SYSREG(vttbr_el2, s2->vttbr);
        isb();
    }
    dsb_ishst();
    if (whole_range) {
        __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    } else {
        __asm__ volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> 12) : "memory");
        dsb_ish();
        __asm__ volatile("tlbi vmalle1is" ::: "memory");
    }
    dsb_ish();
    isb();
    if (saved != s2->vttbr) {
        WRITE_SYSREG(vttbr_el2, saved);
        isb();
    }
}

static void s2_sync(void *ctx)
{
    (void)ctx;
    dsb_ishst();
}

static const struct pt_ops s2_ops = {
    .alloc_page = pool_pt_alloc_page,
    .alloc_root = pool_pt_alloc_root,
    .free_page = pool_pt_free_page,
    .pa_of = pt_identity_pa,
    .va_of = pt_identity_va,
    .invalidate = s2_invalidate,
    .sync = s2_sync,
};

unsigned stage2_ipa_bits(void)
{
    return ipa_bits;
}

static bool has_vmid16(void)
{
    return ((READ_SYSREG(id_aa64mmfr1_el1) >> 4) & 0xf) == 2;
}

void stage2_setup_vtcr(void)
{
    unsigned pa = cpu_pa_bits();
    ipa_bits = pa > 48 ? 48 : pa;
    uint64_t ps = READ_SYSREG(id_aa64mmfr0_el1) & 0xf;
    if (ps > 5)
        ps = 5; /* 48 bits: we do not use 52-bit (LPA) descriptors */
    /* Probe the start level the table builder picks for this size. */
    struct pgtable probe = { 0 };
    unsigned bits = ipa_bits - 12, levels = (bits + 8) / 9;
    probe.start_level = 4 - levels;
    if (ipa_bits > 39 && ipa_bits <= 43)
        probe.start_level = 1;
    /* VTCR_EL2.SL0 with a 4 KiB granule: 2 = level 0, 1 = level 1, 0 = level 2. */
    vtcr_sl0 = 2 - probe.start_level;
    /* VTCR_EL2: RES1 bit 31; VS (bit 19) 16-bit VMIDs; PS (18:16); TG0 = 4 KiB;
     * SH0 inner shareable; ORGN0/IRGN0 write-back; SL0 (7:6); T0SZ. */
    uint64_t vtcr = (1ull << 31) | (has_vmid16() ? (1ull << 19) : 0) | (ps << 16) |
                    (3ull << 12) | (1ull << 10) | (1ull << 8) | ((uint64_t)vtcr_sl0 << 6) |
                    (64 - ipa_bits);
    vtcr_value = vtcr;
    stage2_cpu_init();
}

/* Every CPU runs the guests with the same VTCR_EL2. */
void stage2_cpu_init(void)
{
    WRITE_SYSREG(vtcr_el2, vtcr_value);
    isb();
}

bool cpu_has_xnx(void);

int stage2_init(struct stage2 *s2, uint16_t vmid)
{
    int rc = pt_init(&s2->pt, PT_S2, ipa_bits, cpu_has_xnx(), &s2_ops, s2);
    if (rc)
        return rc;
    if (s2->pt.start_level != 2 - vtcr_sl0)
        return PT_ERR_RANGE;
    s2->vmid = vmid;
    s2->vttbr = ((uint64_t)vmid << 48) | pt_root_pa(&s2->pt);
    return 0;
}

int stage2_map(struct stage2 *s2, uint64_t ipa, uint64_t size, unsigned prot)
{
    return pt_map(&s2->pt, ipa, ipa, size, prot);
}

int stage2_unmap(struct stage2 *s2, uint64_t ipa, uint64_t size)
{
    return pt_unmap(&s2->pt, ipa, size);
}

void stage2_activate(const struct stage2 *s2)
{
    WRITE_SYSREG(vttbr_el2, s2->vttbr);
    isb();
}
