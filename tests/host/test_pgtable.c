/* test_pgtable.c: host unit tests (cmocka) for the translation-table builder
 * (lib/arm64/pgtable.c); runs on the build host, table pages are heap pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pgtable.h"

#define PAGE   0x1000ull
#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)
#define RWX    (PT_R | PT_W | PT_XK | PT_XU)

/* ---- Test memory: every allocation is recorded, every page freed once -- */

#define MAX_ALLOCS 1024
#define MAX_INVAL  64

struct alloc_rec {
    uint8_t *base;
    unsigned pages;
    uint32_t freed; /* bit i: page i freed */
};

struct inval_rec {
    uint64_t va;
    unsigned level;
    bool whole_range;
    bool mapped_during; /* pt_lookup(va) from inside the hook */
};

struct tctx {
    struct pgtable *pt;
    struct alloc_rec rec[MAX_ALLOCS];
    unsigned nrec;
    size_t pages_alloc, pages_freed;
    long fail_after;      /* alloc_page calls that may still succeed; -1: all */
    unsigned root_count;  /* `count` of the last alloc_root call */
    struct inval_rec inval[MAX_INVAL];
    unsigned ninval;
    unsigned syncs;
    bool bad_free;        /* free of an unknown page, or a double free */
};

static void *alloc_pages(struct tctx *c, unsigned count)
{
    if (c->nrec == MAX_ALLOCS)
        return NULL;
    uint8_t *p = aligned_alloc(count * PAGE, count * PAGE);
    if (!p)
        return NULL;
    memset(p, 0, count * PAGE);
    c->rec[c->nrec++] = (struct alloc_rec){ p, count, 0 };
    c->pages_alloc += count;
    return p;
}

static void *t_alloc_page(void *ctx)
{
    struct tctx *c = ctx;
    if (c->fail_after == 0)
        return NULL;
    if (c->fail_after > 0)
        c->fail_after--;
    return alloc_pages(c, 1);
}

static void *t_alloc_root(void *ctx, unsigned count)
{
    struct tctx *c = ctx;
    c->root_count = count;
    return alloc_pages(c, count);
}

static void t_free_page(void *ctx, void *page)
{
    struct tctx *c = ctx;
    uint8_t *p = page;
    for (unsigned i = 0; i < c->nrec; i++) {
        struct alloc_rec *r = &c->rec[i];
        if (!r->base || p < r->base || p >= r->base + r->pages * PAGE)
            continue;
        uint64_t off = (uint64_t)(p - r->base);
        unsigned idx = (unsigned)(off / PAGE);
        if (off % PAGE || (r->freed & (1u << idx))) {
            c->bad_free = true;
            return;
        }
        r->freed |= 1u << idx;
        c->pages_freed++;
        if (r->freed == (1u << r->pages) - 1) {
            free(r->base);
            r->base = NULL;
        }
        return;
    }
    c->bad_free = true;
}

static uint64_t t_pa_of(void *ctx, const void *page)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)page;
}

static void *t_va_of(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}

static void t_invalidate(void *ctx, uint64_t va, unsigned level, bool whole_range)
{
    struct tctx *c = ctx;
    if (c->ninval == MAX_INVAL)
        return;
    struct inval_rec *r = &c->inval[c->ninval++];
    r->va = va;
    r->level = level;
    r->whole_range = whole_range;
    /* Break-before-make: the entry must read as invalid right now. */
    r->mapped_during = pt_lookup(c->pt, va, NULL, NULL, NULL);
}

static void t_sync(void *ctx)
{
    ((struct tctx *)ctx)->syncs++;
}

static const struct pt_ops test_ops = {
    .alloc_page = t_alloc_page,
    .alloc_root = t_alloc_root,
    .free_page = t_free_page,
    .pa_of = t_pa_of,
    .va_of = t_va_of,
    .invalidate = t_invalidate,
    .sync = t_sync,
};

struct fixture {
    struct tctx c;
    struct pgtable pt;
};

static struct fixture *make(enum pt_format fmt, unsigned va_bits, bool xnx)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->c.pt = &f->pt;
    f->c.fail_after = -1;
    assert_int_equal(pt_init(&f->pt, fmt, va_bits, xnx, &test_ops, &f->c), PT_OK);
    return f;
}

static size_t live_pages(const struct fixture *f)
{
    return f->c.pages_alloc - f->c.pages_freed;
}

/* Destroy, then check that every page came back exactly once. */
static void finish(struct fixture *f)
{
    assert_int_equal(f->pt.table_pages, live_pages(f));
    pt_destroy(&f->pt);
    assert_false(f->c.bad_free);
    assert_int_equal(f->c.pages_alloc, f->c.pages_freed);
    assert_int_equal(f->pt.table_pages, 0);
    free(f);
}

static void expect_map(const struct fixture *f, uint64_t va, uint64_t pa, unsigned prot,
                       unsigned level)
{
    uint64_t got_pa = ~0ull;
    unsigned got_prot = ~0u, got_level = ~0u;
    assert_true(pt_lookup(&f->pt, va, &got_pa, &got_prot, &got_level));
    assert_int_equal(got_pa, pa);
    assert_int_equal(got_prot, prot);
    assert_int_equal(got_level, level);
}

static void expect_unmapped(const struct fixture *f, uint64_t va)
{
    assert_false(pt_lookup(&f->pt, va, NULL, NULL, NULL));
}

static void expect_all_bbm(const struct fixture *f)
{
    for (unsigned i = 0; i < f->c.ninval; i++)
        assert_false(f->c.inval[i].mapped_during);
}

/* ---- Tests ----------------------------------------------------------- */

static void test_s2_gib_aligned_uses_level1_blocks(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    assert_int_equal(f->pt.start_level, 0);
    assert_int_equal(f->pt.root_entries, 512);
    assert_int_equal(f->c.root_count, 1);
    assert_int_equal(pt_root_pa(&f->pt), (uint64_t)(uintptr_t)f->pt.root);

    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), GIB(2), PT_R | PT_W), PT_OK);
    expect_map(f, GIB(1), GIB(1), PT_R | PT_W, 1);
    expect_map(f, GIB(2) + 0x123456, GIB(2) + 0x123456, PT_R | PT_W, 1);
    expect_map(f, GIB(3) - 8, GIB(3) - 8, PT_R | PT_W, 1);
    expect_unmapped(f, GIB(1) - PAGE);
    expect_unmapped(f, GIB(3));
    /* Root and one level-1 table; a fresh map breaks nothing. */
    assert_int_equal(f->pt.table_pages, 2);
    assert_int_equal(f->c.ninval, 0);
    finish(f);
}

static void test_mib_aligned_uses_level2_blocks(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    assert_int_equal(pt_map(&f->pt, GIB(1) + MIB(2), GIB(1) + MIB(2), MIB(4), PT_R), PT_OK);
    expect_map(f, GIB(1) + MIB(2), GIB(1) + MIB(2), PT_R, 2);
    expect_map(f, GIB(1) + MIB(5) + 0x10, GIB(1) + MIB(5) + 0x10, PT_R, 2);
    expect_unmapped(f, GIB(1) + MIB(2) - PAGE);
    expect_unmapped(f, GIB(1) + MIB(6));
    assert_int_equal(f->pt.table_pages, 3); /* root, level 1, level 2 */
    finish(f);
}

static void test_unaligned_head_and_tail_use_pages(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    uint64_t va = GIB(1) + MIB(2) - 2 * PAGE, off = GIB(4);
    /* Two head pages, one 2 MiB block, three tail pages; pa = va + 4 GiB. */
    assert_int_equal(pt_map(&f->pt, va, va + off, 2 * PAGE + MIB(2) + 3 * PAGE, RWX), PT_OK);
    expect_map(f, va, va + off, RWX, 3);
    expect_map(f, va + PAGE, va + PAGE + off, RWX, 3);
    expect_map(f, GIB(1) + MIB(2), GIB(1) + MIB(2) + off, RWX, 2);
    expect_map(f, GIB(1) + MIB(4), GIB(1) + MIB(4) + off, RWX, 3);
    expect_map(f, GIB(1) + MIB(4) + 2 * PAGE, GIB(1) + MIB(4) + 2 * PAGE + off, RWX, 3);
    expect_unmapped(f, va - PAGE);
    expect_unmapped(f, GIB(1) + MIB(4) + 3 * PAGE);

    /* Output not congruent with input at 2 MiB: only pages are possible. */
    assert_int_equal(pt_map(&f->pt, GIB(8), GIB(8) + PAGE, MIB(2), PT_R), PT_OK);
    expect_map(f, GIB(8), GIB(8) + PAGE, PT_R, 3);
    expect_map(f, GIB(8) + MIB(2) - PAGE, GIB(8) + MIB(2), PT_R, 3);
    finish(f);
}

static void test_remap_page_splits_block_break_before_make(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    uint64_t blk = GIB(1) + MIB(2);
    assert_int_equal(pt_map(&f->pt, blk, blk, MIB(2), PT_R | PT_W | PT_XK), PT_OK);
    size_t before = f->pt.table_pages;
    assert_int_equal(f->c.ninval, 0);

    assert_int_equal(pt_map(&f->pt, blk + PAGE, blk + PAGE, PAGE, PT_R), PT_OK);
    expect_map(f, blk + PAGE, blk + PAGE, PT_R, 3);
    expect_map(f, blk, blk, PT_R | PT_W | PT_XK, 3);
    expect_map(f, blk + 2 * PAGE, blk + 2 * PAGE, PT_R | PT_W | PT_XK, 3);
    expect_map(f, blk + MIB(2) - PAGE, blk + MIB(2) - PAGE, PT_R | PT_W | PT_XK, 3);
    assert_int_equal(f->pt.table_pages, before + 1);

    /* The block was broken (level 2: a change of size needs break-before-
     * make, so it was unmapped while its invalidation ran); the page entry
     * (level 3) only lost its write and execute rights, which is changed
     * in place: still mapped while invalidated, so another CPU reading the
     * page meanwhile never takes a translation fault. */
    assert_int_equal(f->c.ninval, 2);
    assert_int_equal(f->c.inval[0].va, blk);
    assert_int_equal(f->c.inval[0].level, 2);
    assert_false(f->c.inval[0].whole_range);
    assert_false(f->c.inval[0].mapped_during);
    assert_int_equal(f->c.inval[1].va, blk + PAGE);
    assert_int_equal(f->c.inval[1].level, 3);
    assert_false(f->c.inval[1].whole_range);
    assert_true(f->c.inval[1].mapped_during);

    /* Mapping the same thing again changes no live entry. */
    f->c.ninval = 0;
    assert_int_equal(pt_map(&f->pt, blk + PAGE, blk + PAGE, PAGE, PT_R), PT_OK);
    assert_int_equal(f->c.ninval, 0);
    finish(f);
}

static void test_unmap_page_inside_block_and_range(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    uint64_t blk = GIB(1) + MIB(4);
    assert_int_equal(pt_map(&f->pt, blk, blk, MIB(2), PT_R | PT_W), PT_OK);
    assert_int_equal(pt_unmap(&f->pt, blk + 5 * PAGE, PAGE), PT_OK);
    expect_unmapped(f, blk + 5 * PAGE);
    expect_map(f, blk + 4 * PAGE, blk + 4 * PAGE, PT_R | PT_W, 3);
    expect_map(f, blk + 6 * PAGE, blk + 6 * PAGE, PT_R | PT_W, 3);
    assert_int_equal(f->c.ninval, 2); /* split the block, then clear the page */
    assert_int_equal(f->c.inval[0].va, blk);
    assert_int_equal(f->c.inval[0].level, 2);
    assert_int_equal(f->c.inval[1].va, blk + 5 * PAGE);
    assert_int_equal(f->c.inval[1].level, 3);
    expect_all_bbm(f);

    /* Unmap a page range, a whole block, and something never mapped. */
    uint64_t pages = GIB(2) + 3 * PAGE;
    assert_int_equal(pt_map(&f->pt, pages, pages, 4 * PAGE, PT_R), PT_OK);
    assert_int_equal(pt_unmap(&f->pt, pages, 4 * PAGE), PT_OK);
    for (unsigned i = 0; i < 4; i++)
        expect_unmapped(f, pages + i * PAGE);
    assert_int_equal(pt_unmap(&f->pt, blk, MIB(2)), PT_OK);
    expect_unmapped(f, blk);
    expect_unmapped(f, blk + 4 * PAGE);
    f->c.ninval = 0;
    assert_int_equal(pt_unmap(&f->pt, GIB(5), MIB(4)), PT_OK);
    assert_int_equal(f->c.ninval, 0);
    /* And the space is usable again. */
    assert_int_equal(pt_map(&f->pt, pages, pages + GIB(1), PAGE, PT_W), PT_OK);
    expect_map(f, pages, pages + GIB(1), PT_W, 3);
    finish(f);
}

static void test_block_over_table_frees_subtree(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    uint64_t blk = GIB(1) + MIB(2);
    assert_int_equal(pt_map(&f->pt, blk + PAGE, blk + PAGE, 2 * PAGE, PT_R), PT_OK);
    assert_int_equal(f->pt.table_pages, 4); /* root, L1, L2, L3 */
    size_t freed = f->c.pages_freed;

    assert_int_equal(pt_map(&f->pt, blk, blk, MIB(2), PT_R | PT_W), PT_OK);
    expect_map(f, blk + PAGE, blk + PAGE, PT_R | PT_W, 2);
    assert_int_equal(f->pt.table_pages, 3);
    assert_int_equal(f->pt.table_pages, live_pages(f));
    assert_true(f->c.pages_freed > freed);
    assert_int_equal(f->c.ninval, 1);
    assert_int_equal(f->c.inval[0].va, blk);
    assert_int_equal(f->c.inval[0].level, 2);
    assert_true(f->c.inval[0].whole_range);
    expect_all_bbm(f);

    /* A 1 GiB block over a level-2 table that itself holds a level-3 table. */
    assert_int_equal(pt_map(&f->pt, GIB(1) + MIB(8), GIB(1) + MIB(8), PAGE, PT_R), PT_OK);
    assert_int_equal(f->pt.table_pages, 4);
    f->c.ninval = 0;
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), GIB(1), PT_R), PT_OK);
    assert_int_equal(f->pt.table_pages, 2);
    assert_int_equal(f->pt.table_pages, live_pages(f));
    expect_map(f, GIB(1) + MIB(8), GIB(1) + MIB(8), PT_R, 1);
    assert_int_equal(f->c.ninval, 1);
    assert_int_equal(f->c.inval[0].level, 1);
    assert_true(f->c.inval[0].whole_range);
    expect_all_bbm(f);
    finish(f);
}

static void test_s2_execute_encoding(void **state)
{
    (void)state;
    /* With FEAT_XNX every combination of XK and XU is kept. */
    struct fixture *f = make(PT_S2, 48, true);
    static const unsigned x[4] = { 0, PT_XK, PT_XU, PT_XK | PT_XU };
    for (unsigned i = 0; i < 4; i++) {
        uint64_t va = GIB(1) + i * PAGE;
        assert_int_equal(pt_map(&f->pt, va, va, PAGE, PT_R | x[i]), PT_OK);
    }
    for (unsigned i = 0; i < 4; i++)
        expect_map(f, GIB(1) + i * PAGE, GIB(1) + i * PAGE, PT_R | x[i], 3);
    finish(f);

    /* Without it, execute is all or nothing: revoking either revokes both. */
    f = make(PT_S2, 48, false);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t va = GIB(1) + i * PAGE;
        assert_int_equal(pt_map(&f->pt, va, va, PAGE, PT_R | PT_W | x[i]), PT_OK);
    }
    expect_map(f, GIB(1), GIB(1), PT_R | PT_W, 3);
    expect_map(f, GIB(1) + PAGE, GIB(1) + PAGE, PT_R | PT_W, 3);
    expect_map(f, GIB(1) + 2 * PAGE, GIB(1) + 2 * PAGE, PT_R | PT_W, 3);
    expect_map(f, GIB(1) + 3 * PAGE, GIB(1) + 3 * PAGE, PT_R | PT_W | PT_XK | PT_XU, 3);
    finish(f);
}

static void test_s2_no_access_and_device(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    /* prot 0 is a valid mapping that grants nothing (unlike unmapping). */
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), MIB(2), 0), PT_OK);
    uint64_t pa;
    unsigned prot = ~0u, level;
    assert_true(pt_lookup(&f->pt, GIB(1) + PAGE, &pa, &prot, &level));
    assert_int_equal(prot & (PT_R | PT_W | PT_XK | PT_XU), 0);
    assert_int_equal(pa, GIB(1) + PAGE);
    assert_int_equal(level, 2);
    /* Device memory is never executable, whatever was asked for. */
    assert_int_equal(pt_map(&f->pt, 0x09000000, 0x09000000, PAGE, PT_DEVICE | RWX), PT_OK);
    expect_map(f, 0x09000000, 0x09000000, PT_DEVICE | PT_R | PT_W, 3);
    finish(f);
}

static void test_s1_formats_permissions(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S1_EL2, 48, false);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), PAGE, PT_R | PT_USER), PT_ERR_PROT);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), PAGE, PT_R | PT_XU), PT_ERR_PROT);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), PAGE, PT_W), PT_ERR_PROT);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), PAGE, 0), PT_ERR_PROT);
    assert_int_equal(f->pt.table_pages, 1); /* refused before allocating */
    expect_unmapped(f, GIB(1));
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), PAGE, PT_R | PT_W | PT_XK), PT_OK);
    assert_int_equal(pt_map(&f->pt, GIB(1) + PAGE, GIB(1) + PAGE, PAGE, PT_R), PT_OK);
    assert_int_equal(pt_map(&f->pt, 0x09000000, 0x09000000, PAGE, PT_R | PT_W | PT_DEVICE),
                     PT_OK);
    expect_map(f, GIB(1), GIB(1), PT_R | PT_W | PT_XK, 3);
    expect_map(f, GIB(1) + PAGE, GIB(1) + PAGE, PT_R, 3);
    expect_map(f, 0x09000000, 0x09000000, PT_R | PT_W | PT_DEVICE, 3);
    finish(f);

    f = make(PT_S1_EL10, 48, false);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), PAGE, PT_R | PT_XU), PT_ERR_PROT);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), PAGE, PT_W), PT_ERR_PROT);
    static const unsigned ok[] = {
        PT_R | PT_XK,                          /* kernel text */
        PT_R | PT_W,                           /* kernel data */
        PT_R | PT_USER | PT_XU | PT_NG,        /* user text */
        PT_R | PT_W | PT_USER | PT_NG,         /* user data */
        PT_R | PT_USER | PT_XK | PT_XU,
    };
    for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t va = GIB(2) + i * PAGE;
        assert_int_equal(pt_map(&f->pt, va, va, PAGE, ok[i]), PT_OK);
        expect_map(f, va, va, ok[i], 3);
    }
    finish(f);
}

static void test_alignment_and_range_errors(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    assert_int_equal(pt_map(&f->pt, GIB(1) + 0x800, GIB(1), PAGE, PT_R), PT_ERR_ALIGN);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1) + 8, PAGE, PT_R), PT_ERR_ALIGN);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1), PAGE + 1, PT_R), PT_ERR_ALIGN);
    assert_int_equal(pt_unmap(&f->pt, GIB(1) + 4, PAGE), PT_ERR_ALIGN);
    assert_int_equal(pt_map(&f->pt, 1ull << 48, 0, PAGE, PT_R), PT_ERR_RANGE);
    assert_int_equal(pt_map(&f->pt, (1ull << 48) - PAGE, 0, 2 * PAGE, PT_R), PT_ERR_RANGE);
    assert_int_equal(pt_map(&f->pt, GIB(1), ~0ull << 12, PAGE, PT_R), PT_ERR_RANGE);
    assert_int_equal(pt_map(&f->pt, GIB(1), (1ull << 48) - PAGE, 2 * PAGE, PT_R),
                     PT_ERR_RANGE);
    assert_int_equal(pt_unmap(&f->pt, 1ull << 48, PAGE), PT_ERR_RANGE);
    assert_int_equal(f->pt.table_pages, 1);
    expect_unmapped(f, GIB(1));
    /* The very last page is fine. */
    assert_int_equal(pt_map(&f->pt, (1ull << 48) - PAGE, PAGE, PAGE, PT_R), PT_OK);
    expect_map(f, (1ull << 48) - PAGE, PAGE, PT_R, 3);
    finish(f);

    f = make(PT_S2, 39, true);
    assert_int_equal(f->pt.start_level, 1);
    assert_int_equal(pt_map(&f->pt, 1ull << 39, 0, PAGE, PT_R), PT_ERR_RANGE);
    assert_false(pt_lookup(&f->pt, 1ull << 39, NULL, NULL, NULL));
    finish(f);
}

static void test_nomem_changes_nothing(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    uint64_t blk = GIB(1) + MIB(2), pages = GIB(3) + PAGE;
    assert_int_equal(pt_map(&f->pt, blk, blk, MIB(2), PT_R | PT_W), PT_OK);
    assert_int_equal(pt_map(&f->pt, pages, pages, 3 * PAGE, PT_R | PT_XK), PT_OK);
    size_t tables = f->pt.table_pages;

    /* Splitting the block needs table pages, reserved up front; each number
     * of available pages short of the reservation must fail cleanly. */
    long needed = -1;
    for (long avail = 0; avail < 16; avail++) {
        f->c.fail_after = avail;
        f->c.ninval = 0;
        int rc = pt_map(&f->pt, blk + PAGE, GIB(100) + PAGE, 2 * PAGE, PT_R);
        if (rc == PT_OK) {
            needed = avail;
            break;
        }
        assert_int_equal(rc, PT_ERR_NOMEM);
        assert_int_equal(f->c.ninval, 0);
        assert_int_equal(f->pt.table_pages, tables);
        assert_int_equal(live_pages(f), tables);
        expect_map(f, blk, blk, PT_R | PT_W, 2);
        expect_map(f, blk + PAGE, blk + PAGE, PT_R | PT_W, 2);
        expect_map(f, blk + 2 * PAGE, blk + 2 * PAGE, PT_R | PT_W, 2);
        for (unsigned i = 0; i < 3; i++)
            expect_map(f, pages + i * PAGE, pages + i * PAGE, PT_R | PT_XK, 3);
    }
    assert_true(needed > 0);
    f->c.fail_after = -1;
    expect_map(f, blk + PAGE, GIB(100) + PAGE, PT_R, 3);
    expect_map(f, blk + 2 * PAGE, GIB(100) + 2 * PAGE, PT_R, 3);
    expect_map(f, blk, blk, PT_R | PT_W, 3);
    assert_int_equal(f->pt.table_pages, live_pages(f));

    /* A brand-new region with no memory at all. */
    f->c.fail_after = 0;
    assert_int_equal(pt_map(&f->pt, GIB(600), GIB(600), PAGE, PT_R), PT_ERR_NOMEM);
    expect_unmapped(f, GIB(600));
    assert_int_equal(f->pt.table_pages, live_pages(f));
    f->c.fail_after = -1;
    finish(f);
}

static void test_root_geometry_and_concatenation(void **state)
{
    (void)state;
    /* 40-bit stage 2 starts at level 1 with two concatenated root pages. */
    struct fixture *f = make(PT_S2, 40, true);
    assert_int_equal(f->pt.start_level, 1);
    assert_int_equal(f->pt.root_entries, 1024);
    assert_int_equal(f->c.root_count, 2);
    assert_int_equal(f->pt.table_pages, 2);
    assert_int_equal(pt_root_pa(&f->pt) % (2 * PAGE), 0);
    uint64_t high = GIB(512) + GIB(64); /* served by the second root page */
    assert_int_equal(pt_map(&f->pt, high, GIB(2), GIB(1), PT_R | PT_W), PT_OK);
    assert_int_equal(pt_map(&f->pt, GIB(64), GIB(5), GIB(1), PT_R), PT_OK);
    assert_int_equal(pt_map(&f->pt, GIB(1023), GIB(7), PAGE, PT_W), PT_OK);
    expect_map(f, high + 0x5000, GIB(2) + 0x5000, PT_R | PT_W, 1);
    expect_map(f, GIB(64) + 0x5000, GIB(5) + 0x5000, PT_R, 1);
    expect_map(f, GIB(1023), GIB(7), PT_W, 3);
    expect_unmapped(f, GIB(512));
    assert_int_equal(pt_map(&f->pt, GIB(1024), 0, PAGE, PT_R), PT_ERR_RANGE);
    finish(f);

    /* 44-bit stage 2 starts at level 0 with a 32-entry root. */
    f = make(PT_S2, 44, true);
    assert_int_equal(f->pt.start_level, 0);
    assert_int_equal(f->pt.root_entries, 32);
    assert_int_equal(f->c.root_count, 1);
    uint64_t top = (1ull << 44) - GIB(1);
    assert_int_equal(pt_map(&f->pt, top, GIB(1), GIB(1), PT_R), PT_OK);
    expect_map(f, top + PAGE, GIB(1) + PAGE, PT_R, 1);
    expect_unmapped(f, top - GIB(512)); /* no aliasing across root entries */
    assert_int_equal(pt_map(&f->pt, 1ull << 44, 0, PAGE, PT_R), PT_ERR_RANGE);
    finish(f);

    /* 39-bit stage 1 starts at level 1, 30-bit at level 2. */
    f = make(PT_S1_EL10, 39, false);
    assert_int_equal(f->pt.start_level, 1);
    assert_int_equal(f->pt.root_entries, 512);
    finish(f);
    f = make(PT_S1_EL2, 30, false);
    assert_int_equal(f->pt.start_level, 2);
    assert_int_equal(pt_map(&f->pt, MIB(2), MIB(2), MIB(2), PT_R), PT_OK);
    expect_map(f, MIB(2), MIB(2), PT_R, 2);
    finish(f);
}

/* Regression: reservations are not capped; an unmap of everything needs no
 * new tables; a large non-congruent map gets all the tables it needs. */
static void test_large_updates_reserve_enough(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S2, 48, true);
    assert_int_equal(pt_map(&f->pt, GIB(1), GIB(1) + PAGE, MIB(128), PT_R), PT_OK);
    expect_map(f, GIB(1) + MIB(100), GIB(1) + PAGE + MIB(100), PT_R, 3);
    assert_int_equal(pt_unmap(&f->pt, 0, 1ull << 48), PT_OK);
    expect_unmapped(f, GIB(1) + MIB(100));
    assert_int_equal(pt_map(&f->pt, 0, 0, 1ull << 47, PT_R), PT_OK);
    expect_map(f, GIB(300), GIB(300), PT_R, 1);
    finish(f);
}

/* Regression: EL1 can never execute an EL0-writable page, so asking for it
 * is refused rather than silently reported as executable. */
static void test_s1_user_writable_not_kernel_executable(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S1_EL10, 48, false);
    assert_int_equal(pt_map(&f->pt, MIB(2), MIB(2), PAGE, PT_R | PT_W | PT_USER | PT_XK),
                     PT_ERR_PROT);
    expect_unmapped(f, MIB(2));
    assert_int_equal(pt_map(&f->pt, MIB(2), MIB(2), PAGE, PT_R | PT_USER | PT_XK), PT_OK);
    finish(f);
}

/* pt_update_max_pages: with exactly that many pages available the update
 * succeeds (the bound covers the reservation), for a split and a new range,
 * and it is never below what the update kept. */
static void test_update_bound_is_enough(void **state)
{
    (void)state;
    struct fixture *f = make(PT_S1_EL10, 44, false);
    assert_int_equal(pt_map(&f->pt, MIB(2), MIB(2), MIB(2), PT_R | PT_W | PT_USER), PT_OK);
    uint64_t cases[][2] = { { MIB(2) + PAGE, PAGE }, { GIB(3), MIB(4) + 3 * PAGE } };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t bound = pt_update_max_pages(&f->pt, cases[i][0], cases[i][0], cases[i][1], false);
        size_t before = f->pt.table_pages;
        f->c.fail_after = (long)bound;
        assert_int_equal(pt_map(&f->pt, cases[i][0], cases[i][0], cases[i][1], PT_R | PT_USER),
                         PT_OK);
        assert_true(f->pt.table_pages - before <= bound);
        f->c.fail_after = -1;
    }
    assert_true(pt_update_max_pages(&f->pt, MIB(2), 0, PAGE, true) >= 1);
    assert_int_equal(pt_update_max_pages(&f->pt, 1, 1, PAGE, false), 0); /* refused anyway */
    finish(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s2_gib_aligned_uses_level1_blocks),
        cmocka_unit_test(test_mib_aligned_uses_level2_blocks),
        cmocka_unit_test(test_unaligned_head_and_tail_use_pages),
        cmocka_unit_test(test_remap_page_splits_block_break_before_make),
        cmocka_unit_test(test_unmap_page_inside_block_and_range),
        cmocka_unit_test(test_block_over_table_frees_subtree),
        cmocka_unit_test(test_s2_execute_encoding),
        cmocka_unit_test(test_s2_no_access_and_device),
        cmocka_unit_test(test_s1_formats_permissions),
        cmocka_unit_test(test_alignment_and_range_errors),
        cmocka_unit_test(test_nomem_changes_nothing),
        cmocka_unit_test(test_root_geometry_and_concatenation),
        cmocka_unit_test(test_large_updates_reserve_enough),
        cmocka_unit_test(test_s1_user_writable_not_kernel_executable),
        cmocka_unit_test(test_update_bound_is_enough),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
