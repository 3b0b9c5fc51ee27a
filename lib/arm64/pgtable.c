/* pgtable.c: VMSAv8-64 4 KiB-granule translation-table builder (see
 * pgtable.h). Runs wherever it is linked: EL2, EL1, or a host test. */
#include "pgtable.h"

/* Descriptor bits common to all formats (Arm ARM D8.3.1). */
#define DESC_VALID      (1ull << 0)
#define DESC_TABLE      (1ull << 1) /* table at levels 0-2, page at level 3 */
#define DESC_ADDR_MASK  0x0000fffffffff000ull
#define DESC_AF         (1ull << 10) /* access flag: set, or the first access faults */
#define DESC_SH_INNER   (3ull << 8)  /* inner shareable */

/* Stage 1 leaf bits. */
#define S1_ATTRIDX(i)   ((uint64_t)(i) << 2)  /* index into MAIR_ELx */
#define S1_ATTRIDX_MASK (7ull << 2)
#define S1_AP_USER      (1ull << 6)  /* AP[1]: EL0 access (RES1 at EL2) */
#define S1_AP_RO        (1ull << 7)  /* AP[2]: read-only */
#define S1_NG           (1ull << 11)
#define S1_PXN          (1ull << 53) /* EL1&0: no execution at EL1 */
#define S1_XN           (1ull << 54) /* EL2: XN; EL1&0: UXN, no execution at EL0 */

/* Stage 2 leaf bits. */
#define S2_MEMATTR_NORMAL_WB (0xfull << 2) /* outer and inner write-back */
#define S2_MEMATTR_DEVICE    (0x1ull << 2) /* Device-nGnRE */
#define S2_MEMATTR_MASK      (0xfull << 2)
#define S2_AP_R         (1ull << 6)
#define S2_AP_W         (1ull << 7)
#define S2_XN_SHIFT     53           /* XN[1:0] in bits 54:53 */
#define S2_XN_MASK      (3ull << S2_XN_SHIFT)

#define MAX_LEVEL 3

uint64_t pt_level_size(unsigned level)
{
    return 1ull << (PT_PAGE_SHIFT + 9 * (MAX_LEVEL - level));
}

static unsigned level_index(const struct pgtable *pt, unsigned level, uint64_t va)
{
    uint64_t idx = va >> (PT_PAGE_SHIFT + 9 * (MAX_LEVEL - level));
    unsigned entries = level == pt->start_level ? pt->root_entries : PT_ENTRIES;
    return (unsigned)(idx & (entries - 1));
}

/* Blocks exist at levels 1 and 2 with a 4 KiB granule; level 3 maps pages. */
static bool level_has_blocks(unsigned level)
{
    return level == 1 || level == 2 || level == MAX_LEVEL;
}

static bool is_valid(uint64_t e)
{
    return e & DESC_VALID;
}

static bool is_table(uint64_t e, unsigned level)
{
    return level < MAX_LEVEL && (e & (DESC_VALID | DESC_TABLE)) == (DESC_VALID | DESC_TABLE);
}

int pt_init(struct pgtable *pt, enum pt_format fmt, unsigned va_bits, bool xnx,
            const struct pt_ops *ops, void *ctx)
{
    if (va_bits < 25 || va_bits > 48)
        return PT_ERR_RANGE;
    pt->fmt = fmt;
    pt->va_bits = va_bits;
    pt->xnx = xnx;
    pt->ops = ops;
    pt->ctx = ctx;
    pt->table_pages = 0;

    /* Each level resolves 9 bits above the 12-bit page offset. */
    unsigned bits = va_bits - PT_PAGE_SHIFT;
    unsigned levels = (bits + 8) / 9;
    pt->start_level = 4 - levels;
    pt->root_entries = 1u << (bits - 9 * (levels - 1));
    /* Stage 2 may instead start one level lower with up to 16 concatenated
     * root tables (VTCR_EL2.SL0, Arm ARM D8.2.6): required for 40-43 bit IPA
     * spaces on CPUs that cannot start a stage-2 walk at level 0. */
    if (fmt == PT_S2 && va_bits > 39 && va_bits <= 43) {
        pt->start_level = 1;
        pt->root_entries = 1u << (va_bits - 30);
    }
    unsigned root_pages = pt->root_entries > PT_ENTRIES ? pt->root_entries / PT_ENTRIES : 1;
    pt->root = ops->alloc_root(ctx, root_pages);
    if (!pt->root)
        return PT_ERR_NOMEM;
    pt->table_pages = root_pages;
    return PT_OK;
}

uint64_t pt_root_pa(const struct pgtable *pt)
{
    return pt->ops->pa_of(pt->ctx, pt->root);
}

/* ---- Encoding and decoding leaves ------------------------------------- */

static uint64_t s2_xn_bits(const struct pgtable *pt, unsigned prot)
{
    bool xk = prot & PT_XK, xu = prot & PT_XU;
    uint64_t xn;
    if (!pt->xnx) {
        /* Without FEAT_XNX only XN[1] exists: execute is all or nothing, so
         * revoking either kind revokes both (fail closed). */
        xn = (xk && xu) ? 0 : 2;
    } else if (xk && xu) {
        xn = 0; /* 00: executable at EL1 and EL0 */
    } else if (xu) {
        xn = 1; /* 01: not executable at EL1 */
    } else if (xk) {
        xn = 3; /* 11: not executable at EL0 */
    } else {
        xn = 2; /* 10: not executable anywhere */
    }
    return xn << S2_XN_SHIFT;
}

static int leaf_attrs(const struct pgtable *pt, unsigned prot, uint64_t *out)
{
    bool dev = prot & PT_DEVICE;
    uint64_t a = DESC_AF;

    switch (pt->fmt) {
    case PT_S2:
        a |= dev ? S2_MEMATTR_DEVICE : (S2_MEMATTR_NORMAL_WB | DESC_SH_INNER);
        if (prot & PT_R)
            a |= S2_AP_R;
        if (prot & PT_W)
            a |= S2_AP_W;
        a |= s2_xn_bits(pt, dev ? 0 : prot);
        break;
    case PT_S1_EL2:
        if (!(prot & PT_R) || (prot & (PT_USER | PT_XU)))
            return PT_ERR_PROT; /* EL2 has no EL0 and no no-read mapping */
        a |= S1_ATTRIDX(dev ? 1 : 0) | S1_AP_USER /* RES1 */;
        if (!dev)
            a |= DESC_SH_INNER;
        if (!(prot & PT_W))
            a |= S1_AP_RO;
        if (dev || !(prot & PT_XK))
            a |= S1_XN;
        break;
    case PT_S1_EL10:
        if (!(prot & PT_R))
            return PT_ERR_PROT;
        if ((prot & PT_XU) && !(prot & PT_USER))
            return PT_ERR_PROT;
        /* The architecture never lets EL1 execute what EL0 can write. */
        if ((prot & PT_XK) && (prot & PT_USER) && (prot & PT_W))
            return PT_ERR_PROT;
        a |= S1_ATTRIDX(dev ? 1 : 0);
        if (!dev)
            a |= DESC_SH_INNER;
        if (prot & PT_USER)
            a |= S1_AP_USER;
        if (!(prot & PT_W))
            a |= S1_AP_RO;
        if (prot & PT_NG)
            a |= S1_NG;
        if (dev || !(prot & PT_XK))
            a |= S1_PXN;
        if (dev || !(prot & PT_XU))
            a |= S1_XN;
        break;
    }
    *out = a;
    return PT_OK;
}

static unsigned decode_prot(const struct pgtable *pt, uint64_t e)
{
    unsigned prot = 0;
    if (pt->fmt == PT_S2) {
        if ((e & S2_MEMATTR_MASK) == S2_MEMATTR_DEVICE)
            prot |= PT_DEVICE;
        if (e & S2_AP_R)
            prot |= PT_R;
        if (e & S2_AP_W)
            prot |= PT_W;
        switch ((e & S2_XN_MASK) >> S2_XN_SHIFT) {
        case 0: prot |= PT_XK | PT_XU; break;
        case 1: prot |= pt->xnx ? PT_XU : PT_XK | PT_XU; break;
        case 3: prot |= pt->xnx ? PT_XK : 0; break;
        default: break;
        }
        return prot;
    }
    prot |= PT_R;
    if ((e & S1_ATTRIDX_MASK) == S1_ATTRIDX(1))
        prot |= PT_DEVICE;
    if (!(e & S1_AP_RO))
        prot |= PT_W;
    if (pt->fmt == PT_S1_EL2) {
        if (!(e & S1_XN))
            prot |= PT_XK;
        return prot;
    }
    if (e & S1_AP_USER)
        prot |= PT_USER;
    if (e & S1_NG)
        prot |= PT_NG;
    if (!(e & S1_PXN))
        prot |= PT_XK;
    if (!(e & S1_XN))
        prot |= PT_XU;
    return prot;
}

static uint64_t make_leaf(unsigned level, uint64_t pa, uint64_t attrs)
{
    uint64_t type = level == MAX_LEVEL ? (DESC_VALID | DESC_TABLE) : DESC_VALID;
    return (pa & DESC_ADDR_MASK) | attrs | type;
}

/* ---- Reservation (phase one) ------------------------------------------ */

/* Reserved pages, linked through their first word (they are zeroed again
 * when taken), so a reservation of any size needs no array. */
struct reserve {
    void *head;
    uint64_t count;
};

static uint64_t entries_spanned(uint64_t va, uint64_t end, unsigned level)
{
    uint64_t sz = pt_level_size(level);
    return ((end - 1) / sz) - (va / sz) + 1;
}

/* Upper bound of the table pages an update of [va, end) can create. A table
 * at level L hangs off an entry at level L-1. An unmap only ever splits the
 * blocks at its two ends. Where level L-1 can hold blocks and the output
 * address is congruent with the input address, only the first and last L-1
 * entries can be partially covered (at most 2 tables); otherwise every
 * spanned L-1 entry may need one. */
static uint64_t tables_needed(const struct pgtable *pt, uint64_t va, uint64_t end,
                              uint64_t pa, bool unmap)
{
    uint64_t total = 0;
    for (unsigned level = pt->start_level + 1; level <= MAX_LEVEL; level++) {
        unsigned parent = level - 1;
        uint64_t span = entries_spanned(va, end, parent);
        uint64_t psize = pt_level_size(parent);
        bool congruent = ((va ^ pa) & (psize - 1)) == 0;
        if (unmap || (parent > 0 && level_has_blocks(parent) && congruent))
            total += span < 2 ? span : 2;
        else
            total += span;
    }
    return total;
}

static void reserve_release(struct pgtable *pt, struct reserve *r)
{
    while (r->head) {
        void *p = r->head;
        r->head = *(void **)p;
        pt->ops->free_page(pt->ctx, p);
    }
    r->count = 0;
}

static int reserve_fill(struct pgtable *pt, struct reserve *r, uint64_t n)
{
    r->head = NULL;
    r->count = 0;
    while (r->count < n) {
        void *p = pt->ops->alloc_page(pt->ctx);
        if (!p) {
            reserve_release(pt, r);
            return PT_ERR_NOMEM;
        }
        *(void **)p = r->head;
        r->head = p;
        r->count++;
    }
    return PT_OK;
}

/* A page for a new table, every entry invalid. Pages are cleared here, when
 * used, rather than when reserved: most reservations go back unused. */
static uint64_t *reserve_take(struct pgtable *pt, struct reserve *r)
{
    /* Cannot run dry: reserve_fill took an upper bound. */
    uint64_t *p = r->head;
    r->head = *(void **)p;
    r->count--;
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        p[i] = 0;
    pt->table_pages++;
    return p;
}

/* ---- Applying an update (phase two, cannot fail) ---------------------- */

static void free_subtree(struct pgtable *pt, uint64_t *table, unsigned level)
{
    if (level < MAX_LEVEL) {
        for (unsigned i = 0; i < PT_ENTRIES; i++) {
            if (is_table(table[i], level))
                free_subtree(pt, pt->ops->va_of(pt->ctx, table[i] & DESC_ADDR_MASK), level + 1);
        }
    }
    pt->ops->free_page(pt->ctx, table);
    pt->table_pages--;
}

/* Access-permission bits of a leaf, in both formats: stage 1 AP[2:1]
 * (7:6), PXN (53), UXN/XN (54); stage 2 S2AP (7:6), XN[1:0] (54:53). */
#define DESC_PERM_MASK  ((3ull << 6) | (3ull << 53))

/* Two valid leaves that differ only in their access permissions: the
 * architecture lets such an entry be changed in place, with no
 * break-before-make (Arm ARM D8.16.1: BBM is required for a change of
 * output address, block size, memory type or shareability, not of
 * permissions). Another CPU walking the table meanwhile then sees the old
 * or the new permission, never a translation fault on mapped memory. */
static bool permission_only(uint64_t old, uint64_t new_e, unsigned level)
{
    if (!is_valid(old) || !is_valid(new_e) || is_table(old, level) || is_table(new_e, level))
        return false;
    return (old & ~DESC_PERM_MASK) == (new_e & ~DESC_PERM_MASK);
}

/* Replace a valid entry: a permission-only change in place (one
 * single-copy-atomic 64-bit store), then invalidate; anything else break
 * (clear + invalidate), then make. */
static void replace_entry(struct pgtable *pt, uint64_t *e, uint64_t new_e, uint64_t va,
                          unsigned level)
{
    uint64_t old = *e;
    if (old == new_e)
        return;
    if (permission_only(old, new_e, level)) {
        __atomic_store_n(e, new_e, __ATOMIC_RELAXED);
        pt->ops->invalidate(pt->ctx, va, level, false);
        return;
    }
    if (is_valid(old)) {
        *e = 0;
        pt->ops->invalidate(pt->ctx, va, level, is_table(old, level));
    }
    *e = new_e;
    if (is_table(old, level))
        free_subtree(pt, pt->ops->va_of(pt->ctx, old & DESC_ADDR_MASK), level + 1);
}

/* Turn a block entry into a table of equivalent next-level leaves, so that
 * part of it can change. */
static uint64_t *split_block(struct pgtable *pt, struct reserve *r, uint64_t *e,
                             uint64_t va_base, unsigned level)
{
    uint64_t *t = reserve_take(pt, r);
    uint64_t old = *e;
    uint64_t child = pt_level_size(level + 1);
    uint64_t attrs = old & ~DESC_ADDR_MASK & ~(DESC_VALID | DESC_TABLE);
    uint64_t pa = old & DESC_ADDR_MASK;
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        t[i] = make_leaf(level + 1, pa + i * child, attrs);
    pt->ops->sync(pt->ctx);
    replace_entry(pt, e, pt->ops->pa_of(pt->ctx, t) | DESC_VALID | DESC_TABLE, va_base, level);
    return t;
}

static void update_level(struct pgtable *pt, struct reserve *r, uint64_t *table,
                         unsigned level, uint64_t va, uint64_t end, uint64_t pa,
                         bool unmap, uint64_t attrs)
{
    uint64_t size = pt_level_size(level);
    while (va < end) {
        uint64_t base = va & ~(size - 1);
        uint64_t next = base + size;
        uint64_t chunk_end = next < end ? next : end;
        uint64_t *e = &table[level_index(pt, level, va)];
        bool whole = va == base && chunk_end == next;

        if (whole && level_has_blocks(level) && (unmap || (pa & (size - 1)) == 0)) {
            replace_entry(pt, e, unmap ? 0 : make_leaf(level, pa, attrs), va, level);
        } else {
            uint64_t *child = NULL;
            if (is_table(*e, level)) {
                child = pt->ops->va_of(pt->ctx, *e & DESC_ADDR_MASK);
            } else if (is_valid(*e)) {
                child = split_block(pt, r, e, base, level);
            } else if (!unmap) {
                child = reserve_take(pt, r);
                *e = pt->ops->pa_of(pt->ctx, child) | DESC_VALID | DESC_TABLE;
            }
            if (child)
                update_level(pt, r, child, level + 1, va, chunk_end, pa, unmap, attrs);
        }
        pa += chunk_end - va;
        va = chunk_end;
    }
}

static int check_range(const struct pgtable *pt, uint64_t va, uint64_t size)
{
    if ((va | size) & (PT_PAGE_SIZE - 1))
        return PT_ERR_ALIGN;
    uint64_t limit = 1ull << pt->va_bits;
    if (size == 0 || va >= limit || size > limit - va)
        return PT_ERR_RANGE;
    return PT_OK;
}

static int update(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size,
                  bool unmap, unsigned prot)
{
    uint64_t attrs = 0;
    int rc = check_range(pt, va, size);
    if (rc)
        return rc;
    if (!unmap) {
        if (pa & (PT_PAGE_SIZE - 1))
            return PT_ERR_ALIGN;
        if (pa > DESC_ADDR_MASK || size > DESC_ADDR_MASK + PT_PAGE_SIZE - pa)
            return PT_ERR_RANGE;
        rc = leaf_attrs(pt, prot, &attrs);
        if (rc)
            return rc;
    }
    struct reserve r;
    rc = reserve_fill(pt, &r, tables_needed(pt, va, va + size, pa, unmap));
    if (rc)
        return rc;
    update_level(pt, &r, pt->root, pt->start_level, va, va + size, pa, unmap, attrs);
    pt->ops->sync(pt->ctx);
    reserve_release(pt, &r);
    return PT_OK;
}

uint64_t pt_update_max_pages(const struct pgtable *pt, uint64_t va, uint64_t pa,
                             uint64_t size, bool unmap)
{
    if (check_range(pt, va, size))
        return 0; /* the update would be refused before reserving anything */
    return tables_needed(pt, va, va + size, pa, unmap);
}

int pt_map(struct pgtable *pt, uint64_t va, uint64_t pa, uint64_t size, unsigned prot)
{
    return update(pt, va, pa, size, false, prot);
}

int pt_unmap(struct pgtable *pt, uint64_t va, uint64_t size)
{
    return update(pt, va, 0, size, true, 0);
}

bool pt_lookup(const struct pgtable *pt, uint64_t va, uint64_t *pa, unsigned *prot,
               unsigned *level)
{
    if (va >> pt->va_bits)
        return false;
    const uint64_t *table = pt->root;
    for (unsigned l = pt->start_level; l <= MAX_LEVEL; l++) {
        uint64_t e = table[level_index(pt, l, va)];
        if (!is_valid(e))
            return false;
        if (is_table(e, l)) {
            table = pt->ops->va_of(pt->ctx, e & DESC_ADDR_MASK);
            continue;
        }
        uint64_t size = pt_level_size(l);
        if (pa)
            *pa = (e & DESC_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
        if (prot)
            *prot = decode_prot(pt, e);
        if (level)
            *level = l;
        return true;
    }
    return false;
}

void pt_destroy(struct pgtable *pt)
{
    unsigned root_pages = pt->root_entries > PT_ENTRIES ? pt->root_entries / PT_ENTRIES : 1;
    for (unsigned i = 0; i < pt->root_entries; i++) {
        if (is_table(pt->root[i], pt->start_level))
            free_subtree(pt, pt->ops->va_of(pt->ctx, pt->root[i] & DESC_ADDR_MASK),
                         pt->start_level + 1);
    }
    for (unsigned i = 0; i < root_pages; i++)
        pt->ops->free_page(pt->ctx, (uint8_t *)pt->root + i * PT_PAGE_SIZE);
    pt->table_pages = 0;
    pt->root = NULL;
}
