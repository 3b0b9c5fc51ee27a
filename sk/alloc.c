/* alloc.c: the secure kernel's page allocator over VTL1 memory (EL1 of
 * VTL1): one bit per page of the part of VTL1's window the image does not
 * use. Pages are zeroed when handed out, after alloc_lock is given up (the
 * page is the caller's by then). Every VP allocates: the bitmap and the
 * counts are under alloc_lock, which nests inside kpt_lock (mmu.c) and
 * takes none itself. The search skips full bytes and starts at the lowest
 * byte that may have a free bit (first_free), so the critical section is at
 * most MAX_PAGES / 8 byte tests and usually one. */
#include <string.h>
#include "panic.h"
#include "sk.h"

#define MAX_PAGES (64ull * 1024 * 1024 / SK_PAGE) /* up to 64 MiB of VTL1 memory */

static struct spinlock alloc_lock = SPINLOCK_INIT;
static uint8_t used[MAX_PAGES / 8];  /* alloc_lock */
static uint64_t nfree, first_free;   /* alloc_lock; first_free: a byte index */
static uint64_t base, npages;        /* read-only after boot */

void page_alloc_init(uint64_t start, uint64_t end)
{
    base = start;
    npages = (end - start) / SK_PAGE;
    if (npages > MAX_PAGES)
        npages = MAX_PAGES;
    nfree = npages;
}

/* The index of a free page, marked used, or npages: alloc_lock held. */
static uint64_t take_free_page(void)
{
    for (uint64_t byte = first_free; byte * 8 < npages; byte++) {
        if (used[byte] == 0xff)
            continue;
        first_free = byte;
        for (uint64_t i = byte * 8; i < byte * 8 + 8 && i < npages; i++) {
            if (!(used[i / 8] & (1u << (i % 8)))) {
                used[i / 8] |= (uint8_t)(1u << (i % 8));
                nfree--;
                return i;
            }
        }
        return npages; /* the last byte's free bits are past the end */
    }
    first_free = (npages + 7) / 8;
    return npages;
}

void *page_alloc(void)
{
    sk_lock(&alloc_lock);
    uint64_t i = take_free_page();
    sk_unlock(&alloc_lock);
    if (i == npages)
        return NULL;
    void *p = (void *)(uintptr_t)(base + i * SK_PAGE);
    memset(p, 0, SK_PAGE);
    return p;
}

void page_free(void *page)
{
    uint64_t i = ((uint64_t)(uintptr_t)page - base) / SK_PAGE;
    sk_lock(&alloc_lock);
    bool ok = (uint64_t)(uintptr_t)page >= base && i < npages && (used[i / 8] & (1u << (i % 8)));
    if (ok) {
        used[i / 8] &= (uint8_t)~(1u << (i % 8));
        nfree++;
        if (i / 8 < first_free)
            first_free = i / 8;
    }
    sk_unlock(&alloc_lock);
    if (!ok)
        panic("page_free of a page that is not allocated");
}

uint64_t pages_free(void)
{
    sk_lock(&alloc_lock);
    uint64_t n = nfree;
    sk_unlock(&alloc_lock);
    return n;
}
