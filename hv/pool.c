/* pool.c: the hypervisor's page pool (EL2): a bump allocator over a
 * hypervisor-owned range plus a free list of returned pages. Pages come
 * back zeroed. After boot its users are protection changes (under vtl.c's
 * prot_lock), but it keeps its own lock so no caller has to know that:
 * pool_lock guards every field below; lock order: prot_lock, pool_lock. */
#include <string.h>
#include "hv.h"
#include "spinlock.h"

static struct spinlock pool_lock = SPINLOCK_INIT;
static uint64_t pool_next, pool_end;
static void *free_list; /* singly linked through the first word of each page */
static uint64_t free_count;

void pool_init(uint64_t base, uint64_t size)
{
    pool_next = base;
    pool_end = base + size;
}

static void *alloc_locked(unsigned count, unsigned align_pages)
{
    if (count == 1 && align_pages <= 1 && free_list) {
        void *p = free_list;
        free_list = *(void **)p;
        free_count--;
        memset(p, 0, PAGE_SIZE);
        return p;
    }
    uint64_t align = (align_pages ? align_pages : 1) * PAGE_SIZE;
    uint64_t start = (pool_next + align - 1) & ~(align - 1);
    uint64_t bytes = (uint64_t)count * PAGE_SIZE;
    if (count == 0 || start > pool_end || bytes > pool_end - start)
        return NULL;
    pool_next = start + bytes;
    memset((void *)start, 0, bytes);
    return (void *)start;
}

void *pool_alloc_pages(unsigned count, unsigned align_pages)
{
    hv_lock(&pool_lock);
    void *p = alloc_locked(count, align_pages);
    hv_unlock(&pool_lock);
    return p;
}

void pool_free_page(void *page)
{
    hv_lock(&pool_lock);
    *(void **)page = free_list;
    free_list = page;
    free_count++;
    hv_unlock(&pool_lock);
}

uint64_t pool_pages_free(void)
{
    hv_lock(&pool_lock);
    uint64_t n = (pool_end - pool_next) / PAGE_SIZE + free_count;
    hv_unlock(&pool_lock);
    return n;
}

/* Table pages: the builder initialises them, so no zeroing here. */
void *pool_pt_alloc_page(void *ctx)
{
    (void)ctx;
    if (free_list) {
        void *p = free_list;
        free_list = *(void **)p;
        free_count--;
        return p;
    }
    return pool_alloc_pages(1, 1);
}

void *pool_pt_alloc_root(void *ctx, unsigned count)
{
    (void)ctx;
    return pool_alloc_pages(count, count);
}

void pool_pt_free_page(void *ctx, void *page)
{
    (void)ctx;
    pool_free_page(page);
}
