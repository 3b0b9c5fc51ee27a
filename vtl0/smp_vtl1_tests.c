/* smp_vtl1_tests.c: multiprocessor tests of how VTL1 behaves under
 * preemption and moves between VPs (VTL0 test kernel, EL1 of VTL0): the
 * secure kernel's critical sections defer VTL0's interrupts and then yield
 * (docs/smp.md, docs/sk-smp.md), and a trustlet's FP/SIMD state follows it
 * from one VP to another. */
#include <string.h>
#include "openvbs/regspy.h"
#include "openvbs/trustlet.h"
#include "smp_tests.h"
#include "vsm_tests.h"

extern const uint8_t tl_regspy_a_start[], tl_regspy_a_end[];

/* ---- Deferred preemption --------------------------------------------------
 * One CPU makes protection changes of many pages (most of such a call is a
 * critical section of the secure kernel: its VTL0 state and the hypercall)
 * with its virtual timer armed at varying points inside the call; another
 * CPU makes protection changes of its own pages meanwhile. The hypervisor
 * must defer the interrupts that land in a critical section (its deferral
 * counter for the VP rises), the secure kernel must yield once it leaves
 * the section (the yield counter rises, never past the deferrals), every
 * call must complete, and the other CPU must never wait for a VP that VTL0
 * was handed in the middle of a critical section. */
#define DEFER_PAGES     64
#define DEFER_MAX_CALLS 3000 /* the run stops once DEFER_ENOUGH deferrals were seen */
#define DEFER_ENOUGH    4
static uint8_t defer_pages[2][DEFER_PAGES][4096] __attribute__((aligned(4096)));

struct vp_counters {
    uint64_t preemptions, yields, deferrals;
};

static struct vp_counters vp_counters(unsigned vp)
{
    struct hv_result r = hvc(OVBS_HV_VP_STATS, vp, 0, 0);
    return (struct vp_counters){ r.x2 & 0xffffffffu, r.x2 >> 32, r.x3 };
}

static volatile bool defer_stop;
static volatile uint64_t defer_other_calls, defer_other_failed;

/* CPU 2: protection changes of its own pages until told to stop. */
static uint64_t defer_other(uint64_t unused)
{
    (void)unused;
    for (uint64_t i = 0; !defer_stop; i++) {
        uint64_t mask = (i & 1) ? OVBS_ACC_RWX : OVBS_ACC_R;
        if (vcall(SC_PROTECT, pa(defer_pages[1]), DEFER_PAGES, mask).x0 != HV_STATUS_SUCCESS)
            defer_other_failed++;
        defer_other_calls++;
        this_cpu()->progress++;
    }
    vcall(SC_PROTECT, pa(defer_pages[1]), DEFER_PAGES, OVBS_ACC_RWX);
    return 0;
}

static volatile unsigned defer_calls;

/* CPU 1: the timed protection changes, until DEFER_ENOUGH of them had an
 * interrupt deferred (or DEFER_MAX_CALLS were made: where the timer lands
 * depends on the host); returns how many failed. */
static uint64_t defer_timed(uint64_t deferrals_before)
{
    uint64_t failed = 0, x = 0x2545f4914f6cdd1dull;
    defer_calls = 0;
    for (unsigned i = 0; i < DEFER_MAX_CALLS; i++) {
        if (i % 16 == 0 && vp_counters(1).deferrals - deferrals_before >= DEFER_ENOUGH)
            break;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bool hit;
        uint64_t mask = (i & 1) ? OVBS_ACC_RWX : OVBS_ACC_R;
        struct hv_result r = vcall_with_timer(1 + x % 4000, NULL, &hit, SC_PROTECT,
                                              pa(defer_pages[0]), DEFER_PAGES, mask, 0);
        failed += r.x0 != HV_STATUS_SUCCESS;
        defer_calls++;
        this_cpu()->progress++;
    }
    vcall(SC_PROTECT, pa(defer_pages[0]), DEFER_PAGES, OVBS_ACC_RWX);
    return failed;
}

struct defer_result {
    bool ran;
    uint64_t failed, other_calls, other_failed;
    struct vp_counters before, after;
};

static void defer_run(struct defer_result *d)
{
    d->before = vp_counters(1);
    defer_stop = false;
    defer_other_calls = defer_other_failed = 0;
    smp_post(2, defer_other, 0);
    d->failed = ~0ull;
    d->ran = smp_run(1, defer_timed, d->before.deferrals, &d->failed);
    defer_stop = true;
    d->ran &= smp_wait(2, 60 * TICKS_PER_SECOND, NULL);
    d->after = vp_counters(1);
    d->other_calls = defer_other_calls;
    d->other_failed = defer_other_failed;
    kprintf("    VP 1: %u timed calls, %lu failed; preemptions %lu, deferred %lu, yields %lu; "
            "CPU 2 meanwhile: %lu calls, %lu failed\n", defer_calls, d->failed,
            d->after.preemptions - d->before.preemptions,
            d->after.deferrals - d->before.deferrals, d->after.yields - d->before.yields,
            d->other_calls, d->other_failed);
}

static bool defer_completed(const struct defer_result *d)
{
    return d->ran && d->failed == 0 && d->other_calls > 0 && d->other_failed == 0;
}

/* The interrupts that hit a critical section were deferred, not taken
 * there: with a VP preempted inside one, the other CPU would wait for it. */
bool t_smp_preempt_lock_holder(void)
{
    if (!need_cpus())
        return false;
    struct defer_result d;
    defer_run(&d);
    uint64_t deferred = d.after.deferrals - d.before.deferrals;
    return note(defer_completed(&d) && deferred > 0,
                "interrupts for VTL0 inside VTL1's critical sections are deferred; every call "
                "on both CPUs completed");
}

/* Each deferral ends in a yield as soon as the section is left, not when
 * the whole call ends; the yields are preemptions like any other. */
bool t_smp_deferred_yield(void)
{
    if (!need_cpus())
        return false;
    struct defer_result d;
    defer_run(&d);
    uint64_t deferred = d.after.deferrals - d.before.deferrals;
    uint64_t yields = d.after.yields - d.before.yields;
    uint64_t preempted = d.after.preemptions - d.before.preemptions;
    return note(defer_completed(&d) && yields > 0 && yields <= deferred && yields <= preempted,
                "VTL1 yields once it leaves the critical section an interrupt was deferred in");
}

/* ---- A trustlet's FP/SIMD state across VPs --------------------------------
 * The hostile regspy trustlet plants a pattern in q0-q31, FPSR, FPCR and
 * TPIDR_EL0 on CPU 0; the same instance, invoked next from CPU 1, must find
 * exactly that pattern (its registers followed it, nothing of CPU 1's last
 * user came in), and the same again back on CPU 0 after CPU 2 planted a
 * new one. */
static struct regspy_dump fp_dumps[MAX_CPUS];
static struct tl_out fp_outs[MAX_CPUS];
static uint64_t fp_session;

static uint64_t fp_plant(uint64_t marker)
{
    return tl_invoke(fp_session, REGSPY_PLANT, &marker, sizeof(marker)).x0;
}

static uint64_t fp_dump(uint64_t unused)
{
    (void)unused;
    unsigned me = this_cpu()->index;
    fp_outs[me].buf = pa(&fp_dumps[me]);
    fp_outs[me].max = sizeof(fp_dumps[me]);
    struct hv_result r = hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, fp_session, REGSPY_DUMP, pa(""), 0,
                              pa(&fp_outs[me]));
    return r.x0 == HV_STATUS_SUCCESS && r.x1 == 0 && r.x2 == sizeof(struct regspy_dump);
}

static uint64_t fp_plant_here(uint64_t marker)
{
    unsigned me = this_cpu()->index;
    fp_outs[me].buf = pa(&fp_dumps[me]);
    fp_outs[me].max = sizeof(fp_dumps[me]);
    struct hv_result r = hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, fp_session, REGSPY_PLANT,
                              pa(&marker), sizeof(marker), pa(&fp_outs[me]));
    return r.x0 == HV_STATUS_SUCCESS && r.x1 == 0;
}

static bool fp_is(const struct regspy_dump *d, uint64_t marker)
{
    struct regspy_dump want;
    regspy_pattern(marker, &want);
    return !memcmp(d, &want, sizeof(want));
}

bool t_smp_tl_fp(void)
{
    if (!need_cpus())
        return false;
    const uint64_t m0 = 0xf0f0000000000001ull, m2 = 0xf2f2000000000002ull;
    struct hv_result l = vcall(SC_TL_LOAD, pa(tl_regspy_a_start),
                               (uint64_t)(tl_regspy_a_end - tl_regspy_a_start), 0);
    uint64_t handle = l.x0 == HV_STATUS_SUCCESS ? l.x1 : 0;
    fp_session = handle ? tl_open_session(REGSPY_A_ID) : 0;
    bool loaded = fp_session != 0;
    uint64_t planted0 = 0, dumped1 = 0, planted2 = 0, dumped0 = 0;
    if (loaded) {
        planted0 = fp_plant(m0) == HV_STATUS_SUCCESS;
        smp_run(1, fp_dump, 0, &dumped1);
        smp_run(2, fp_plant_here, m2, &planted2);
        dumped0 = fp_dump(0);
    }
    bool on1 = dumped1 && fp_is(&fp_dumps[1], m0);
    bool on0 = dumped0 && fp_is(&fp_dumps[0], m2);
    if (handle)
        vcall(SC_TL_UNLOAD, handle, 0, 0);
    kprintf("    planted on CPU 0 %lu, CPU 1 sees it %d; planted on CPU 2 %lu, CPU 0 sees it %d\n",
            planted0, on1, planted2, on0);
    return note(loaded && planted0 && planted2 && on1 && on0,
                "a trustlet's FP/SIMD registers follow it from VP to VP, nobody else's come in");
}

/* ---- CPU_OFF while VTL1 is busy on the VP ----------------------------------
 * CPU 3's secure call (a long SC_SPIN) is preempted by its timer; from the
 * interrupt handler, with the call still preempted, CPU 3 asks to be
 * switched off. The hypervisor must refuse (the preempted call would be
 * lost with the VP's contexts); the call then resumes and completes, and
 * the CPU is still on. */
#define OFF_SPIN   1000000ull
#define OFF_TICKS  31250 /* 500 us */
static volatile uint64_t off_status;

/* Only if the interrupt really stopped the call (its PC is the call's HVC):
 * one that came just after the call returned would find VTL1 idle, and the
 * CPU would rightly go off. */
static void off_from_handler(void)
{
    if (irq_hit_in_call)
        off_status = smc(PSCI_CPU_OFF, 0, 0, 0).x0; /* returns only if refused */
}

static uint64_t off_while_preempted(uint64_t unused)
{
    (void)unused;
    for (unsigned attempt = 0; attempt < 5; attempt++) {
        bool hit = false;
        off_status = ~0ull;
        struct hv_result r = vcall_with_timer(OFF_TICKS, off_from_handler, &hit, SC_SPIN,
                                              OFF_SPIN, 0, 0, 0);
        bool completed = r.x0 == HV_STATUS_SUCCESS && r.x1 == sc_spin_result(OFF_SPIN);
        if (hit)
            return completed ? 1 : 2; /* the handler ran during the call */
    }
    return 3; /* the timer never hit the call: proves nothing */
}

bool t_smp_cpu_off_busy(void)
{
    if (!need_cpus())
        return false;
    uint64_t how = 0;
    bool ran = smp_run(3, off_while_preempted, 0, &how);
    int64_t status = (int64_t)off_status;
    int64_t affinity = (int64_t)smc(PSCI_AFFINITY_INFO_64, cpus[3].mpidr, 0, 0).x0;
    kprintf("    CPU 3: CPU_OFF with its secure call preempted answered %ld; the call %s; "
            "AFFINITY_INFO %ld\n", (long)status,
            !ran ? "never came back" : how == 1 ? "completed" : how == 2 ? "came back WRONG"
                                                                         : "was never hit",
            (long)affinity);
    return note(ran && how == 1 && status == PSCI_RET_DENIED && affinity == 0,
                "CPU_OFF is refused while the VP's secure call is preempted; the call completes");
}
