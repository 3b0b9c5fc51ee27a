/* alloc.c: the secure kernel's page allocator over VTL1 memory (EL1 of
 * VTL1): one bit per page of the part of VTL1's window the image does not
 * use. Pages are zeroed when handed out. */
#include <string.h>
#include "panic.h"
#include "sk.h"

#define MAX_PAGES (64ull * 1024 * 1024 / SK_PAGE) /* up to 64 MiB of VTL1 memory */

static uint8_t used[MAX_PAGES / 8];
static uint64_t base, npages, nfree;

void page_alloc_init(uint64_t start, uint64_t end)
{
    base = start;
    npages = (end - start) / SK_PAGE;
    if (npages > MAX_PAGES)
        npages = MAX_PAGES;
    nfree = npages;
}

void *page_alloc(void)
{
    for (uint64_t i = 0; i < npages; i++) {
        if (used[i / 8] & (1u << (i % 8)))
            continue;
        used[i / 8] |= (uint8_t)(1u << (i % 8));
        nfree--;
        void *p = (void *)(uintptr_t)(base + i * SK_PAGE);
        memset(p, 0, SK_PAGE);
        return p;
    }
    return NULL;
}

void page_free(void *page)
{
    uint64_t i = ((uint64_t)(uintptr_t)page - base) / SK_PAGE;
    if ((uint64_t)(uintptr_t)page < base || i >= npages || !(used[i / 8] & (1u << (i % 8))))
        panic("page_free of a page that is not allocated");
    used[i / 8] &= (uint8_t)~(1u << (i % 8));
    nfree++;
}

uint64_t pages_free(void)
{
    return nfree;
}
