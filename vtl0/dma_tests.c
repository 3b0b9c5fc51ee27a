/* dma_tests.c: DMA attacks from VTL0 (EL1 of VTL0). VTL0 programs real
 * devices (edu's DMA engine and MSI, virtio-rng's virtqueue) to read and
 * write memory its own stage 2 forbids: hypervisor memory, VTL1 memory,
 * pages VTL1 made read-only or locked, addresses no one owns. The SMMU
 * must stop every one: no data moves, the machine keeps running and the
 * hypervisor counts a DMA fault (OVBS_EV_DMA_FAULT). VTL1 checks its own
 * page (SC_DMA_CANARY), which VTL0 cannot read. Until the hypervisor
 * enforces the SMMU (OVBS_FEAT_SMMU_ENFORCED), the blocked tests are
 * skipped: in bypass they would really write there. */
#include <string.h>
#include "kernel.h"
#include "pci.h"
#include "vsm_tests.h"

#define LEN      1024 /* bytes per transfer (edu: at most 2 KiB) */

/* Pages of our own the tests aim DMA at; nothing else lives on them. */
static uint8_t src[4096] __attribute__((aligned(4096)));
static uint8_t dst[4096] __attribute__((aligned(4096)));
static uint8_t ro_page[4096] __attribute__((aligned(4096)));
static uint8_t locked_page[4096] __attribute__((aligned(4096))); /* locked for good */
static uint8_t inval_page[4096] __attribute__((aligned(4096)));
static uint8_t rng_buf[4096] __attribute__((aligned(4096)));

/* ---- helpers -------------------------------------------------------------- */

static bool enforced(void)
{
    return hvc(OVBS_HV_INFO, 0, 0, 0).x1 & OVBS_FEAT_SMMU_ENFORCED;
}

/* True (and the test's result set) when the blocked tests cannot run. */
static bool skipped(bool *result)
{
    if (enforced())
        return false;
    kprintf("    SKIP (no SMMU enforcement yet)\n");
    *result = note(true, "skipped: SMMU not enforced");
    return true;
}

/* The hypervisor drains the SMMU's event queue before it answers. */
static uint64_t dma_faults(void)
{
    struct hv_result r = hvc(OVBS_HV_EVENT_COUNT, OVBS_EV_DMA_FAULT, 0, 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : 0;
}

static void fill(uint8_t *p, uint8_t seed)
{
    for (unsigned i = 0; i < LEN; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

static bool all(const uint8_t *p, uint8_t seed, bool zero)
{
    for (unsigned i = 0; i < LEN; i++) {
        if (p[i] != (zero ? 0 : (uint8_t)(seed + i * 7)))
            return false;
    }
    return true;
}

/* Load the pattern `seed` into the device's buffer. */
static bool device_load(uint8_t seed)
{
    fill(src, seed);
    return edu_init() && edu_dma_in(pa(src), 0, LEN);
}

/* The device's buffer, copied out into dst, still holds the pattern, or
 * zeros: QEMU completes a refused DMA read with zeros. Either way none of
 * the target's contents arrived (the targets are chosen non-zero). */
static bool device_kept(uint8_t seed)
{
    memset(dst, 0x99, LEN);
    return edu_dma_out(0, pa(dst), LEN) && (all(dst, seed, false) || all(dst, 0, true));
}

/* The canary page's address, and whether VTL1 still finds it untouched. */
static uint64_t canary_sum(uint64_t *where)
{
    struct hv_result r = vcall(SC_DMA_CANARY, 0, 0, 0);
    if (where)
        *where = r.x1;
    return r.x0 == HV_STATUS_SUCCESS ? r.x2 : 0;
}

static uint64_t canary_page(void)
{
    uint64_t where = 0;
    canary_sum(&where);
    return where;
}

static bool canary_intact(void)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, as the secure kernel computes it */
    for (uint64_t i = 0; i < 4096; i++)
        h = (h ^ sc_dma_canary_byte(i)) * 0x100000001b3ull;
    return canary_sum(NULL) == h;
}

static bool faulted(uint64_t before, const char *what)
{
    uint64_t now = dma_faults();
    kprintf("    %s: DMA faults %lu -> %lu\n", what, before, now);
    return now > before;
}

/* A blocked DMA: nothing moved and the hypervisor counted the fault. */
static bool verdict(bool kept, bool counted, const char *ok)
{
    if (!kept)
        return note(false, "data moved: the DMA was not blocked");
    if (!counted)
        return note(false, "no DMA fault counted");
    return note(true, ok);
}

/* ---- tests ------------------------------------------------------------------ */

bool t_dma_vtl0_works(void)
{
    fill(src, 0x11);
    memset(dst, 0, LEN);
    if (!edu_init() || !edu_dma_in(pa(src), 0, LEN) || !edu_dma_out(0, pa(dst), LEN))
        return note(false, "edu DMA did not complete");
    if (memcmp(src, dst, LEN))
        return note(false, "edu DMA RAM -> device -> RAM lost the data");
    memset(rng_buf, 0, 64);
    uint32_t got = 0;
    if (!vrng_init() || !vrng_fill(pa(rng_buf), 64, 1000, &got) || got == 0)
        return note(false, "virtio-rng returned no buffer");
    bool zero = true;
    for (unsigned i = 0; i < 64; i++)
        zero &= rng_buf[i] == 0;
    if (!canary_intact()) /* the instrument of the blocked tests must read true */
        return note(false, "SC_DMA_CANARY does not report the boot pattern's checksum");
    kprintf("    edu copied %u bytes; virtio-rng wrote %u bytes; SMMU %s\n", LEN, got,
            enforced() ? "enforced" : "not enforced (bypass)");
    return note(!zero, "edu and virtio-rng DMA into VTL0 RAM works");
}

/* Read `target` into the device: nothing of it may arrive. */
static bool blocked_read(uint64_t target, const char *what)
{
    bool r;
    if (skipped(&r))
        return r;
    if (!target || !device_load(0x5a))
        return note(false, "no target or edu not working");
    uint64_t before = dma_faults();
    if (!edu_dma_in(target, 0, LEN))
        return note(false, "the refused DMA hung the device");
    bool kept = device_kept(0x5a);
    return verdict(kept, faulted(before, what), "DMA read blocked, fault counted");
}

/* Write the device's buffer to `target`: true if the device finished;
 * *counted = whether a DMA fault was counted. The caller checks the target. */
static bool blocked_write(uint64_t target, const char *what, bool *counted)
{
    *counted = false;
    if (!target || !device_load(0xa5))
        return note(false, "no target or edu not working");
    uint64_t before = dma_faults();
    if (!edu_dma_out(0, target, LEN))
        return note(false, "the refused DMA hung the device");
    *counted = faulted(before, what);
    return true;
}

/* The boot device tree opens the first hypervisor range: its magic shows
 * if a read got through. */
bool a_dma_read_hv(void)
{
    return blocked_read(owned_base(OWNER_HV, false, NULL), "read hv");
}

bool a_dma_write_hv(void)
{
    bool r;
    if (skipped(&r))
        return r;
    bool counted;
    if (!blocked_write(owned_base(OWNER_HV, true, NULL), "write hv", &counted))
        return false;
    bool alive = hvc(OVBS_HV_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS;
    return verdict(alive, counted, "DMA write to hv blocked, fault counted, hv answers");
}

bool a_dma_read_vtl1(void)
{
    return blocked_read(canary_page(), "read VTL1");
}

bool a_dma_write_vtl1(void)
{
    bool r;
    if (skipped(&r))
        return r;
    uint64_t canary = canary_page();
    bool counted;
    if (!blocked_write(canary, "write VTL1", &counted))
        return false;
    return verdict(canary_intact(), counted, "DMA write to the VTL1 canary blocked, fault counted");
}

/* A VTL0 page VTL1 made read-only (SC_PROTECT) or locked (SC_LOCK): the
 * device may read it, not write it. */
static bool readonly_page(uint8_t *page, bool lock)
{
    bool r;
    if (skipped(&r))
        return r;
    fill(page, 0x3c);
    uint64_t service = lock ? SC_LOCK : SC_PROTECT;
    if (vcall(service, pa(page), 1, OVBS_ACC_R).x0 != HV_STATUS_SUCCESS)
        return note(false, "VTL1 refused the protection");
    bool counted;
    bool ok = blocked_write(pa(page), lock ? "write locked page" : "write read-only page",
                            &counted) &&
              verdict(all(page, 0x3c, false), counted, "");
    memset(dst, 0, LEN);
    ok = ok && note(edu_dma_in(pa(page), 0, LEN) && edu_dma_out(0, pa(dst), LEN) &&
                        all(dst, 0x3c, false),
                    "DMA read of the read-only page failed");
    if (!lock)
        vcall(SC_PROTECT, pa(page), 1, OVBS_ACC_RWX);
    return ok && note(true, "DMA write blocked (page unchanged, fault counted), DMA read works");
}

bool a_dma_write_readonly(void) { return readonly_page(ro_page, false); }
bool a_dma_write_locked(void) { return readonly_page(locked_page, true); }

/* The first gap between the hypervisor's ranges, as in mmio_hole, below
 * the device's 40-bit DMA mask. */
static uint64_t hole(void)
{
    uint64_t prev_end = 0;
    for (unsigned i = 0;; i++) {
        struct hv_result r = hvc(OVBS_HV_MEMMAP_ENTRY, i, 0, 0);
        if (r.x0 != HV_STATUS_SUCCESS)
            return 0;
        if (r.x1 > prev_end && prev_end >= 0x1000)
            return prev_end < (1ull << 40) ? prev_end : 0;
        prev_end = r.x1 + r.x2;
    }
}

bool a_dma_hole(void)
{
    bool r;
    if (skipped(&r))
        return r;
    uint64_t h = hole();
    kprintf("    hole at 0x%lx\n", h);
    bool counted;
    return blocked_write(h, "write hole", &counted) &&
           verdict(true, counted, "DMA write to a hole faulted") && blocked_read(h, "read hole");
}

/* Write one pattern to inval_page with DMA; true if it arrived. */
static bool dma_write_lands(uint8_t seed)
{
    memset(inval_page, 0, LEN);
    return device_load(seed) && edu_dma_out(0, pa(inval_page), LEN) &&
           all(inval_page, seed, false);
}

/* The SMMU caches translations (QEMU caches only successful walks): a
 * write that worked leaves one in its TLB. Once VTL1 revokes write access,
 * the very next write must fault, which only an invalidation achieves. */
bool a_dma_invalidation(void)
{
    bool r;
    if (skipped(&r))
        return r;
    /* Twice: the first revoke splits the page's 2 MiB block, which the
     * hypervisor invalidates at once; the second changes a page already
     * split, the path where the invalidation is batched to the end of the
     * call. Each time the warming write leaves a TLB entry behind. */
    for (unsigned round = 0; round < 2; round++) {
        if (!dma_write_lands((uint8_t)(0x21 + round)))
            return note(false, "warming DMA write did not land");
        if (vcall(SC_PROTECT, pa(inval_page), 1, OVBS_ACC_R).x0 != HV_STATUS_SUCCESS)
            return note(false, "SC_PROTECT refused");
        uint64_t before = dma_faults();
        bool landed = device_load(0x42) && edu_dma_out(0, pa(inval_page), LEN) &&
                      all(inval_page, 0x42, false);
        bool counted = faulted(before, "write after revoke");
        vcall(SC_PROTECT, pa(inval_page), 1, OVBS_ACC_RWX);
        if (landed || !counted) {
            kprintf("    round %u: the write after the revoke %s\n", round,
                    landed ? "landed" : "was not counted as a fault");
            return note(false, "a DMA write went through a stale SMMU TLB entry");
        }
    }
    return note(dma_write_lands(0x63), "revoked at once, twice (stale entries invalidated), works again");
}

/* An MSI is a device's write of its data to its address: aimed at VTL1. */
bool a_dma_msi_vtl1(void)
{
    bool r;
    if (skipped(&r))
        return r;
    uint64_t canary = canary_page();
    uint64_t before = dma_faults();
    if (!canary || !edu_init() || !edu_msi_fire(canary, 0x4141))
        return note(false, "no canary, or edu has no MSI capability");
    bool counted = faulted(before, "MSI to VTL1");
    return verdict(canary_intact(), counted, "MSI write to VTL1 blocked, fault counted");
}

/* virtio-rng told to write its random bytes into VTL1, then hypervisor,
 * memory. A device that met a refused address may stop (NEEDS_RESET), so
 * it is set up afresh each time, and must work again at the end. */
static bool vrng_blocked(uint64_t target, const char *what)
{
    uint32_t got = 0;
    uint64_t before = dma_faults();
    if (!target || !vrng_init())
        return note(false, "no target, or virtio-rng not working");
    (void)vrng_fill(target, 64, 500, &got); /* may never come back: reset next time */
    return faulted(before, what) || note(false, "no DMA fault counted for the virtio buffer");
}

bool a_dma_virtio_blocked(void)
{
    bool r;
    if (skipped(&r))
        return r;
    uint64_t canary = canary_page();
    bool to_vtl1 = vrng_blocked(canary, "virtio to VTL1");
    if (!canary_intact())
        return note(false, "data moved: virtio-rng changed the VTL1 canary");
    if (!to_vtl1 || !vrng_blocked(owned_base(OWNER_HV, true, NULL), "virtio to hv"))
        return false;
    uint32_t got = 0;
    bool works = vrng_init() && vrng_fill(pa(rng_buf), 64, 1000, &got) && got > 0;
    return note(works, "virtio writes to VTL1 and hv blocked, faults counted; device still works");
}

bool t_dma_smmu_enforced(void)
{
    return note(enforced(), "OVBS_FEAT_SMMU_ENFORCED: the hypervisor programmed the SMMU");
}
