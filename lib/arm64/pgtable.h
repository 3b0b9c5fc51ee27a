/* pgtable.h: builder for VMSAv8-64 translation tables with a 4 KiB granule.
 * Pure logic, no system registers: used by the hypervisor (its own EL2 stage 1,
 * each VTL's stage 2, later SMMUv3 tables), by kernels at EL1, and by host tests.
 *
 * Addresses are output (physical or intermediate-physical) addresses; the
 * caller's ops translate between a table page's address and a pointer to it.
 * Every change to a live entry follows break-before-make: the old entry is
 * cleared, the caller's invalidate hook runs TLB maintenance, and only then is
 * the new entry written. Updates are two-phase: all table pages an update can
 * need are reserved first (this can fail, and then nothing changed), then the
 * update is applied (this cannot fail).
 */
#ifndef OVBS_PGTABLE_H
#define OVBS_PGTABLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_PAGE_SHIFT   12
#define PT_PAGE_SIZE    (1ull << PT_PAGE_SHIFT)
#define PT_ENTRIES      512

/* Which translation regime the descriptors are for; the bit layout of leaf
 * attributes differs between them (Arm ARM D8.3). */
enum pt_format {
    PT_S1_EL2,  /* EL2 stage 1 (non-VHE): AP[2] read-only, XN */
    PT_S1_EL10, /* EL1&0 stage 1 (and SMMU stage 1): AP[2:1], PXN, UXN */
    PT_S2,      /* stage 2 (and SMMU stage 2): S2AP, MemAttr, XN[1:0] */
};

/* Abstract permissions of a leaf. R/W/XK/XU have the same values as the
 * OVBS_ACC_* access bits of the hypercall ABI. */
#define PT_R        (1u << 0) /* readable */
#define PT_W        (1u << 1) /* writable */
#define PT_XK       (1u << 2) /* executable at the privileged level (EL1/EL2) */
#define PT_XU       (1u << 3) /* executable at EL0 */
#define PT_USER     (1u << 4) /* stage 1 EL1&0: accessible from EL0 */
#define PT_DEVICE   (1u << 5) /* Device-nGnRE instead of Normal write-back */
#define PT_NG       (1u << 6) /* stage 1 EL1&0: not global (tagged by ASID) */

/* MAIR_ELx value matching the attribute indexes stage-1 leaves use:
 * index 0 = Normal, inner/outer write-back read/write-allocate (0xff),
 * index 1 = Device-nGnRE (0x04). */
#define PT_MAIR_VALUE   0x04ffull

struct pt_ops {
    /* One page for a table (any contents: the builder initialises every
     * entry it uses), or NULL when memory is exhausted. */
    void *(*alloc_page)(void *ctx);
    /* `count` zeroed, contiguous pages aligned to their total size (root
     * tables of stage 2 may be concatenated), or NULL. */
    void *(*alloc_root)(void *ctx, unsigned count);
    void (*free_page)(void *ctx, void *page);
    uint64_t (*pa_of)(void *ctx, const void *page);
    void *(*va_of)(void *ctx, uint64_t pa);
    /* An entry at `level` translating `va` was just cleared. Complete the
     * write (DSB), then invalidate TLB entries for `va` (whole_range false) or
     * for everything under the entry (whole_range true, a table was removed). */
    void (*invalidate)(void *ctx, uint64_t va, unsigned level, bool whole_range);
    /* Make newly written entries visible to the table walker (DSB). */
    void (*sync)(void *ctx);
};

struct pgtable {
    uint64_t *root;
    enum pt_format fmt;
    unsigned va_bits;      /* size of the input address space */
    unsigned start_level;  /* 0..2 */
    unsigned root_entries; /* 512 * concatenated root pages, or fewer */
    bool xnx;              /* FEAT_XNX: stage-2 XN[0] separates EL1 from EL0 */
    const struct pt_ops *ops;
    void *ctx;
    size_t table_pages;    /* pages currently used by this table tree */
};

/* Error codes (negative). */
#define PT_OK          0
#define PT_ERR_ALIGN   (-1) /* address or size not page aligned */
#define PT_ERR_RANGE   (-2) /* outside the input/output address space */
#define PT_ERR_NOMEM   (-3) /* could not reserve table pages; nothing changed */
#define PT_ERR_PROT    (-4) /* permission combination this format cannot express */

int pt_init(struct pgtable *pt, enum pt_format fmt, unsigned va_bits, bool xnx,
            const struct pt_ops *ops, void *ctx);
/* Map [va, va+size) to [pa, pa+size) with `prot`, replacing whatever was
 * mapped there, with the largest blocks alignment allows. */
int pt_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size, unsigned prot);
/* Remove every mapping in [va, va+size). */
int pt_unmap(struct pgtable *pt, uint64_t va, uint64_t size);
/* The most table pages pt_map (unmap false) or pt_unmap (true) of this
 * range can reserve: with that many pages available the update cannot fail
 * for lack of memory. A caller that must change two tables together (the
 * CPU's stage 2 and the SMMU's tables) checks both bounds first. */
uint64_t pt_update_max_pages(const struct pgtable *pt, uint64_t va, uint64_t pa,
                             uint64_t size, bool unmap);
/* Translate one address. Returns true if mapped, with the output address,
 * the permissions and the level of the leaf that maps it. */
bool pt_lookup(const struct pgtable *pt, uint64_t va, uint64_t *pa, unsigned *prot,
               unsigned *level);
/* Free every table page, root included. */
void pt_destroy(struct pgtable *pt);

/* Value for TTBR/VTTBR's base address field (the root's address). */
uint64_t pt_root_pa(const struct pgtable *pt);
/* Bytes of input address space one entry at `level` maps. */
uint64_t pt_level_size(unsigned level);

#endif
