/* smp_tests.c: the multiprocessor tests of the VTL0 test kernel (EL1 of
 * VTL0, on every CPU): per-CPU checks, TLB shootdown on protection changes,
 * virtual SGIs, CPU_OFF/CPU_ON, and the attacks that need a second CPU
 * (resuming another VP's call, racing VtlReturns, unloading a trustlet in
 * use). Run by the console's `smp` command (tests/qemu/test_smp.py); each
 * fails, never skips, when fewer than four CPUs came up. */
#include <string.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "openvbs/regspy.h"
#include "openvbs/trustlet.h"
#include "smp_tests.h"
#include "vsm_tests.h"

#define NEEDED_CPUS 4
#define PREEMPT_TICKS 31250        /* 500 us: as vsm_tests.c's preemption tests */
#define SPIN_ITERATIONS 1000000ull

/* ---- helpers shared with stress.c ------------------------------------------ */

bool need_cpus(void)
{
    if (cpus_online() >= NEEDED_CPUS)
        return true;
    kprintf("    only %u of %u CPUs came up (CPU_ON refused?): this test needs %u\n",
            cpus_online(), num_cpus, NEEDED_CPUS);
    return note(false, "fewer than 4 CPUs online: the hypervisor started no other CPU");
}

void smp_sev(void)
{
    __asm__ volatile("dsb ish\n sev" ::: "memory");
}

void smp_wfe(void)
{
    __asm__ volatile("wfe" ::: "memory");
}

/* A reusable barrier for `n` CPUs: the last to arrive opens the next
 * generation. */
void barrier_wait(struct barrier *b, unsigned n)
{
    unsigned gen = __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == n) {
        __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->gen, gen + 1, __ATOMIC_RELEASE);
        smp_sev();
        return;
    }
    while (__atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) == gen)
        smp_wfe();
}

/* fn(arg) on the first `n` online CPUs at once (this one included, which
 * must be the boot CPU); results[i] = CPU i's result. False if one did not
 * finish within `timeout` ticks. */
bool run_on_cpus(unsigned n, uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t *results,
                 uint64_t timeout)
{
    unsigned me = this_cpu()->index;
    for (unsigned i = 0; i < n; i++) {
        if (i != me)
            smp_post(i, fn, arg);
    }
    uint64_t mine = fn(arg);
    bool ok = true;
    for (unsigned i = 0; i < n; i++) {
        uint64_t r = mine;
        if (i != me && !smp_wait(i, timeout, &r)) {
            kprintf("    CPU %u did not finish\n", i);
            ok = false;
        }
        if (results)
            results[i] = r;
    }
    return ok;
}

/* Hypervisor (hv) or secure-kernel (sk) intercept records from sequence
 * `from` on for the page `gpa`: *seen of them the ring still holds, *wrong
 * of those with a VP field other than `vp`. */
struct ev_check {
    unsigned seen, wrong, last_vp;
};

static struct hv_result read_event(bool sk, uint64_t seq)
{
    return sk ? vcall(SC_EVENT_READ, seq, 0, 0) : hvc(OVBS_HV_EVENT_READ, seq, 0, 0);
}

uint64_t event_next(bool sk)
{
    return sk ? vcall(SC_EVENT_COUNT, SK_EV_INTERCEPT, 0, 0).x2
              : hvc(OVBS_HV_EVENT_COUNT, OVBS_EV_INTERCEPT, 0, 0).x2;
}

uint64_t event_count(bool sk, unsigned kind)
{
    return sk ? vcall(SC_EVENT_COUNT, kind, 0, 0).x1 : hvc(OVBS_HV_EVENT_COUNT, kind, 0, 0).x1;
}

static struct ev_check intercepts_for(bool sk, uint64_t from, uint64_t gpa, unsigned vp)
{
    struct ev_check c = { 0, 0, ~0u };
    uint64_t end = event_next(sk);
    for (uint64_t seq = from; seq < end; seq++) {
        struct hv_result r = read_event(sk, seq);
        if (r.x0 == HV_STATUS_EVENT_OVERWRITTEN && r.x1 > seq) {
            seq = r.x1 - 1;
            continue;
        }
        if (r.x0 != HV_STATUS_SUCCESS || (r.x1 & 0xffff) != 0 /* *_EV_INTERCEPT */ ||
            (r.x2 & ~0xfffull) != gpa)
            continue;
        unsigned got = (unsigned)(r.x1 >> OVBS_EV_HDR_VP_SHIFT) & 0xff;
        c.seen++;
        c.last_vp = got;
        c.wrong += got != vp;
    }
    return c;
}

/* ---- per-CPU: the single-CPU tests that mean something on every CPU ---- */

static uint64_t run_test_fn(uint64_t fn)
{
    bool (*test)(void) = (bool (*)(void))(uintptr_t)fn;
    return test();
}

static bool t_smp_per_cpu(void)
{
    if (!need_cpus())
        return false;
    static bool (*const per_cpu[])(void) = {
        t_vtl_call_null, a_vtl1_register_leak, t_intercepts_reach_vtl1, a_write_readonly_page,
        a_stale_tlb,
    };
    static const char *const names[] = {
        "vtl_call_null", "vtl1_register_leak", "intercepts_reach_vtl1", "write_readonly_page",
        "stale_tlb",
    };
    unsigned failed = 0;
    for (unsigned cpu = 0; cpu < NEEDED_CPUS; cpu++) {
        for (unsigned t = 0; t < sizeof(per_cpu) / sizeof(per_cpu[0]); t++) {
            uint64_t ok = 0;
            bool done = smp_run(cpu, run_test_fn, (uint64_t)(uintptr_t)per_cpu[t], &ok);
            if (!done || !ok) {
                kprintf("    CPU %u: %s %s\n", cpu, names[t], done ? "FAILED" : "never finished");
                failed++;
            }
        }
    }
    kprintf("    %u tests on each of %u CPUs, %u failed\n",
            (unsigned)(sizeof(per_cpu) / sizeof(per_cpu[0])), NEEDED_CPUS, failed);
    return note(failed == 0, "VtlCall, register scrub, intercepts, read-only page, stale TLB: "
                             "pass on every CPU");
}

/* Each CPU breaks a protection once: the hypervisor's and the secure
 * kernel's intercept records carry that CPU's VP index, and the abort
 * comes back to that CPU. */
static uint8_t vp_page[4096] __attribute__((aligned(4096)));

static uint64_t write_vp_page(uint64_t unused)
{
    (void)unused;
    unsigned before = this_cpu()->fault.count;
    uint64_t v = probe_store(pa(vp_page), 0x77);
    return v == PROBE_FAULT_VALUE && this_cpu()->fault.count == before + 1 &&
           ISS_FSC(this_cpu()->fault.esr) == FSC_SYNC_EXT_ABORT;
}

static bool t_smp_intercept_vp(void)
{
    if (!need_cpus())
        return false;
    if (vcall(SC_PROTECT, pa(vp_page), 1, OVBS_ACC_R).x0 != HV_STATUS_SUCCESS)
        return note(false, "SC_PROTECT refused");
    bool ok = true;
    for (unsigned cpu = 0; cpu < NEEDED_CPUS; cpu++) {
        uint64_t hv_from = event_next(false), sk_from = event_next(true), aborted = 0;
        bool ran = smp_run(cpu, write_vp_page, 0, &aborted);
        struct ev_check hv = intercepts_for(false, hv_from, pa(vp_page), cpu);
        struct ev_check sk = intercepts_for(true, sk_from, pa(vp_page), cpu);
        kprintf("    CPU %u: abort on that CPU %s, hv record VP %d, sk record VP %d\n", cpu,
                ran && aborted ? "yes" : "NO", (int)hv.last_vp, (int)sk.last_vp);
        ok &= ran && aborted && hv.seen == 1 && !hv.wrong && sk.seen == 1 && !sk.wrong;
    }
    vcall(SC_PROTECT, pa(vp_page), 1, OVBS_ACC_RWX);
    return note(ok, "each CPU's intercept is recorded with its VP index by hv and VTL1, and "
                    "aborts on that CPU");
}

/* ---- TLB shootdown ------------------------------------------------------ */

/* The writer stores an incrementing value to the page until told to stop;
 * once it has seen `armed` (set after the protector's SC_PROTECT returned)
 * it counts its attempts and the ones that faulted, and stops itself after
 * SHOOT_AFTER of them. */
#define SHOOT_WARMUP 200
#define SHOOT_AFTER 300
static uint8_t shoot_page[4096] __attribute__((aligned(4096)));
static volatile uint64_t shoot_warm, shoot_armed, shoot_attempts, shoot_faults;

static uint64_t shoot_writer(uint64_t unused)
{
    (void)unused;
    struct percpu *c = this_cpu();
    uint64_t value = 1;
    for (;;) {
        bool armed = shoot_armed;
        unsigned before = c->fault.count;
        (void)probe_store(pa(shoot_page), value++);
        bool faulted = c->fault.count != before;
        if (!armed) {
            shoot_warm += !faulted;
            continue;
        }
        shoot_attempts++;
        shoot_faults += faulted;
        if (shoot_attempts == SHOOT_AFTER)
            return value;
    }
}

/* The protector: once the writer's TLB surely holds a writable
 * translation (it has stored SHOOT_WARMUP times), make the page read-only;
 * when SC_PROTECT returns, note the value and arm the writer's count.
 * Returns the call's status. */
static volatile uint64_t shoot_frozen;

static uint64_t shoot_protector(uint64_t unused)
{
    (void)unused;
    uint64_t until = ticks_now() + 20 * TICKS_PER_SECOND;
    while (shoot_warm < SHOOT_WARMUP && ticks_now() < until)
        ;
    uint64_t status = vcall(SC_PROTECT, pa(shoot_page), 1, OVBS_ACC_R).x0;
    shoot_frozen = *(volatile uint64_t *)shoot_page;
    shoot_armed = 1;
    smp_sev();
    return status;
}

/* The boot CPU takes one role and CPU 1 the other. */
static bool shoot_run(unsigned writer, uint64_t *status)
{
    unsigned other = 1;
    bool finished;
    if (writer == other) {
        smp_post(other, shoot_writer, 0);
        *status = shoot_protector(0);
        finished = smp_wait(other, 60 * TICKS_PER_SECOND, NULL);
    } else {
        smp_post(other, shoot_protector, 0);
        (void)shoot_writer(0);
        finished = smp_wait(other, 60 * TICKS_PER_SECOND, status);
    }
    return finished;
}

static bool shootdown(unsigned protector, unsigned writer)
{
    if (!need_cpus())
        return false;
    volatile uint64_t *word = (volatile uint64_t *)shoot_page;
    *word = 0;
    shoot_warm = shoot_armed = shoot_attempts = shoot_faults = shoot_frozen = 0;
    uint64_t hv_from = event_next(false), sk_from = event_next(true);
    uint64_t hv_before = event_count(false, OVBS_EV_INTERCEPT);
    uint64_t status = ~0ull;
    bool finished = shoot_run(writer, &status);
    uint64_t frozen = shoot_frozen, later = *word;
    struct ev_check hv = intercepts_for(false, hv_from, pa(shoot_page), writer);
    struct ev_check sk = intercepts_for(true, sk_from, pa(shoot_page), writer);
    uint64_t hv_counted = event_count(false, OVBS_EV_INTERCEPT) - hv_before;
    /* Writable again, from the protector, and the writer's store lands. */
    uint64_t back = ~0ull, stored = 0;
    smp_run(protector, protect_writable, pa(shoot_page), &back);
    smp_run(writer, store_marker, pa(shoot_page), &stored);
    kprintf("    CPU %u protected while CPU %u wrote (%lu stores before): value 0x%lx after the "
            "call, 0x%lx later; %lu of %lu later stores faulted; hv counted %lu intercepts, "
            "ring records %u (%u with another VP), sk records %u (%u)\n",
            protector, writer, (uint64_t)shoot_warm, frozen, later, (uint64_t)shoot_faults,
            (uint64_t)shoot_attempts, hv_counted, hv.seen, hv.wrong, sk.seen, sk.wrong);
    bool ok = status == HV_STATUS_SUCCESS && finished && shoot_warm >= SHOOT_WARMUP &&
              later == frozen && shoot_faults == SHOOT_AFTER && hv_counted >= SHOOT_AFTER &&
              hv.seen > 0 && !hv.wrong && sk.seen > 0 && !sk.wrong && back == HV_STATUS_SUCCESS &&
              stored && *word == STORE_MARKER;
    return note(ok, "after SC_PROTECT returned no store of the other CPU got through: each "
                    "faulted, the value stayed, records name the writer's VP; writable again");
}

uint64_t protect_read_only(uint64_t gpa)
{
    return vcall(SC_PROTECT, gpa, 1, OVBS_ACC_R).x0;
}

uint64_t protect_writable(uint64_t gpa)
{
    return vcall(SC_PROTECT, gpa, 1, OVBS_ACC_RWX).x0;
}

uint64_t store_marker(uint64_t gpa)
{
    return probe_store(gpa, STORE_MARKER) != PROBE_FAULT_VALUE;
}

static bool t_smp_shootdown(void)
{
    return shootdown(0, 1);
}

static bool t_smp_shootdown_reverse(void)
{
    return shootdown(1, 0);
}

/* ---- SGIs ----------------------------------------------------------------- */

/* INTID of the k-th SGI source `cpu` uses: each source has its own three,
 * so a target knows who sent what it acknowledged. */
#define SGIS_PER_SOURCE 3
static unsigned sgi_of(unsigned cpu, unsigned k)
{
    return cpu * SGIS_PER_SOURCE + k;
}

#define STORM_ROUNDS 60
static struct barrier storm_barrier;
static volatile unsigned storm_sent[NEEDED_CPUS][NEEDED_CPUS][SGIS_PER_SOURCE];
static unsigned storm_base[NEEDED_CPUS][16];
static volatile unsigned storm_lost_waits;

/* Wait until `target` acknowledged every SGI `intid` we sent it: a virtual
 * SGI still pending when the same one comes again merges with it (GIC
 * architecture), so sending only acknowledged ones makes every send count. */
static bool wait_acked(unsigned target, unsigned intid, unsigned sent)
{
    uint64_t until = ticks_now() + 20 * TICKS_PER_SECOND;
    while (cpus[target].sgi_count[intid] - storm_base[target][intid] < sent) {
        if (ticks_now() > until)
            return false;
        (void)vcall(SC_NULL, 0, 0, 0); /* VTL switches while waiting */
    }
    return true;
}

static uint64_t storm_cpu(uint64_t unused)
{
    (void)unused;
    unsigned me = this_cpu()->index;
    uint64_t calls_ok = 0;
    irq_enable();
    barrier_wait(&storm_barrier, NEEDED_CPUS);
    for (unsigned round = 0; round < STORM_ROUNDS; round++) {
        for (unsigned t = 0; t < NEEDED_CPUS; t++) {
            for (unsigned k = 0; t != me && k < SGIS_PER_SOURCE; k++) {
                unsigned id = sgi_of(me, k);
                if (!wait_acked(t, id, storm_sent[me][t][k]))
                    storm_lost_waits++;
                sgi_send(id, 1u << t, false);
                storm_sent[me][t][k]++;
            }
        }
        calls_ok += vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS;
    }
    /* Keep taking interrupts until everyone has sent everything. */
    barrier_wait(&storm_barrier, NEEDED_CPUS);
    for (unsigned t = 0; t < NEEDED_CPUS; t++) {
        for (unsigned k = 0; t != me && k < SGIS_PER_SOURCE; k++) {
            if (!wait_acked(t, sgi_of(me, k), storm_sent[me][t][k]))
                storm_lost_waits++;
        }
    }
    barrier_wait(&storm_barrier, NEEDED_CPUS);
    irq_disable();
    return calls_ok;
}

static bool t_smp_ipi_storm(void)
{
    if (!need_cpus())
        return false;
    memset((void *)storm_sent, 0, sizeof(storm_sent));
    storm_lost_waits = 0;
    for (unsigned c = 0; c < NEEDED_CPUS; c++) {
        for (unsigned i = 0; i < 16; i++)
            storm_base[c][i] = cpus[c].sgi_count[i];
    }
    uint64_t calls[NEEDED_CPUS] = { 0 };
    bool finished = run_on_cpus(NEEDED_CPUS, storm_cpu, 0, calls, 120 * TICKS_PER_SECOND);
    unsigned sent = 0, received = 0, mismatched = 0, calls_ok = 0;
    for (unsigned s = 0; s < NEEDED_CPUS; s++) {
        calls_ok += (unsigned)calls[s];
        for (unsigned t = 0; t < NEEDED_CPUS; t++) {
            for (unsigned k = 0; s != t && k < SGIS_PER_SOURCE; k++) {
                unsigned id = sgi_of(s, k);
                unsigned got = cpus[t].sgi_count[id] - storm_base[t][id];
                sent += storm_sent[s][t][k];
                received += got;
                if (got != storm_sent[s][t][k]) {
                    kprintf("    CPU %u -> CPU %u SGI %u: sent %u, acknowledged %u\n", s, t, id,
                            storm_sent[s][t][k], got);
                    mismatched++;
                }
            }
        }
    }
    unsigned own = 0; /* an SGI acknowledged on its own sender: never sent there */
    for (unsigned c = 0; c < NEEDED_CPUS; c++) {
        for (unsigned k = 0; k < SGIS_PER_SOURCE; k++)
            own += cpus[c].sgi_count[sgi_of(c, k)] - storm_base[c][sgi_of(c, k)];
    }
    kprintf("    %u SGIs sent, %u acknowledged, %u (source, target, INTID) mismatched, %u "
            "self-deliveries, %u waits timed out; %u of %u null secure calls succeeded\n",
            sent, received, mismatched, own, storm_lost_waits, calls_ok,
            NEEDED_CPUS * STORM_ROUNDS);
    return note(finished && mismatched == 0 && own == 0 && storm_lost_waits == 0 &&
                    sent == NEEDED_CPUS * (NEEDED_CPUS - 1) * SGIS_PER_SOURCE * STORM_ROUNDS &&
                    calls_ok == NEEDED_CPUS * STORM_ROUNDS,
                "every SGI sent between 4 CPUs doing VTL switches was acknowledged by its "
                "target exactly once");
}

/* Listening: IRQs on, secure calls going, until told to stop. */
static volatile bool listen_stop;

static uint64_t listen(uint64_t unused)
{
    (void)unused;
    irq_enable();
    while (!listen_stop)
        (void)vcall(SC_NULL, 0, 0, 0);
    irq_disable();
    return 0;
}

static bool t_smp_reserved_sgi(void)
{
    if (!need_cpus())
        return false;
    unsigned reserved = OVBS_HV_RESERVED_SGI, control = 13;
    unsigned before_r[NEEDED_CPUS], before_c[NEEDED_CPUS];
    for (unsigned c = 0; c < NEEDED_CPUS; c++) {
        before_r[c] = cpus[c].sgi_count[reserved];
        before_c[c] = cpus[c].sgi_count[control];
    }
    uint64_t refused = event_count(false, OVBS_EV_SGI_REFUSED);
    uint64_t seq = hvc(OVBS_HV_EVENT_COUNT, OVBS_EV_SGI_REFUSED, 0, 0).x2;
    listen_stop = false;
    for (unsigned c = 1; c < NEEDED_CPUS; c++)
        smp_post(c, listen, 0);
    sgi_send(reserved, 0xe, false);        /* three writes, CPUs 1..3 */
    sgi_send(reserved, 0, true);           /* one, IRM: all but us */
    sgi_send(control, 0, true);            /* the same with an SGI VTL0 may use */
    uint64_t until = ticks_now() + TICKS_PER_SECOND / 10;
    while (ticks_now() < until)
        (void)vcall(SC_NULL, 0, 0, 0);
    for (unsigned c = 1; c < NEEDED_CPUS; c++) {
        uint64_t t = ticks_now() + 10 * TICKS_PER_SECOND;
        while (cpus[c].sgi_count[control] == before_c[c] && ticks_now() < t)
            ;
    }
    listen_stop = true;
    smp_sev();
    bool stopped = true;
    for (unsigned c = 1; c < NEEDED_CPUS; c++)
        stopped &= smp_wait(c, 10 * TICKS_PER_SECOND, NULL);
    unsigned got_reserved = 0, got_control = 0;
    for (unsigned c = 0; c < NEEDED_CPUS; c++) {
        got_reserved += cpus[c].sgi_count[reserved] - before_r[c];
        got_control += cpus[c].sgi_count[control] - before_c[c];
    }
    uint64_t counted = event_count(false, OVBS_EV_SGI_REFUSED) - refused;
    /* The records: a = the ICC_SGI1R_EL1 value (INTID 15), b = 1. */
    unsigned good_records = 0;
    for (uint64_t s = seq; s < seq + counted; s++) {
        struct hv_result r = hvc(OVBS_HV_EVENT_READ, s, 0, 0);
        good_records += r.x0 == HV_STATUS_SUCCESS && (r.x1 & 0xffff) == OVBS_EV_SGI_REFUSED &&
                        ((r.x2 >> 24) & 0xf) == reserved && r.x3 == 1;
    }
    kprintf("    SGI 15: received %u times, refused %lu times (%u records as expected); "
            "SGI 13 to all others: received %u times\n", got_reserved, counted, good_records,
            got_control);
    return note(stopped && got_reserved == 0 && counted == 4 && good_records == 4 &&
                    got_control == NEEDED_CPUS - 1,
                "SGI 15 (the hypervisor's) reaches no CPU and each write is counted as "
                "OVBS_EV_SGI_REFUSED; SGI 13 reaches all others");
}

/* ---- CPU_OFF / CPU_ON --------------------------------------------------- */

static uint64_t cpu_off(uint64_t unused)
{
    (void)unused;
    this_cpu()->online = false;
    smp_sev();
    return smc(PSCI_CPU_OFF, 0, 0, 0).x0; /* only if refused */
}

static uint64_t null_call(uint64_t unused)
{
    (void)unused;
    return vcall(SC_NULL, 0, 0, 0).x0;
}

static int64_t affinity(unsigned cpu)
{
    return (int64_t)smc(PSCI_AFFINITY_INFO_64, cpus[cpu].mpidr, 0, 0).x0;
}

static bool t_smp_cpu_off_on(void)
{
    if (!need_cpus())
        return false;
    const unsigned cpu = 3;
    smp_post(cpu, cpu_off, 0);
    uint64_t until = ticks_now() + 20 * TICKS_PER_SECOND;
    while (affinity(cpu) != 1 && ticks_now() < until)
        ;
    int64_t off = affinity(cpu);
    uint64_t refused = 0;
    bool returned = smp_wait(cpu, 0, &refused); /* CPU_OFF never returns */
    /* While it is off: entries that are not 4-byte aligned VTL0 RAM. */
    extern char secondary_start[];
    uint64_t hv = owned_base(OWNER_HV, false, NULL);
    int64_t misaligned = (int64_t)smc(PSCI_CPU_ON_64, cpus[cpu].mpidr, pa(secondary_start) + 2,
                                      pa(&cpus[cpu])).x0;
    int64_t in_hv = (int64_t)smc(PSCI_CPU_ON_64, cpus[cpu].mpidr, hv, 0).x0;
    int64_t unknown = (int64_t)smc(PSCI_CPU_ON_64, 0xff, pa(secondary_start), 0).x0;
    bool still_off = affinity(cpu) == 1;
    int64_t on = smp_cpu_on(cpu);
    until = ticks_now() + 20 * TICKS_PER_SECOND;
    while (!cpus[cpu].online && ticks_now() < until)
        ;
    int64_t again = smp_cpu_on(cpu);
    uint64_t call = ~0ull;
    bool ran = smp_run(cpu, null_call, 0, &call);
    int64_t now = affinity(cpu);
    kprintf("    CPU %u: AFFINITY_INFO after CPU_OFF %ld (CPU_OFF %s), CPU_ON %ld, again %ld, "
            "secure call on it %ld, AFFINITY_INFO %ld\n", cpu, (long)off,
            returned ? "RETURNED" : "did not return", (long)on, (long)again, (long)call,
            (long)now);
    kprintf("    while off: CPU_ON at a misaligned entry %ld, at hypervisor memory %ld, of an "
            "unknown MPIDR %ld; still off %d\n", (long)misaligned, (long)in_hv, (long)unknown,
            still_off);
    bool refused_bad = misaligned == PSCI_RET_INVALID_PARAMS && in_hv == PSCI_RET_INVALID_PARAMS &&
                       unknown == PSCI_RET_INVALID_PARAMS && still_off;
    return note(off == 1 && !returned && refused_bad && on == PSCI_RET_SUCCESS && cpus[cpu].online &&
                    again == PSCI_RET_ALREADY_ON && ran && call == HV_STATUS_SUCCESS && now == 0,
                "CPU 3 went off by CPU_OFF (AFFINITY_INFO OFF), came back by CPU_ON and makes "
                "secure calls");
}

/* The CPUs past what the secure kernel enables (it enables four VPs): a
 * boot with -smp 6 (test_smp.py) must refuse CPU_ON for them with DENIED
 * and go on. */
static bool t_smp_cpu_on_unenabled(void)
{
    if (!need_cpus())
        return false;
    if (num_cpus <= NEEDED_CPUS)
        return note(false, "needs more than 4 CPUs in the device tree (QEMU -smp 6)");
    bool ok = true;
    for (unsigned cpu = NEEDED_CPUS; cpu < num_cpus; cpu++) {
        int64_t st = smp_cpu_on(cpu);
        int64_t aff = affinity(cpu);
        kprintf("    CPU %u (MPIDR 0x%lx): CPU_ON %ld, AFFINITY_INFO %ld, online %d\n", cpu,
                cpus[cpu].mpidr, (long)st, (long)aff, cpus[cpu].online);
        ok &= st == PSCI_RET_DENIED && aff == 1 && !cpus[cpu].online;
    }
    uint64_t call = ~0ull;
    ok &= smp_run(NEEDED_CPUS - 1, null_call, 0, &call) && call == HV_STATUS_SUCCESS;
    return note(ok, "CPU_ON of a CPU whose VP the secure kernel did not enable: DENIED, the "
                    "others keep working");
}

/* ---- Attacks ---------------------------------------------------------- */

/* VP0's SC_SPIN is preempted by VP0's timer; from the interrupt VP1 makes
 * a VtlCall from the same HVC with the same SP (vtl0_vcall_same_pc). VP1
 * must get its own call's result (its own VTL1 context), never VP0's; VP0
 * resumes and gets its own. */
#define OTHER_ITERATIONS 1000ull
static volatile uint64_t other_status, other_value, other_pc_status;
static volatile bool other_done;

static uint64_t same_pc_call(uint64_t sp)
{
    uint64_t io[7] = { OVBS_VTL_CALL, SC_SPIN, OTHER_ITERATIONS, 0, 0, 0, 0 };
    vtl0_vcall_same_pc(sp, io);
    other_status = io[0];
    other_value = io[1];
    other_pc_status = vtl0_vcall_at_sp(sp, SC_NULL);
    return 0;
}

static void resume_from_vp1(void)
{
    uint64_t sp = vtl0_timed_sp;
    other_done = smp_run(1, same_pc_call, sp, NULL);
}

static bool t_smp_resume_other_vp(void)
{
    if (!need_cpus())
        return false;
    bool hit = false;
    struct hv_result r = { 0 };
    for (int attempt = 0; attempt < 5 && !hit; attempt++) {
        other_status = other_value = other_pc_status = ~0ull;
        other_done = false;
        r = vcall_with_timer(PREEMPT_TICKS, resume_from_vp1, &hit, SC_SPIN, SPIN_ITERATIONS, 0,
                             0, 0);
    }
    bool vp1_own = other_done && other_status == HV_STATUS_SUCCESS &&
                   other_value == sc_spin_result(OTHER_ITERATIONS) &&
                   other_pc_status == HV_STATUS_SUCCESS;
    bool vp0_own = r.x0 == HV_STATUS_SUCCESS && r.x1 == sc_spin_result(SPIN_ITERATIONS);
    kprintf("    VP0 preempted: %s; VP1 at VP0's PC and SP: status %ld, %s result; another PC: "
            "status %ld; VP0 resumed: status %ld, %s result\n", hit ? "yes" : "no",
            (long)other_status, other_value == sc_spin_result(OTHER_ITERATIONS) ? "its own" :
            other_value == sc_spin_result(SPIN_ITERATIONS) ? "VP0's" : "a wrong",
            (long)other_pc_status, (long)r.x0, vp0_own ? "its own" : "a WRONG");
    return note(hit && vp1_own && vp0_own,
                "a VtlCall on VP1 with VP0's preempted PC and SP runs as VP1's own call; VP0's "
                "call resumes and completes with its own result");
}

/* Every online CPU issues SC_SPIN at the same moment (a barrier per
 * round), each with an iteration count no other call uses: every call
 * answered once, with its own result. */
#define RACE_ROUNDS 150
static struct barrier race_barrier;

static uint64_t race_iterations(unsigned cpu, unsigned round)
{
    return 16 + round * NEEDED_CPUS + cpu;
}

static uint64_t race_cpu(uint64_t unused)
{
    (void)unused;
    unsigned me = this_cpu()->index;
    uint64_t good = 0;
    for (unsigned round = 0; round < RACE_ROUNDS; round++) {
        uint64_t n = race_iterations(me, round);
        barrier_wait(&race_barrier, NEEDED_CPUS);
        struct hv_result r = vcall(SC_SPIN, n, 0, 0);
        good += r.x0 == HV_STATUS_SUCCESS && r.x1 == sc_spin_result(n);
    }
    return good;
}

static bool t_smp_vtl_return_race(void)
{
    if (!need_cpus())
        return false;
    uint64_t good[NEEDED_CPUS] = { 0 };
    bool finished = run_on_cpus(NEEDED_CPUS, race_cpu, 0, good, 120 * TICKS_PER_SECOND);
    unsigned total = 0;
    for (unsigned c = 0; c < NEEDED_CPUS; c++) {
        kprintf("    CPU %u: %lu of %u calls answered with their own result\n", c, good[c],
                RACE_ROUNDS);
        total += (unsigned)good[c];
    }
    return note(finished && total == NEEDED_CPUS * RACE_ROUNDS,
                "simultaneous VtlCalls on 4 CPUs: every one answered once with its own result");
}

/* Trustlets from two CPUs. Each CPU has its own reply buffer and
 * descriptor (tl_invoke's are one for the whole kernel). */
extern const uint8_t tl_echo_start[], tl_echo_end[];
#define ECHO_ID 0x0ec40001ull
#define ECHO_SPIN 2 /* echo's command that never answers (trustlets/echo/echo.c) */
static uint8_t tl_reply[MAX_CPUS][1024] __attribute__((aligned(64)));
static struct tl_out tl_outs[MAX_CPUS];

struct hv_result smp_tl_invoke(uint64_t session, uint64_t cmd, const void *in, uint64_t len)
{
    unsigned me = this_cpu()->index;
    tl_outs[me].buf = pa(tl_reply[me]);
    tl_outs[me].max = sizeof(tl_reply[me]);
    return hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, session, cmd, pa(in), len, pa(&tl_outs[me]));
}

/* The echo of `in` (len bytes) came back whole. */
bool smp_tl_echoed(struct hv_result r, const uint8_t *in, uint64_t len)
{
    return r.x0 == HV_STATUS_SUCCESS && r.x2 == len &&
           !memcmp(tl_reply[this_cpu()->index], in, len);
}

uint64_t smp_load_echo(void)
{
    struct hv_result r = vcall(SC_TL_LOAD, pa(tl_echo_start),
                               (uint64_t)(tl_echo_end - tl_echo_start), 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : 0;
}

static uint64_t race_instance, race_session;
static volatile bool race_stop, race_unloaded;
static volatile unsigned race_wrong, race_busy, race_gone;
/* Unload attempts are numbered (from 1) before each is made; the one that
 * succeeded is race_success. An invoke may find the instance gone (
 * TL_ST_NO_SUCH) only if that attempt had begun when it returned: the
 * lowest attempt number seen at such a return must not be below it. */
static volatile unsigned race_attempt, race_success, race_gone_min;

static void race_wrong_result(unsigned tag, struct hv_result r)
{
    if (race_wrong++ < 4)
        kprintf("    CPU %u: invoke answered status 0x%lx, 0x%lx, %lu bytes\n", tag, r.x0, r.x1,
                r.x2);
}

/* One invoke with a message only this call uses; sorts its status. */
static void race_invoke(unsigned tag, unsigned i)
{
    uint8_t msg[16];
    for (unsigned b = 0; b < sizeof(msg); b++)
        msg[b] = (uint8_t)(tag * 31 + i * 7 + b);
    struct hv_result r = smp_tl_invoke(race_session, 0, msg, sizeof(msg));
    unsigned attempt = __atomic_load_n(&race_attempt, __ATOMIC_ACQUIRE);
    if (r.x0 == HV_STATUS_BUSY) {
        race_busy++;
    } else if (r.x0 == TL_ST_NO_SUCH) {
        race_gone++;
        if (attempt < race_gone_min)
            race_gone_min = attempt;
    } else if (!smp_tl_echoed(r, msg, sizeof(msg))) {
        race_wrong_result(tag, r);
    }
}

static uint64_t race_unloader(uint64_t unused)
{
    (void)unused;
    for (unsigned i = 0; !race_stop; i++) {
        race_invoke(1, i);
        if (i < 50 || race_unloaded)
            continue;
        unsigned attempt = __atomic_add_fetch(&race_attempt, 1, __ATOMIC_ACQ_REL);
        uint64_t st = vcall(SC_TL_UNLOAD, race_instance, 0, 0).x0;
        if (st == HV_STATUS_SUCCESS) {
            race_success = attempt;
            race_unloaded = true;
        } else if (st != HV_STATUS_BUSY) {
            kprintf("    CPU 1: unload answered 0x%lx\n", st);
            race_wrong++;
        }
    }
    return race_attempt;
}

static bool t_smp_unload_invoke_race(void)
{
    if (!need_cpus())
        return false;
    race_instance = smp_load_echo();
    race_session = tl_open_session(ECHO_ID);
    race_stop = race_unloaded = false;
    race_wrong = race_busy = race_gone = race_attempt = race_success = 0;
    race_gone_min = ~0u;
    if (!race_instance || !race_session)
        return note(false, "could not load the echo trustlet");
    smp_post(1, race_unloader, 0);
    for (unsigned i = 0; i < 400; i++)
        race_invoke(0, i);
    race_stop = true;
    uint64_t tries = 0;
    bool finished = smp_wait(1, 60 * TICKS_PER_SECOND, &tries);
    bool unloaded = race_unloaded;
    if (!unloaded)
        unloaded = vcall(SC_TL_UNLOAD, race_instance, 0, 0).x0 == HV_STATUS_SUCCESS;
    bool alive = vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS && smp_run(1, null_call, 0, NULL);
    bool gone_in_time = race_gone == 0 || (race_success && race_gone_min >= race_success);
    kprintf("    %lu unload attempts (attempt %u succeeded); invokes: %u busy, %u found it gone "
            "(first during attempt %u), %u wrong; unloaded %s\n", tries, race_success,
            race_busy, race_gone, race_gone_min, race_wrong,
            race_unloaded ? "during the race" : unloaded ? "after it" : "NEVER");
    return note(finished && unloaded && alive && race_wrong == 0 && gone_in_time,
                "invoke and unload of one instance from two CPUs: SUCCESS or BUSY, every echo "
                "right, no crash");
}

/* An instance preempted on CPU0 (its trustlet spins; VTL0's timer stops
 * VTL1) cannot be invoked or unloaded from CPU1, nor its session closed:
 * each HV_STATUS_BUSY. */
static uint64_t busy_session, busy_instance;
static volatile uint64_t busy_invoke, busy_unload, busy_close;

static volatile uint64_t busy_info;

static uint64_t busy_attempts(uint64_t unused)
{
    (void)unused;
    static const uint8_t msg[4] = { 1, 2, 3, 4 };
    /* The timer may have stopped the call before the secure kernel claimed
     * the instance (copying the request in): then it is not busy yet, and
     * an unload now would rightly succeed. Only a claimed one is tried. */
    busy_info = vcall(SC_TL_INFO, busy_instance, 0, 0).x0;
    if (busy_info != HV_STATUS_BUSY)
        return 0;
    busy_invoke = smp_tl_invoke(busy_session, 0, msg, sizeof(msg)).x0;
    busy_unload = vcall(SC_TL_UNLOAD, busy_instance, 0, 0).x0;
    busy_close = vcall(SC_TL_CLOSE, busy_session, 0, 0).x0;
    return 0;
}

static void busy_from_vp1(void)
{
    if (irq_hit_in_call) /* the instance is in use only while preempted */
        smp_run(1, busy_attempts, 0, NULL);
}

static bool t_smp_tl_busy(void)
{
    if (!need_cpus())
        return false;
    bool hit = false;
    static struct tl_out out;
    static uint8_t reply[16];
    out.buf = pa(reply);
    out.max = sizeof(reply);
    struct hv_result r = { 0 };
    /* Each attempt on an instance of its own: the spinning invoke ends with
     * the instance killed by its run budget, and on a loaded host a vCPU
     * kept off its core past that budget before the timer could preempt
     * the call leaves nothing to try again on. */
    for (unsigned attempt = 0; attempt < 8; attempt++) {
        if (attempt > 0)
            vcall(SC_TL_UNLOAD, busy_instance, 0, 0);
        busy_instance = smp_load_echo();
        busy_session = tl_open_session(ECHO_ID);
        if (!busy_instance || !busy_session)
            return note(false, "could not load the echo trustlet");
        busy_invoke = busy_unload = busy_close = busy_info = ~0ull;
        uint64_t io[7] = { OVBS_VTL_CALL, SC_TL_INVOKE, busy_session, ECHO_SPIN, 0, 0,
                           pa(&out) };
        r = vcall_with_timer_io(PREEMPT_TICKS, busy_from_vp1, &hit, io);
        if (hit && busy_info == HV_STATUS_BUSY)
            break;
    }
    uint64_t unload = vcall(SC_TL_UNLOAD, busy_instance, 0, 0).x0;
    kprintf("    invoke preempted on CPU 0: %s (its result %ld); from CPU 1: invoke %ld, unload "
            "%ld, close %ld; unload afterwards %ld\n", hit ? "yes" : "no", (long)r.x0,
            (long)busy_invoke, (long)busy_unload, (long)busy_close, (long)unload);
    return note(hit && busy_info == HV_STATUS_BUSY && busy_invoke == HV_STATUS_BUSY &&
                    busy_unload == HV_STATUS_BUSY && busy_close == HV_STATUS_BUSY &&
                    unload == HV_STATUS_SUCCESS,
                "an instance preempted on one CPU: invoke, unload and close from another are "
                "HV_STATUS_BUSY; it unloads once that call ended");
}

/* A trustlet's FP/SIMD registers follow it from VP to VP: planted on VP0,
 * the same instance dumps them whole on VP2; planted again there, whole on
 * VP1 (the secure kernel saves them when a run ends, fp_release). */
extern const uint8_t tl_regspy_a_start[], tl_regspy_a_end[];
static uint64_t fp_session;
#define FP_MARK_0 0xf0f00000000000a0ull
#define FP_MARK_2 0xf2f20000000000a2ull

static uint64_t fp_plant(uint64_t marker)
{
    struct hv_result r = smp_tl_invoke(fp_session, REGSPY_PLANT, &marker, sizeof(marker));
    return r.x0 == HV_STATUS_SUCCESS && r.x1 == 0;
}

/* How many of the 64 q halves, plus TPIDR_EL0, carry marker's pattern in
 * the register spy's dump that invoke r left in this CPU's reply buffer. */
static uint64_t dump_matches(struct hv_result r, uint64_t marker)
{
    if (r.x0 != HV_STATUS_SUCCESS || r.x1 != 0 || r.x2 != sizeof(struct regspy_dump))
        return 0;
    struct regspy_dump got, want;
    memcpy(&got, tl_reply[this_cpu()->index], sizeof(got));
    regspy_pattern(marker, &want);
    uint64_t n = got.tpidr_el0 == marker;
    for (unsigned i = 0; i < 64; i++)
        n += got.q[i] == want.q[i];
    return n;
}

static uint64_t fp_dump_matches(uint64_t marker)
{
    return dump_matches(smp_tl_invoke(fp_session, REGSPY_DUMP, "", 0), marker);
}

static bool t_smp_tl_fp(void)
{
    if (!need_cpus())
        return false;
    struct hv_result l = vcall(SC_TL_LOAD, pa(tl_regspy_a_start),
                               (uint64_t)(tl_regspy_a_end - tl_regspy_a_start), 0);
    fp_session = l.x0 == HV_STATUS_SUCCESS ? tl_open_session(REGSPY_A_ID) : 0;
    if (!fp_session)
        return note(false, "could not load the register spy");
    uint64_t planted0 = 0, seen2 = 0, planted2 = 0, seen1 = 0;
    bool ran = smp_run(0, fp_plant, FP_MARK_0, &planted0) &&
               smp_run(2, fp_dump_matches, FP_MARK_0, &seen2) &&
               smp_run(2, fp_plant, FP_MARK_2, &planted2) &&
               smp_run(1, fp_dump_matches, FP_MARK_2, &seen1);
    vcall(SC_TL_UNLOAD, l.x1, 0, 0);
    kprintf("    planted on VP0, dumped on VP2: %lu of 65 values; planted on VP2, dumped on VP1: "
            "%lu of 65\n", seen2, seen1);
    return note(ran && planted0 && planted2 && seen2 == 65 && seen1 == 65,
                "a trustlet's FP/SIMD and thread registers follow it to the next VP it runs on");
}

/* A nested intercept over a trustlet: on VP 1 the register spy plants
 * its FP/SIMD and thread registers and counts down at EL0 of VTL1; VTL0's
 * timer preempts it there, and from the interrupt VTL0 writes a page VTL1
 * made read-only. The secure kernel decides about that write on its nested
 * entry while the trustlet's registers are live in the hardware; the
 * trustlet then resumes, and its dump must still show every planted value
 * (the nested entry runs with FP/SIMD trapped and its own stack). */
#define NESTED_MARK 0xf1f10000000000b1ull
#define NESTED_SPIN 2000000ull
static uint8_t nested_tl_page[4096] __attribute__((aligned(4096)));
static volatile uint64_t nested_tl_store, nested_tl_delivered;

static void nested_tl_store_now(void)
{
    if (!irq_hit_in_call)
        return;
    unsigned me = this_cpu()->index;
    uint64_t before = hvc(OVBS_HV_VP_STATS, me, 0, 0).x1 >> 32;
    nested_tl_store = probe_store(pa(nested_tl_page), 0x5a);
    nested_tl_delivered = (hvc(OVBS_HV_VP_STATS, me, 0, 0).x1 >> 32) - before;
}

static uint64_t nested_tl_run(uint64_t session)
{
    unsigned me = this_cpu()->index;
    static uint64_t in[2] = { NESTED_MARK, NESTED_SPIN };
    bool hit = false;
    struct hv_result r = { 0 };
    for (int attempt = 0; attempt < 5 && !hit; attempt++) {
        nested_tl_store = nested_tl_delivered = 0;
        tl_outs[me].buf = pa(tl_reply[me]);
        tl_outs[me].max = sizeof(tl_reply[me]);
        uint64_t io[7] = { OVBS_VTL_CALL, SC_TL_INVOKE, session, REGSPY_PLANT_SPIN_DUMP, pa(in),
                           sizeof(in), pa(&tl_outs[me]) };
        r = vcall_with_timer_io(PREEMPT_TICKS, nested_tl_store_now, &hit, io);
    }
    return hit ? dump_matches(r, NESTED_MARK) : 0;
}

static bool t_smp_nested_intercept_tl(void)
{
    if (!need_cpus())
        return false;
    struct hv_result l = vcall(SC_TL_LOAD, pa(tl_regspy_a_start),
                               (uint64_t)(tl_regspy_a_end - tl_regspy_a_start), 0);
    uint64_t session = l.x0 == HV_STATUS_SUCCESS ? tl_open_session(REGSPY_A_ID) : 0;
    if (!session)
        return note(false, "could not load the register spy");
    nested_tl_page[0] = 0x22;
    uint64_t gpa = pa(nested_tl_page);
    bool prot = vcall(SC_PROTECT, gpa, 1, OVBS_ACC_R).x0 == HV_STATUS_SUCCESS;
    uint64_t kept = 0;
    bool ran = prot && smp_run(1, nested_tl_run, session, &kept);
    bool back = vcall(SC_PROTECT, gpa, 1, OVBS_ACC_RWX).x0 == HV_STATUS_SUCCESS;
    vcall(SC_TL_CLOSE, session, 0, 0);
    vcall(SC_TL_UNLOAD, l.x1, 0, 0);
    kprintf("    trustlet preempted on VP 1, store from VTL0 there: %s, intercepts delivered "
            "%lu, page 0x%x; the trustlet's registers after: %lu of 65 as planted\n",
            nested_tl_store == PROBE_FAULT_VALUE ? "faulted" : "WENT THROUGH",
            (unsigned long)nested_tl_delivered, nested_tl_page[0], kept);
    return note(ran && back && nested_tl_store == PROBE_FAULT_VALUE && nested_tl_delivered == 1 &&
                    nested_tl_page[0] == 0x22 && kept == 65,
                "an intercept while a trustlet is preempted reaches VTL1's nested entry; the "
                "trustlet's FP/SIMD and thread registers survive it");
}

/* CPU_OFF from a CPU whose secure call is preempted (from the interrupt
 * that preempted it): DENIED, the CPU stays on, the call completes. */
static volatile uint64_t off_status;

static void cpu_off_now(void)
{
    /* Only while the call is preempted: an interrupt a loaded host delays
     * past the VtlReturn finds VTL1 idle, and CPU_OFF would rightly work. */
    if (irq_hit_in_call)
        off_status = smc(PSCI_CPU_OFF, 0, 0, 0).x0;
}

static uint64_t off_while_preempted(uint64_t unused)
{
    (void)unused;
    bool hit = false;
    struct hv_result r = { 0 };
    for (int attempt = 0; attempt < 5 && !hit; attempt++) {
        off_status = ~0ull;
        r = vcall_with_timer(PREEMPT_TICKS, cpu_off_now, &hit, SC_SPIN, SPIN_ITERATIONS, 0, 0, 0);
    }
    return hit && r.x0 == HV_STATUS_SUCCESS && r.x1 == sc_spin_result(SPIN_ITERATIONS);
}

static bool t_smp_cpu_off_busy(void)
{
    if (!need_cpus())
        return false;
    uint64_t completed = 0, call = ~0ull;
    bool ran = smp_run(1, off_while_preempted, 0, &completed);
    bool still_on = affinity(1) == 0 && smp_run(1, null_call, 0, &call) &&
                    call == HV_STATUS_SUCCESS;
    kprintf("    CPU_OFF on CPU 1 with its call preempted: %ld; the call %s; CPU 1 %s\n",
            (long)off_status, completed ? "completed" : "did NOT complete",
            still_on ? "still on" : "GONE");
    return note(ran && completed && (int64_t)off_status == PSCI_RET_DENIED && still_on,
                "CPU_OFF while VTL1 has a preempted call on that VP: DENIED; the call completes");
}

/* VTL0's timer armed a few ticks before a 512-page SC_PROTECT (a long
 * stretch under the secure kernel's locks), at a different offset every
 * time. The top 2 MiB of VTL0 RAM, which nothing here uses. */
#define SWEEP_CALLS 1500

uint64_t sweep_pages(void)
{
    return (vtl0_ram_base + vtl0_ram_size - (2u << 20)) & ~((2ull << 20) - 1);
}

struct vp_stats vp_stats(unsigned vp)
{
    struct hv_result r = hvc(OVBS_HV_VP_STATS, vp, 0, 0);
    return (struct vp_stats){ r.x2 & 0xffffffffu, r.x2 >> 32, r.x3 };
}

/* A deferred preemption must not hold VTL0's interrupt for the rest of
 * the call: the secure kernel yields when it leaves the section, so every
 * call in which the hypervisor deferred one is still interrupted inside
 * the call (at its HVC), not after its VtlReturn. */
static bool t_smp_deferred_yield(void)
{
    if (!need_cpus())
        return false;
    uint64_t top = sweep_pages();
    unsigned deferred_calls = 0, inside = 0, failed = 0;
    struct vp_stats first = vp_stats(0);
    for (unsigned i = 0; i < SWEEP_CALLS; i++) {
        struct vp_stats before = vp_stats(0);
        bool hit = false;
        unsigned mask = (i & 1) ? OVBS_ACC_RWX : OVBS_ACC_R;
        struct hv_result r = vcall_with_timer(1 + 2 * i, 0, &hit, SC_PROTECT, top, 512, mask, 0);
        struct vp_stats after = vp_stats(0);
        failed += r.x0 != HV_STATUS_SUCCESS;
        if (after.deferred != before.deferred) {
            deferred_calls++;
            inside += hit;
        }
    }
    vcall(SC_PROTECT, top, 512, OVBS_ACC_RWX);
    struct vp_stats last = vp_stats(0);
    kprintf("    %u protects: %u with a deferred preemption, %u of those interrupted inside the "
            "call; VP 0 yields after a deferral %lu, deferrals %lu; %u failed\n", SWEEP_CALLS,
            deferred_calls, inside, last.yields - first.yields, last.deferred - first.deferred,
            failed);
    return note(failed == 0 && deferred_calls > 0 && inside == deferred_calls &&
                    last.yields - first.yields == last.deferred - first.deferred,
                "each preemption deferred in a critical section came as soon as VTL1 left it "
                "(its yield), inside the call");
}

/* VTL1 must never be handed to VTL0 inside a critical section: otherwise
 * a lock stays held until VTL0 resumes that call, and every other VP that
 * needs it waits. While VP0's 512-page SC_PROTECT is preempted, VP1's own
 * SC_PROTECT (the same secure-kernel locks) must complete. */
static uint8_t holder_page[4096] __attribute__((aligned(4096)));
static volatile unsigned holder_hooks, holder_stalled;

static void protect_from_vp1(void)
{
    if (!irq_hit_in_call)
        return; /* VP0's call already returned: nothing is held */
    holder_hooks++;
    smp_post(1, protect_writable, pa(holder_page));
    if (!smp_wait(1, 2 * TICKS_PER_SECOND, NULL))
        holder_stalled++;
}

static bool t_smp_preempt_lock_holder(void)
{
    if (!need_cpus())
        return false;
    uint64_t top = sweep_pages();
    unsigned failed = 0;
    holder_hooks = holder_stalled = 0;
    struct vp_stats first = vp_stats(0);
    /* Timer offsets spread over the whole call (a few hundred us under
     * TCG), until a few preemptions were deferred and VP1 protected while
     * VP0's call was preempted (or SWEEP_CALLS were made): where they land
     * depends on the host. */
    for (unsigned i = 0; i < SWEEP_CALLS && !holder_stalled; i++) {
        if (i % 16 == 0 && holder_hooks > 0 && vp_stats(0).deferred - first.deferred >= 3)
            break;
        bool hit = false;
        unsigned mask = (i & 1) ? OVBS_ACC_RWX : OVBS_ACC_R;
        struct hv_result r = vcall_with_timer(1 + (i * 617u) % 20000u, protect_from_vp1, &hit,
                                              SC_PROTECT, top, 512, mask, 0);
        failed += r.x0 != HV_STATUS_SUCCESS;
        failed += !smp_wait(1, 60 * TICKS_PER_SECOND, NULL);
    }
    vcall(SC_PROTECT, top, 512, OVBS_ACC_RWX);
    struct vp_stats last = vp_stats(0);
    kprintf("    VP1 protected while VP0's call was preempted %u times, stalled %u; VP0's "
            "deferred preemptions %lu; %u failed\n", holder_hooks, holder_stalled,
            last.deferred - first.deferred, failed);
    return note(failed == 0 && holder_hooks > 0 && holder_stalled == 0 &&
                    last.deferred > first.deferred,
                "no VP is preempted holding a secure-kernel lock: another VP's protect never "
                "waits for VTL0 to resume a call");
}

/* ---- the table ------------------------------------------------------------ */

const struct test smp_tests[] = {
    { "smp_per_cpu", false, t_smp_per_cpu, "per-CPU VTL tests on each CPU" },
    { "smp_intercept_vp", false, t_smp_intercept_vp, "intercepts carry the faulting VP" },
    { "smp_shootdown", true, t_smp_shootdown,
      "write on CPU1 while CPU0 makes the page read-only (TLB shootdown)" },
    { "smp_shootdown_reverse", true, t_smp_shootdown_reverse,
      "write on CPU0 while CPU1 makes the page read-only" },
    { "smp_ipi_storm", false, t_smp_ipi_storm, "SGIs between 4 CPUs doing VTL switches" },
    { "smp_reserved_sgi", true, t_smp_reserved_sgi, "send the hypervisor's SGI 15" },
    { "smp_sgi_while_active", false, t_smp_sgi_while_active,
      "an SGI sent again while its handler runs" },
    { "smp_sgi_overflow", false, t_smp_sgi_overflow,
      "more SGIs at once than a VP has list registers" },
    { "smp_protect_race", true, t_smp_protect_race,
      "two VPs make one page read-only and read-write at the same moment" },
    { "smp_protect_record_race", true, t_smp_protect_record_race,
      "another VP's protect between a protect's hypercall and its record" },
    { "smp_copy_out_race", true, t_smp_copy_out_race,
      "make a reply's page read-only while a copy out to it is preempted" },
    { "smp_cpu_off_on", false, t_smp_cpu_off_on, "CPU_OFF, AFFINITY_INFO, CPU_ON of CPU 3" },
    { "smp_cpu_off_busy", true, t_smp_cpu_off_busy,
      "CPU_OFF of a CPU whose secure call is preempted" },
    { "smp_resume_other_vp", true, t_smp_resume_other_vp,
      "resume VP0's preempted call from VP1 (same PC and SP)" },
    { "smp_vtl_return_race", true, t_smp_vtl_return_race, "simultaneous VtlCalls on 4 CPUs" },
    { "smp_unload_invoke_race", true, t_smp_unload_invoke_race,
      "unload a trustlet instance while another CPU invokes it" },
    { "smp_tl_busy", true, t_smp_tl_busy, "invoke or unload an instance preempted elsewhere" },
    { "smp_tl_fp", true, t_smp_tl_fp, "read a trustlet's FP registers through another VP" },
    { "smp_nested_intercept_tl", false, t_smp_nested_intercept_tl,
      "intercept while a trustlet with live FP registers is preempted" },
    { "smp_preempt_lock_holder", true, t_smp_preempt_lock_holder,
      "preempt VTL1 inside a critical section and stall the other VPs" },
    { "smp_deferred_yield", false, t_smp_deferred_yield,
      "a deferred preemption comes when VTL1 leaves its critical section" },
    { "smp_stress", false, t_smp_stress, "seeded mix of operations on 4 CPUs" },
    /* Only in a boot of its own: no newer echo may have loaded before. */
    { "smp_rollback_race", true, t_smp_rollback_race,
      "install a newer version between an older one's rollback checks" },
    /* Only in a boot with more CPUs than the secure kernel enables. */
    { "smp_cpu_on_unenabled", true, t_smp_cpu_on_unenabled,
      "CPU_ON of a 5th CPU (QEMU -smp 6 only)" },
};
const unsigned num_smp_tests = sizeof(smp_tests) / sizeof(smp_tests[0]);
