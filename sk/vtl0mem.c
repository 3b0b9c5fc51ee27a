/* vtl0mem.c: the secure kernel's one door to VTL0 memory (EL1 of VTL1).
 * VTL0 names buffers by guest-physical address. Before any byte is touched
 * the whole range must be VTL0 RAM (never VTL1's or the hypervisor's, which
 * VTL1's own view could otherwise reach: the confused-deputy attack) and the
 * protection VTL1 itself set must allow VTL0 that access (VTL0 cannot read
 * or write through VTL1 what it may not touch itself). Data is copied once
 * into VTL1 memory and only the copy is used, so VTL0 changing the buffer
 * afterwards changes nothing (time of check = time of use).
 *
 * Several VPs: the state bytes are under vtl0_lock, and so is each copy
 * from its check to its last byte. Otherwise a copy out that passed its
 * check could write a page another VP has just locked read-only, after
 * VTL0 was told it is (the lock is the point of Kernel Data Protection).
 * A copy is at most SC_MAX_BUFFER bytes: that bounds the section. The
 * ranges themselves are read-only after boot. */
#include <string.h>
#include "panic.h"
#include "sk.h"


struct range {
    uint64_t base, size;
    uint8_t *state; /* one byte per page: OVBS_ACC_* | STATE_LOCKED */
};

struct spinlock vtl0_lock = SPINLOCK_INIT; /* the state bytes of ranges[] */
static struct range ranges[VTL0_MAX_RANGES]; /* read-only after boot */
static unsigned nranges;

static void add_range(uint64_t base, uint64_t size)
{
    if (nranges && ranges[nranges - 1].base + ranges[nranges - 1].size == base) {
        ranges[nranges - 1].size += size;
        return;
    }
    if (nranges == VTL0_MAX_RANGES)
        panic("too many VTL0 memory ranges");
    ranges[nranges].base = base;
    ranges[nranges].size = size;
    nranges++;
}

/* VTL0's RAM as the hypervisor's ownership map reports it at boot. Only
 * VTL1 could change it later, so this copy stays true. */
void vtl0mem_init(void)
{
    for (unsigned i = 0;; i++) {
        struct hv_result r = hvc(OVBS_HV_MEMMAP_ENTRY, i, 0, 0);
        if (r.x0 != HV_STATUS_SUCCESS)
            break;
        if ((r.x3 & 0xff) == OWNER_VTL0)
            add_range(r.x1, r.x2);
    }
    for (unsigned i = 0; i < nranges; i++) {
        uint64_t pages = ranges[i].size / SK_PAGE;
        uint64_t state_pages = (pages + SK_PAGE - 1) / SK_PAGE;
        uint8_t *prev = NULL;
        for (uint64_t p = 0; p < state_pages; p++) {
            uint8_t *pg = page_alloc();
            if (!pg || (prev && pg != prev + SK_PAGE))
                panic("no contiguous memory for VTL0 protection state");
            if (!p)
                ranges[i].state = pg;
            prev = pg;
        }
        memset(ranges[i].state, OVBS_ACC_RWX, pages);
        sk_log("VTL0 RAM [0x%lx, 0x%lx): %lu pages tracked", ranges[i].base,
               ranges[i].base + ranges[i].size, pages);
    }
}

unsigned vtl0_ranges(uint64_t *base, uint64_t *size, unsigned max)
{
    unsigned n = nranges < max ? nranges : max;
    for (unsigned i = 0; i < n; i++) {
        base[i] = ranges[i].base;
        size[i] = ranges[i].size;
    }
    return n;
}

static struct range *range_of(uint64_t gpa, uint64_t size)
{
    if (size == 0 || gpa + size < gpa)
        return NULL;
    for (unsigned i = 0; i < nranges; i++) {
        struct range *r = &ranges[i];
        if (gpa >= r->base && gpa + size <= r->base + r->size)
            return r;
    }
    return NULL;
}

bool vtl0_is_ram(uint64_t gpa, uint64_t size)
{
    return range_of(gpa, size) != NULL;
}

uint8_t *vtl0_state_span(uint64_t gpa, uint64_t pages)
{
    struct range *r = range_of(gpa, pages * SK_PAGE);
    return r && pages && pages < (1ull << 40) ? r->state + (gpa - r->base) / SK_PAGE : NULL;
}

uint8_t vtl0_page_state(uint64_t gpa)
{
    struct range *r = range_of(gpa, 1);
    if (!r)
        return 0;
    sk_lock(&vtl0_lock);
    uint8_t st = r->state[(gpa - r->base) / SK_PAGE];
    sk_unlock(&vtl0_lock);
    return st;
}

/* With vtl0_lock held. */
static int check(uint64_t gpa, uint64_t len, uint8_t need)
{
    if (len > SC_MAX_BUFFER)
        return HV_STATUS_INVALID_PARAMETER;
    struct range *r = range_of(gpa, len);
    if (!r)
        return HV_STATUS_INVALID_PARAMETER;
    for (uint64_t a = gpa & ~(SK_PAGE - 1); a < gpa + len; a += SK_PAGE) {
        if ((r->state[(a - r->base) / SK_PAGE] & need) != need)
            return HV_STATUS_ACCESS_DENIED;
    }
    return HV_STATUS_SUCCESS;
}

int vtl0_copy_in_held(uint64_t gpa, void *dst, uint64_t len)
{
    int rc = check(gpa, len, OVBS_ACC_R);
    if (rc == HV_STATUS_SUCCESS)
        memcpy(dst, (const void *)(uintptr_t)gpa, len);
    return rc;
}

int vtl0_copy_in(uint64_t gpa, void *dst, uint64_t len)
{
    sk_lock(&vtl0_lock);
    int rc = vtl0_copy_in_held(gpa, dst, len);
    sk_unlock(&vtl0_lock);
    return rc;
}

int vtl0_check_writable_held(uint64_t gpa, uint64_t len)
{
    return check(gpa, len, OVBS_ACC_W);
}

int vtl0_copy_out(uint64_t gpa, const void *src, uint64_t len)
{
    sk_lock(&vtl0_lock);
    int rc = check(gpa, len, OVBS_ACC_W);
    if (rc == HV_STATUS_SUCCESS)
        memcpy((void *)(uintptr_t)gpa, src, len);
    sk_unlock(&vtl0_lock);
    return rc;
}
