/* smp_vtl1_tests.c: what VTL0 can do to VTL1's work by preempting it or
 * racing it from another VP (VTL0 test kernel, EL1 of VTL0): a trustlet's
 * run budget while VTL0 holds its call, two VPs changing one page's
 * protection at once, and another VP's change aimed inside a protect, a
 * copy out and a trustlet load (the secure kernel's critical sections). */
#include <stddef.h>
#include <string.h>
#include "openvbs/trustlet.h"
#include "smp_tests.h"
#include "vsm_tests.h"

/* ---- A trustlet's budget and VTL0's preemption -----------------------------
 * The echo trustlet's ECHO_SPIN never answers, so the secure kernel kills it
 * when its run budget (TL_RUN_BUDGET_MS of VTL1's timer) is spent. VTL0 preempts the
 * call early and keeps it waiting for 100 ms before resuming: that wait is
 * VTL0's, and must not count against the trustlet (the hypervisor reports it
 * in the VP assist's preempted_ticks, sk/trustlet.c budget_left). So the
 * whole call lasts at least the wait plus most of the budget. */
#define BUDGET_TICKS   (TICKS_PER_SECOND * TL_RUN_BUDGET_MS / 1000)
#define HOLD_TICKS     6250000ull /* 100 ms in VTL0's handler */
#define ECHO_ID_BUDGET 0x0ec40001ull
#define ECHO_SPIN_CMD  2

static void hold_in_handler(void)
{
    if (!irq_hit_in_call)
        return;
    uint64_t until = ticks_now() + HOLD_TICKS;
    while (ticks_now() < until)
        ;
}

bool t_tl_budget_excludes_preemption(void)
{
    uint64_t instance = smp_load_echo();
    uint64_t session = instance ? tl_open_session(ECHO_ID_BUDGET) : 0;
    if (!session) {
        if (instance)
            vcall(SC_TL_UNLOAD, instance, 0, 0);
        return note(false, "could not load the echo trustlet");
    }
    static struct tl_out out;
    static uint8_t reply[16];
    out.buf = pa(reply);
    out.max = sizeof(reply);
    bool hit = false;
    uint64_t took = 0;
    struct hv_result r = { 0 };
    for (unsigned attempt = 0; attempt < 3 && !hit; attempt++) {
        uint64_t io[7] = { OVBS_VTL_CALL, SC_TL_INVOKE, session, ECHO_SPIN_CMD, 0, 0, pa(&out) };
        uint64_t t0 = ticks_now();
        r = vcall_with_timer_io(BUDGET_TICKS / 10, hold_in_handler, &hit, io);
        took = ticks_now() - t0;
        if (!hit) { /* killed before the timer came: a new instance, try again */
            vcall(SC_TL_UNLOAD, instance, 0, 0);
            instance = smp_load_echo();
            session = instance ? tl_open_session(ECHO_ID_BUDGET) : 0;
        }
    }
    if (instance)
        vcall(SC_TL_UNLOAD, instance, 0, 0);
    kprintf("    spinning trustlet preempted and held %llu ms by VTL0: the call took %lu ms "
            "(status %ld, trustlet status %ld)\n", HOLD_TICKS / 62500, took / 62500, (long)r.x0,
            (long)r.x1);
    return note(hit && took >= HOLD_TICKS + BUDGET_TICKS * 9 / 10,
                "the time VTL0 holds a preempted trustlet call does not count against its budget");
}

/* ---- Two VPs change one page's protection at once ---------------------------
 * Round after round, CPUs 1 and 2 ask for the same page at the same moment,
 * one read-only, the other read-write. Whichever wins, the secure kernel's
 * record (SC_QUERY) and what stage 2 lets VTL0 do (a store, with fault
 * recovery) must agree afterwards: the check, the hypercall and the record
 * are one critical section (sk/protect.c). A page VTL1 believes read-only
 * but VTL0 can write is what a race there gives. */
#define RACE_ROUNDS 300
static uint8_t race_page[4096] __attribute__((aligned(4096)));
static struct barrier race_barrier;

static uint64_t race_protect(uint64_t mask)
{
    uint64_t failed = 0;
    for (unsigned round = 0; round < RACE_ROUNDS; round++) {
        barrier_wait(&race_barrier, 3);
        failed += vcall(SC_PROTECT, pa(race_page), 1, mask).x0 != HV_STATUS_SUCCESS;
        barrier_wait(&race_barrier, 3);
        barrier_wait(&race_barrier, 3); /* CPU 0 checks in between */
    }
    return failed;
}

bool t_smp_protect_race(void)
{
    if (!need_cpus())
        return false;
    race_barrier = (struct barrier){ 0, 0 };
    smp_post(1, race_protect, OVBS_ACC_R);
    smp_post(2, race_protect, OVBS_ACC_RWX);
    unsigned disagree = 0, writable_but_readonly = 0, won_r = 0;
    for (unsigned round = 0; round < RACE_ROUNDS; round++) {
        barrier_wait(&race_barrier, 3);
        barrier_wait(&race_barrier, 3);
        struct hv_result q = vcall(SC_QUERY, pa(race_page), 0, 0);
        bool vtl1_writable = q.x0 == HV_STATUS_SUCCESS && (q.x1 & OVBS_ACC_W);
        bool writable = store_marker(pa(race_page));
        won_r += !vtl1_writable;
        disagree += writable != vtl1_writable;
        writable_but_readonly += writable && !vtl1_writable;
        barrier_wait(&race_barrier, 3);
    }
    uint64_t failed1 = ~0ull, failed2 = ~0ull;
    bool ran = smp_wait(1, 60 * TICKS_PER_SECOND, &failed1) &&
               smp_wait(2, 60 * TICKS_PER_SECOND, &failed2);
    vcall(SC_PROTECT, pa(race_page), 1, OVBS_ACC_RWX);
    kprintf("    %u rounds of read-only vs read-write at once: read-only won %u; VTL1's record "
            "and stage 2 disagreed %u times (%u writable while VTL1 said read-only); failed "
            "calls %lu, %lu\n", RACE_ROUNDS, won_r, disagree, writable_but_readonly, failed1,
            failed2);
    return note(ran && failed1 == 0 && failed2 == 0 && disagree == 0,
                "two VPs changing one page at once: VTL1's record always matches stage 2");
}

/* ---- Aimed races: another VP's change inside one VP's critical section -----
 * The three tests below stop VP0's secure call with VTL0's timer at offsets
 * spread over the call and, from the interrupt (the call preempted, VTL0
 * running on VP0), have VP1 make the conflicting change to completion
 * before VP0's call resumes. The secure kernel lets the hypervisor preempt
 * a call only outside its critical sections (sk_lock marks them in the VP
 * assist; the hypervisor defers the interrupt to the unlock's yield), so
 * VP1's change lands wholly before or wholly after each section. Without
 * the lock there, the same interrupt stops VP0 inside the section, and the
 * change lands in the middle of a check and the step it allowed. */

/* The shortest of a few runs of one secure call, in ticks of VTL0's timer:
 * the span the timer offsets are spread over. */
static uint64_t call_span(uint64_t service, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t best = ~0ull;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t t0 = ticks_now();
        vcall(service, a, b, c);
        uint64_t took = ticks_now() - t0;
        best = took < best ? took : best;
    }
    return best > 1 ? best : 2;
}

/* ---- A protect preempted between its hypercall and its record --------------
 * VP0 makes 512 pages read-only (SC_PROTECT, sk/protect.c apply: check,
 * the hypervisor's MODIFY_VTL_PROTECTION_MASK, then the secure kernel's
 * record); from the interrupt VP1 makes the first of them read-write. A
 * timer that expires while VP0 is at EL2 in the long hypercall is taken at
 * the first VTL1 instruction after it, before the record: outside
 * vtl0_lock that preemption comes right there, and VP0's record then
 * overwrites VP1's with "read-only" while stage 2 keeps VP1's read-write.
 * Afterwards VTL1's record (SC_QUERY) and a store (with fault recovery)
 * must agree. */
#define RECORD_ROUNDS 400
#define RECORD_PAGES  512
static volatile unsigned record_hooks;

static void writable_from_vp1(void)
{
    if (!irq_hit_in_call)
        return; /* VP0's call had returned already: nothing to race */
    record_hooks++;
    smp_run(1, protect_writable, sweep_pages(), NULL);
}

bool t_smp_protect_record_race(void)
{
    if (!need_cpus())
        return false;
    uint64_t top = sweep_pages();
    uint64_t span = call_span(SC_PROTECT, top, RECORD_PAGES, OVBS_ACC_RWX);
    unsigned disagree = 0, failed = 0, in_section = 0, round = 0;
    record_hooks = 0;
    for (; round < RECORD_ROUNDS && !disagree; round++) {
        failed += vcall(SC_PROTECT, top, RECORD_PAGES, OVBS_ACC_RWX).x0 != HV_STATUS_SUCCESS;
        struct vp_stats before = vp_stats(0);
        bool hit = false;
        struct hv_result r = vcall_with_timer(1 + (round * 97u) % span, writable_from_vp1, &hit,
                                              SC_PROTECT, top, RECORD_PAGES, OVBS_ACC_R, 0);
        failed += r.x0 != HV_STATUS_SUCCESS;
        in_section += hit && vp_stats(0).deferred != before.deferred;
        struct hv_result q = vcall(SC_QUERY, top, 0, 0);
        bool vtl1_writable = q.x0 == HV_STATUS_SUCCESS && (q.x1 & OVBS_ACC_W);
        disagree += store_marker(top) != vtl1_writable;
    }
    vcall(SC_PROTECT, top, RECORD_PAGES, OVBS_ACC_RWX);
    kprintf("    %u rounds (call %lu ticks): VP1 protected while VP0's call was preempted %u "
            "times, %u of them deferred out of its critical section; VTL1's record and stage 2 "
            "disagreed %u times; %u calls failed\n", round, span, record_hooks, in_section,
            disagree, failed);
    return note(failed == 0 && disagree == 0 && in_section > 0,
                "a protect preempted with another VP's protect of its page in between: VTL1's "
                "record still matches stage 2");
}

/* ---- A copy out preempted between its check and its last byte --------------
 * VP0's SC_QUERY_RANGE copies 4096 state bytes out to a reply that ends
 * 4033 bytes into a second page, byte by byte (the reply is not 8-byte
 * aligned: sk/vtl0mem.c vtl0_copy_out's memcpy then takes ~16,000
 * instructions); from the interrupt VP1 makes that second page read-only
 * and VP0 notes what it holds. Once VP1's SC_PROTECT returned, VTL1 must
 * not write the page: either VP0's copy was refused (the protect came
 * first) or it had ended before. Outside vtl0_lock the copy goes on after
 * the protect. A read-only protect rather than a lock: the check is the
 * same, and the pages can be made writable again for the next round. */
#define COPY_ROUNDS 400
#define COPY_OFFSET 63 /* reply bytes on the first page */
static uint8_t copy_pages[2][4096] __attribute__((aligned(4096)));
static uint8_t copy_seen[4096];
static volatile bool copy_protected;
static volatile unsigned copy_hooks;

static void read_only_from_vp1(void)
{
    if (!irq_hit_in_call)
        return;
    copy_hooks++;
    uint64_t status = ~0ull;
    smp_run(1, protect_read_only, pa(copy_pages[1]), &status);
    memcpy(copy_seen, copy_pages[1], sizeof(copy_seen));
    copy_protected = status == HV_STATUS_SUCCESS;
}

bool t_smp_copy_out_race(void)
{
    if (!need_cpus())
        return false;
    uint64_t src = vtl0_ram_base, out = pa(copy_pages[1]) - COPY_OFFSET;
    uint64_t span = call_span(SC_QUERY_RANGE, src, 4096, out);
    unsigned written_after = 0, protected = 0, refused = 0, round = 0;
    copy_hooks = 0;
    for (; round < COPY_ROUNDS && !written_after; round++) {
        vcall(SC_PROTECT, pa(copy_pages), 2, OVBS_ACC_RWX);
        memset(copy_pages, 0xaa, sizeof(copy_pages));
        copy_protected = false;
        bool hit = false;
        uint64_t io[7] = { OVBS_VTL_CALL, SC_QUERY_RANGE, src, 4096, out, 0, 0 };
        struct hv_result r = vcall_with_timer_io(1 + (round * 97u) % span, read_only_from_vp1,
                                                 &hit, io);
        if (!copy_protected)
            continue;
        protected++;
        refused += r.x0 == HV_STATUS_ACCESS_DENIED;
        written_after += memcmp(copy_pages[1], copy_seen, sizeof(copy_seen)) != 0;
    }
    vcall(SC_PROTECT, pa(copy_pages), 2, OVBS_ACC_RWX);
    kprintf("    %u rounds (call %lu ticks): VP1 made the reply's page read-only while VP0's "
            "copy was preempted %u times (%u of those copies refused); VTL1 wrote it after "
            "that %u times\n", round, span, protected, refused, written_after);
    return note(protected > 0 && refused > 0 && written_after == 0,
                "a copy out preempted while another VP makes its page read-only: VTL1 never "
                "writes the page after that protect returned");
}

/* ---- A rollback between a load's two checks -----------------------------------
 * A load checks the rollback floor once after the signature (check_image)
 * and again at install, under tl_lock (sk/trustlet.c): a newer version
 * installed by another VP in between must still refuse the older one. VP0
 * loads echo v2; when the timer stops it between its first check and its
 * install (its slot is claimed then: SC_TL_INFO says HV_STATUS_BUSY), VP1
 * loads echo v3 to completion, and VP0's load must end TL_ST_ROLLBACK.
 * Stopped elsewhere, VP1 does nothing, v2 is unloaded and the next offset
 * tried. Once v3 ran the floor stays at 3 for the boot, so the test needs a
 * boot in which no echo v3 has loaded yet (tests/qemu/test_smp.py gives it
 * one; `smp all` leaves it out). */
#define ROLLBACK_ATTEMPTS 64
#define TL_SLOTS          4 /* the secure kernel's MAX_INSTANCES */
extern const uint8_t tl_echo_start[], tl_echo_end[];
extern const uint8_t tl_echo_v2_start[], tl_echo_v2_end[];
static volatile uint64_t newer_status, newer_handle;
static volatile bool newer_tried;

static struct hv_result load_image(const uint8_t *start, const uint8_t *end)
{
    return vcall(SC_TL_LOAD, pa(start), (uint64_t)(end - start), 0);
}

/* VP1: load v3 if VP0's load has claimed its slot (is past its first check
 * and not yet installed). */
static uint64_t newer_if_claimed(uint64_t unused)
{
    (void)unused;
    bool claimed = false;
    for (uint64_t h = 1; h <= TL_SLOTS; h++)
        claimed |= vcall(SC_TL_INFO, h, 0, 0).x0 == HV_STATUS_BUSY;
    if (!claimed)
        return 0;
    struct hv_result r = load_image(tl_echo_start, tl_echo_end);
    newer_status = r.x0;
    newer_handle = r.x1;
    return 1;
}

static void newer_from_vp1(void)
{
    uint64_t tried = 0;
    if (irq_hit_in_call && smp_run(1, newer_if_claimed, 0, &tried))
        newer_tried = tried != 0;
}

bool t_smp_rollback_race(void)
{
    if (!need_cpus())
        return false;
    struct hv_result r = { 0 };
    uint64_t span = ~0ull;
    for (unsigned i = 0; i < 3; i++) { /* the shortest of a few: the first runs cold */
        uint64_t t0 = ticks_now();
        r = load_image(tl_echo_v2_start, tl_echo_v2_end);
        uint64_t took = ticks_now() - t0;
        span = took < span ? took : span;
        if (r.x0 != HV_STATUS_SUCCESS)
            return note(false, "echo v2 does not load here: the test needs a boot in which no "
                               "newer echo has loaded (run it alone, `smp smp_rollback_race`)");
        vcall(SC_TL_UNLOAD, r.x1, 0, 0);
    }
    newer_tried = false;
    newer_status = ~0ull;
    unsigned attempt = 0;
    /* The window is at the load's end: offsets from there backwards. */
    for (; attempt < ROLLBACK_ATTEMPTS && !newer_tried; attempt++) {
        bool hit = false;
        uint64_t io[7] = { OVBS_VTL_CALL, SC_TL_LOAD, pa(tl_echo_v2_start),
                           (uint64_t)(tl_echo_v2_end - tl_echo_v2_start), 0, 0, 0 };
        uint64_t back = span * (attempt + 1) / (2 * ROLLBACK_ATTEMPTS);
        r = vcall_with_timer_io(span - back, newer_from_vp1, &hit, io);
        if (!newer_tried && r.x0 == HV_STATUS_SUCCESS)
            vcall(SC_TL_UNLOAD, r.x1, 0, 0);
    }
    if (newer_tried && newer_status == HV_STATUS_SUCCESS)
        vcall(SC_TL_UNLOAD, newer_handle, 0, 0);
    if (newer_tried && r.x0 == HV_STATUS_SUCCESS)
        vcall(SC_TL_UNLOAD, r.x1, 0, 0);
    kprintf("    load of echo v2 (%lu ticks) stopped between its checks after %u attempts: %s; "
            "v3 on VP1 meanwhile: 0x%lx; v2's load then: 0x%lx (rollback: 0x%x)\n", span, attempt,
            newer_tried ? "yes" : "no", newer_status, r.x0, TL_ST_ROLLBACK);
    return note(newer_tried && newer_status == HV_STATUS_SUCCESS && r.x0 == TL_ST_ROLLBACK,
                "an older version whose load passed its first check while another VP "
                "installed a newer one: refused at install");
}
