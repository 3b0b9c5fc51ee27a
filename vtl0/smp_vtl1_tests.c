/* smp_vtl1_tests.c: what VTL0 can do to VTL1's work by preempting it or
 * racing it from another VP (VTL0 test kernel, EL1 of VTL0): a trustlet's
 * run budget while VTL0 holds its call, and two VPs changing one page's
 * protection at once. */
#include <stddef.h>
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
