/* kl_layout.c: the kernel layout of the integrity lock as pure logic (EL1 of
 * VTL1; also built for the host's unit test). Checks of each range VTL0
 * stages, VA-to-GPA lookups through them, and the jump-label sites read
 * from the jump tables (docs/kernel-integrity.md). */
#include <stddef.h>
#include "kl_layout.h"

bool kl_is_text(uint32_t kind)
{
    return kind == KL_KERNEL_TEXT || kind == KL_MODULE_TEXT;
}

bool kl_is_rodata(uint32_t kind)
{
    return kind == KL_KERNEL_RODATA || kind == KL_MODULE_RODATA;
}

static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
    return a < b + b_len && b < a + a_len;
}

/* The kernel's own ranges lie in the image the hypervisor measured; a
 * module's lie outside it (so no module range can relabel kernel data). */
static bool placed_right(const struct kl_bounds *b, uint32_t kind, uint64_t gpa, uint64_t len)
{
    uint64_t end = b->image_base + ((b->image_size + KL_PAGE - 1) & ~(KL_PAGE - 1));
    bool inside = b->image_size && gpa >= b->image_base && gpa + len <= end;
    if (kind == KL_KERNEL_TEXT || kind == KL_KERNEL_RODATA)
        return inside;
    return !overlaps(gpa, len, b->image_base, end - b->image_base);
}

int kl_add_range(struct kl_layout *l, const struct kl_bounds *b, uint32_t kind, uint64_t va,
                 uint64_t gpa, uint64_t pages)
{
    if (!kl_is_text(kind) && !kl_is_rodata(kind))
        return HV_STATUS_INVALID_PARAMETER;
    if ((va | gpa) & (KL_PAGE - 1))
        return HV_STATUS_INVALID_ALIGNMENT;
    if (pages == 0 || pages > KL_MAX_RANGE_PAGES)
        return HV_STATUS_INVALID_PARAMETER;
    uint64_t len = pages * KL_PAGE;
    if (va + len < va || gpa + len < gpa || !b->is_vtl0_ram(gpa, len) ||
        !placed_right(b, kind, gpa, len))
        return HV_STATUS_INVALID_PARAMETER;
    for (unsigned i = 0; i < l->nranges; i++) {
        const struct kl_range *r = &l->range[i];
        uint64_t rlen = r->pages * KL_PAGE;
        if (overlaps(gpa, len, r->gpa, rlen) || overlaps(va, len, r->va, rlen))
            return HV_STATUS_INVALID_PARAMETER;
    }
    if (l->nranges == KL_MAX_RANGES)
        return HV_STATUS_INSUFFICIENT_MEMORY;
    l->range[l->nranges++] = (struct kl_range){ va, gpa, pages, kind };
    return HV_STATUS_SUCCESS;
}

static const struct kl_range *range_of_va(const struct kl_layout *l, uint64_t va)
{
    for (unsigned i = 0; i < l->nranges; i++) {
        const struct kl_range *r = &l->range[i];
        if (va >= r->va && va - r->va < r->pages * KL_PAGE)
            return r;
    }
    return NULL;
}

bool kl_va_to_gpa(const struct kl_layout *l, uint64_t va, bool text, uint64_t *gpa)
{
    const struct kl_range *r = range_of_va(l, va);
    if (!r || (text ? !kl_is_text(r->kind) : !kl_is_rodata(r->kind)))
        return false;
    *gpa = r->gpa + (va - r->va);
    return true;
}

const struct kl_range *kl_range_at(const struct kl_layout *l, uint64_t gpa)
{
    for (unsigned i = 0; i < l->nranges; i++) {
        const struct kl_range *r = &l->range[i];
        if (gpa >= r->gpa && gpa - r->gpa < r->pages * KL_PAGE)
            return r;
    }
    return NULL;
}

/* A table is read through staged read-only ranges only: every page it
 * touches must be one, so what VTL1 reads is what it locks. */
int kl_add_table(struct kl_layout *l, uint64_t va, uint64_t entries)
{
    const uint64_t size = sizeof(struct ovbs_jump_entry);
    if (va & 7)
        return HV_STATUS_INVALID_ALIGNMENT;
    if (entries == 0 || entries > KL_MAX_JUMP_SITES - l->table_entries)
        return HV_STATUS_INVALID_PARAMETER;
    uint64_t end = va + entries * size, gpa;
    if (end < va)
        return HV_STATUS_INVALID_PARAMETER;
    for (uint64_t p = va & ~(KL_PAGE - 1); p < end; p += KL_PAGE) {
        if (!kl_va_to_gpa(l, p < va ? va : p, false, &gpa))
            return HV_STATUS_INVALID_PARAMETER;
    }
    for (unsigned i = 0; i < l->ntables; i++) {
        if (overlaps(va, entries * size, l->table[i].va, l->table[i].entries * size))
            return HV_STATUS_INVALID_PARAMETER;
    }
    if (l->ntables == KL_MAX_TABLES)
        return HV_STATUS_INSUFFICIENT_MEMORY;
    l->table[l->ntables++] = (struct kl_table){ va, entries };
    l->table_entries += entries;
    return HV_STATUS_SUCCESS;
}

/* B imm26 (Arm ARM C6.2.26): 0b000101 then the word offset, signed 26 bits. */
bool kl_a64_branch(uint64_t from, uint64_t target, uint32_t *insn)
{
    int64_t off = (int64_t)(target - from);
    if ((from | target) & 3 || off < -(1ll << 27) || off >= (1ll << 27))
        return false;
    *insn = 0x14000000u | ((uint32_t)(off >> 2) & 0x03ffffffu);
    return true;
}

int kl_site_of(const struct kl_layout *l, uint64_t entry_va, const struct ovbs_jump_entry *e,
               struct kl_site *out)
{
    uint64_t code = entry_va + (uint64_t)(int64_t)e->code;
    uint64_t target = entry_va + 4 + (uint64_t)(int64_t)e->target;
    uint64_t gpa, target_gpa;
    if (!kl_va_to_gpa(l, code, true, &gpa))
        return 0;
    if (!kl_va_to_gpa(l, target, true, &target_gpa) || !kl_a64_branch(code, target, &out->branch))
        return -1;
    out->gpa = gpa;
    out->reserved = 0;
    return 1;
}

static bool site_less(const struct kl_site *a, const struct kl_site *b)
{
    return a->gpa < b->gpa;
}

static void sift_down(struct kl_site *s, unsigned long root, unsigned long n)
{
    for (;;) {
        unsigned long child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && site_less(&s[child], &s[child + 1]))
            child++;
        if (!site_less(&s[root], &s[child]))
            return;
        struct kl_site t = s[root];
        s[root] = s[child];
        s[child] = t;
        root = child;
    }
}

/* Heapsort: in place, O(n log n) for the ~8,000 sites of a distribution
 * kernel, no recursion on VTL1's small stack. */
long kl_sort_sites(struct kl_site *s, unsigned long n)
{
    for (unsigned long i = n / 2; i-- > 0;)
        sift_down(s, i, n);
    for (unsigned long end = n; end > 1; end--) {
        struct kl_site t = s[0];
        s[0] = s[end - 1];
        s[end - 1] = t;
        sift_down(s, 0, end - 1);
    }
    unsigned long out = 0;
    for (unsigned long i = 0; i < n; i++) {
        if (out && s[out - 1].gpa == s[i].gpa) {
            if (s[out - 1].branch != s[i].branch)
                return -1;
            continue;
        }
        s[out++] = s[i];
    }
    return (long)out;
}

const struct kl_site *kl_find_site(const struct kl_site *s, unsigned long n, uint64_t gpa)
{
    unsigned long lo = 0, hi = n;
    while (lo < hi) {
        unsigned long mid = lo + (hi - lo) / 2;
        if (s[mid].gpa == gpa)
            return &s[mid];
        if (s[mid].gpa < gpa)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool kl_write_allowed(const struct kl_site *site, uint32_t insn)
{
    return insn == A64_NOP || insn == site->branch;
}
