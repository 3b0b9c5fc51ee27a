/* stress.c: the multiprocessor stress run of the VTL0 test kernel (EL1 of
 * VTL0, on four CPUs): a seeded mix of secure calls, protection changes,
 * locks, trustlet calls and deliberate faults, then a page-by-page
 * comparison of the protections VTL1 reports with what stage 2 lets VTL0
 * do. `stress OPS SEED` on the console; smp_stress in `smp all` with
 * STRESS_TEST_OPS; `make stress` with 1,000,000 (docs/stress.md). */
#include <stdlib.h>
#include <string.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "openvbs/trustlet.h"
#include "smp_tests.h"
#include "spinlock.h"
#include "vsm_tests.h"

#define STRESS_CPUS 4
/* make test's size: protection changes, locks, trustlet switches and
 * intercepts each cost milliseconds of host time under TCG (a broadcast
 * TLBI stops every vCPU), so 4,000 take about half a minute. */
#define STRESS_TEST_OPS 4000
#define PRIV_PAGES 4
#define SHARED_PAGES 8
#define LOCK_PAGES 32
#define STALL_TICKS (60 * TICKS_PER_SECOND) /* no progress this long: deadlock */

/* The pages the run changes; nothing else lives on them. Locks never come
 * off, so the lock pool is only ever locked once per boot. */
static uint8_t priv_pages[STRESS_CPUS][PRIV_PAGES][4096] __attribute__((aligned(4096)));
static uint8_t shared_pages[SHARED_PAGES][4096] __attribute__((aligned(4096)));
static uint8_t lock_pages[LOCK_PAGES][4096] __attribute__((aligned(4096)));
static volatile bool lock_done[LOCK_PAGES];
static unsigned lock_next;
static uint8_t query_out[64] __attribute__((aligned(64)));

enum op { OP_NULL, OP_SPIN, OP_PROTECT_PRIV, OP_PROTECT_SHARED, OP_LOCK, OP_TL, OP_FAULT, N_OPS };
static const char *const op_names[N_OPS] = {
    "null", "spin", "protect-private", "protect-shared", "lock", "trustlet", "fault",
};
/* Sixteenths of the mix each operation gets. */
static const enum op mix[16] = {
    OP_NULL, OP_NULL, OP_NULL, OP_NULL, OP_SPIN, OP_SPIN, OP_PROTECT_PRIV, OP_PROTECT_PRIV,
    OP_PROTECT_SHARED, OP_PROTECT_SHARED, OP_LOCK, OP_TL, OP_TL, OP_FAULT, OP_FAULT, OP_FAULT,
};
/* Masks VTL1 accepts (W always with R). */
static const unsigned masks[] = {
    0, OVBS_ACC_R, OVBS_ACC_R | OVBS_ACC_W, OVBS_ACC_RWX, OVBS_ACC_R | OVBS_ACC_XK,
    OVBS_ACC_R | OVBS_ACC_W | OVBS_ACC_XU, OVBS_ACC_XK | OVBS_ACC_XU,
};
#define N_MASKS (sizeof(masks) / sizeof(masks[0]))

struct stress_cpu {
    uint64_t rng, ops;
    uint64_t issued, completed, wrong, busy, faults, killed, reloads, gone, skipped;
    uint64_t count[N_OPS], wrong_by_op[N_OPS];
    enum op op; /* the one in progress */
    uint64_t insns;
    unsigned expect[PRIV_PAGES];
};
static struct stress_cpu scpu[STRESS_CPUS];
static uint64_t stress_sessions[STRESS_CPUS];

/* The shared echo instance, replaced when its budget kills it (and once
 * on purpose half-way through CPU 0's share, so the replacement is always
 * exercised). echo_gen is odd while a CPU replaces it under echo_lock; a
 * CPU whose session_gen differs opens a new session before it invokes. An
 * invoke that finds its session gone (TL_ST_NO_SUCH) is right only if a
 * replacement began after the invoke read echo_gen. */
static struct spinlock echo_lock = SPINLOCK_INIT;
static unsigned echo_gen;
static uint64_t echo_instance;
static unsigned session_gen[STRESS_CPUS];

static uint64_t rnd(struct stress_cpu *s)
{
    uint64_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return s->rng = x;
}

/* One answered call: completed, and wrong if its answer is not `good`. */
static void answered(struct stress_cpu *s, bool good)
{
    s->completed++;
    s->wrong += !good;
    s->wrong_by_op[s->op] += !good;
}

static void op_spin(struct stress_cpu *s)
{
    uint64_t n = 1 + rnd(s) % 64 + s->issued % 7;
    struct hv_result r = vcall(SC_SPIN, n, 0, 0);
    answered(s, r.x0 == HV_STATUS_SUCCESS && r.x1 == sc_spin_result(n));
}

static void protect_priv(struct stress_cpu *s, unsigned page, unsigned mask, unsigned me)
{
    struct hv_result r = vcall(SC_PROTECT, pa(priv_pages[me][page]), 1, mask);
    answered(s, r.x0 == HV_STATUS_SUCCESS);
    if (r.x0 == HV_STATUS_SUCCESS)
        s->expect[page] = mask;
}

/* A store to a private page that may not be written (made so first if
 * needed): it must fault on this CPU, never land. */
static void op_fault(struct stress_cpu *s, unsigned me)
{
    unsigned page = (unsigned)(rnd(s) % PRIV_PAGES);
    if (s->expect[page] & OVBS_ACC_W) {
        s->issued++;
        protect_priv(s, page, OVBS_ACC_R, me);
    }
    volatile uint64_t *p = (volatile uint64_t *)priv_pages[me][page];
    unsigned before = this_cpu()->fault.count;
    (void)probe_store(pa(p), STORE_MARKER ^ s->issued);
    bool faulted = this_cpu()->fault.count == before + 1;
    s->faults += faulted;
    s->wrong += !faulted;
    s->wrong_by_op[OP_FAULT] += !faulted;
}

static void op_lock(struct stress_cpu *s)
{
    unsigned idx = __atomic_fetch_add(&lock_next, 1, __ATOMIC_RELAXED);
    if (idx < LOCK_PAGES) {
        struct hv_result r = vcall(SC_LOCK, pa(lock_pages[idx]), 1, OVBS_ACC_R);
        answered(s, r.x0 == HV_STATUS_SUCCESS);
        lock_done[idx] = r.x0 == HV_STATUS_SUCCESS;
        return;
    }
    /* Pool used up: a locked page must refuse becoming writable. */
    unsigned page = (unsigned)(rnd(s) % LOCK_PAGES);
    if (!lock_done[page]) {
        answered(s, vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS);
        return;
    }
    struct hv_result r = vcall(SC_PROTECT, pa(lock_pages[page]), 1, OVBS_ACC_RWX);
    answered(s, r.x0 == HV_STATUS_ACCESS_DENIED);
}

/* Unload the instance invoked at generation `seen` and load a new one,
 * unless another CPU already did. */
static void replace_echo(struct stress_cpu *s, unsigned seen)
{
    spin_lock(&echo_lock);
    if (__atomic_load_n(&echo_gen, __ATOMIC_RELAXED) == seen) {
        __atomic_store_n(&echo_gen, seen + 1, __ATOMIC_RELEASE);
        vcall(SC_TL_UNLOAD, echo_instance, 0, 0);
        echo_instance = smp_load_echo();
        __atomic_store_n(&echo_gen, seen + 2, __ATOMIC_RELEASE);
        s->reloads++;
    }
    spin_unlock(&echo_lock);
}

/* This CPU's session on the current instance, reopened after a
 * replacement (the old one closed with its instance; closing it again is
 * refused harmlessly, and a session opened on a newer instance than
 * session_gen says is closed here, not leaked). */
static void refresh_session(unsigned me, unsigned gen)
{
    if (session_gen[me] == gen)
        return;
    vcall(SC_TL_CLOSE, stress_sessions[me], 0, 0);
    stress_sessions[me] = tl_open_session(0x0ec40001);
    session_gen[me] = gen;
}

static void op_tl(struct stress_cpu *s, unsigned me)
{
    unsigned gen = __atomic_load_n(&echo_gen, __ATOMIC_ACQUIRE);
    if (gen & 1) { /* another CPU is replacing the instance: no call */
        s->issued--;
        s->skipped++;
        return;
    }
    refresh_session(me, gen);
    uint8_t msg[16];
    for (unsigned b = 0; b < sizeof(msg); b++)
        msg[b] = (uint8_t)(rnd(s) >> 7);
    struct hv_result r = smp_tl_invoke(stress_sessions[me], 0, msg, sizeof(msg));
    if (r.x0 == HV_STATUS_BUSY) {
        s->busy++;
        answered(s, true);
        return;
    }
    /* The secure kernel's trustlet budget is wall-clock time: on a loaded
     * host one echo run can exceed it, and the instance is killed. The
     * kill is counted and reported, and the instance replaced. */
    if (r.x0 == TL_ST_DEAD) {
        s->killed++;
        answered(s, true);
        replace_echo(s, gen);
        return;
    }
    if (r.x0 == TL_ST_NO_SUCH) {
        bool replaced = __atomic_load_n(&echo_gen, __ATOMIC_ACQUIRE) != gen;
        s->gone += replaced;
        answered(s, replaced);
        return;
    }
    answered(s, smp_tl_echoed(r, msg, sizeof(msg)));
}

static void one_op(struct stress_cpu *s, unsigned me)
{
    enum op op = mix[rnd(s) % 16];
    s->op = op;
    s->count[op]++;
    s->issued++;
    switch (op) {
    case OP_NULL: answered(s, vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS); break;
    case OP_SPIN: op_spin(s); break;
    case OP_PROTECT_PRIV:
        protect_priv(s, (unsigned)(rnd(s) % PRIV_PAGES), masks[rnd(s) % N_MASKS], me);
        break;
    case OP_PROTECT_SHARED: {
        uint8_t *page = shared_pages[rnd(s) % SHARED_PAGES];
        answered(s, vcall(SC_PROTECT, pa(page), 1, masks[rnd(s) % N_MASKS]).x0 ==
                        HV_STATUS_SUCCESS);
        break;
    }
    case OP_LOCK: op_lock(s); break;
    case OP_TL: op_tl(s, me); break;
    default:
        s->issued--; /* a store, not a call */
        op_fault(s, me);
        break;
    }
}

/* The boot CPU also watches the others: a CPU whose progress counter has
 * not moved for STALL_TICKS is stuck. */
static uint64_t seen_progress[STRESS_CPUS], seen_at[STRESS_CPUS];
static volatile unsigned stalled_cpu = ~0u;

static void watch_others(void)
{
    uint64_t now = ticks_now();
    for (unsigned c = 1; c < STRESS_CPUS; c++) {
        if (cpus[c].progress != seen_progress[c]) {
            seen_progress[c] = cpus[c].progress;
            seen_at[c] = now;
        } else if (cpus[c].progress < scpu[c].ops && now - seen_at[c] > STALL_TICKS) {
            stalled_cpu = c;
        }
    }
}

static struct barrier stress_barrier;

static uint64_t stress_cpu(uint64_t unused)
{
    (void)unused;
    struct percpu *c = this_cpu();
    struct stress_cpu *s = &scpu[c->index];
    barrier_wait(&stress_barrier, STRESS_CPUS);
    pmu_insn_start(false);
    for (uint64_t i = 0; i < s->ops; i++) {
        if (c->index == 0 && i == s->ops / 2)
            replace_echo(s, __atomic_load_n(&echo_gen, __ATOMIC_ACQUIRE) & ~1u);
        one_op(s, c->index);
        c->progress = i + 1;
        if (c->index == 0 && (i & 63) == 0)
            watch_others();
    }
    s->insns = pmu_insn_read();
    return 0;
}

/* What the boot CPU waits for: each CPU done, or stuck. */
static bool wait_all(void)
{
    bool ok = true;
    for (unsigned c = 1; c < STRESS_CPUS; c++) {
        while (!smp_wait(c, TICKS_PER_SECOND, NULL)) {
            watch_others();
            if (stalled_cpu != ~0u) {
                kprintf("    CPU %u made no progress for %llu s (at operation %lu of %lu)\n",
                        stalled_cpu, STALL_TICKS / TICKS_PER_SECOND, cpus[stalled_cpu].progress,
                        scpu[stalled_cpu].ops);
                ok = false;
                break;
            }
        }
        if (!ok)
            break;
    }
    return ok;
}

/* Page by page: SC_QUERY_RANGE's byte (mask | 0x10 if locked) against what
 * a read and a write from VTL0 actually do. `expect` (0xff: none) is what
 * this run last set. Returns the pages that disagree. */
static unsigned compare_range(uint8_t *base, unsigned pages, const unsigned *expect,
                              bool locked)
{
    if (vcall(SC_QUERY_RANGE, pa(base), pages, pa(query_out)).x0 != HV_STATUS_SUCCESS) {
        kprintf("    SC_QUERY_RANGE of 0x%lx refused\n", pa(base));
        return pages;
    }
    unsigned bad = 0;
    for (unsigned i = 0; i < pages; i++) {
        uint64_t a = pa(base) + i * 4096ull;
        unsigned q = query_out[i];
        unsigned before = this_cpu()->fault.count;
        uint64_t v = probe_load(a);
        bool readable = this_cpu()->fault.count == before;
        before = this_cpu()->fault.count;
        (void)probe_store(a, readable ? v : 0);
        bool writable = this_cpu()->fault.count == before;
        bool agree = readable == !!(q & OVBS_ACC_R) && writable == !!(q & OVBS_ACC_W);
        if (expect)
            agree &= (q & 0xf) == expect[i];
        if (locked)
            agree &= !lock_done[i] || q == (OVBS_ACC_R | 0x10);
        if (!agree) {
            kprintf("    page 0x%lx: VTL1 says 0x%x, expected 0x%x; VTL0 can read %d, write %d\n",
                    a, q, expect ? expect[i] : q, readable, writable);
            bad++;
        }
    }
    return bad;
}

static unsigned compare_all(void)
{
    unsigned bad = 0;
    for (unsigned c = 0; c < STRESS_CPUS; c++)
        bad += compare_range(priv_pages[c][0], PRIV_PAGES, scpu[c].expect, false);
    bad += compare_range(shared_pages[0], SHARED_PAGES, NULL, false);
    bad += compare_range(lock_pages[0], LOCK_PAGES, NULL, true);
    return bad;
}

static void restore_all(void)
{
    for (unsigned c = 0; c < STRESS_CPUS; c++)
        vcall(SC_PROTECT, pa(priv_pages[c][0]), PRIV_PAGES, OVBS_ACC_RWX);
    vcall(SC_PROTECT, pa(shared_pages[0]), SHARED_PAGES, OVBS_ACC_RWX);
}

static bool setup(uint64_t ops, uint64_t seed)
{
    restore_all();
    echo_instance = smp_load_echo();
    echo_gen = 0;
    memset(scpu, 0, sizeof(scpu));
    for (unsigned c = 0; c < STRESS_CPUS; c++) {
        scpu[c].rng = (seed ? seed : 1) * 0x9e3779b97f4a7c15ull + c + 1;
        scpu[c].ops = ops / STRESS_CPUS + (c < ops % STRESS_CPUS);
        for (unsigned p = 0; p < PRIV_PAGES; p++)
            scpu[c].expect[p] = OVBS_ACC_RWX;
        stress_sessions[c] = echo_instance ? tl_open_session(0x0ec40001) : 0;
        session_gen[c] = 0;
        cpus[c].progress = 0;
        seen_progress[c] = 0;
        seen_at[c] = ticks_now();
    }
    stalled_cpu = ~0u;
    return echo_instance && stress_sessions[STRESS_CPUS - 1];
}

bool smp_stress(uint64_t ops, uint64_t seed)
{
    if (!need_cpus())
        return false;
    if (!setup(ops, seed))
        return note(false, "could not load the echo trustlet or open its sessions");
    uint64_t hv_intercepts = event_count(false, OVBS_EV_INTERCEPT);
    uint64_t t0 = ticks_now();
    for (unsigned c = 1; c < STRESS_CPUS; c++)
        smp_post(c, stress_cpu, 0);
    stress_cpu(0);
    bool finished = wait_all();
    uint64_t ticks = ticks_now() - t0;
    unsigned bad_pages = finished ? compare_all() : 0;
    uint64_t intercepts = event_count(false, OVBS_EV_INTERCEPT) - hv_intercepts;
    struct stress_cpu sum = { 0 };
    for (unsigned c = 0; c < STRESS_CPUS; c++) {
        kprintf("    CPU %u: %lu operations, %lu calls issued, %lu answered, %lu wrong, %lu "
                "busy, %lu faults, %lu VTL0 instructions\n", c, scpu[c].ops, scpu[c].issued,
                scpu[c].completed, scpu[c].wrong, scpu[c].busy, scpu[c].faults, scpu[c].insns);
        sum.issued += scpu[c].issued;
        sum.completed += scpu[c].completed;
        sum.wrong += scpu[c].wrong;
        sum.busy += scpu[c].busy;
        sum.faults += scpu[c].faults;
        sum.killed += scpu[c].killed;
        sum.reloads += scpu[c].reloads;
        sum.gone += scpu[c].gone;
        sum.skipped += scpu[c].skipped;
        sum.insns += scpu[c].insns;
        for (unsigned o = 0; o < N_OPS; o++) {
            sum.count[o] += scpu[c].count[o];
            sum.wrong_by_op[o] += scpu[c].wrong_by_op[o];
        }
    }
    kprintf("    mix (wrong):");
    for (unsigned o = 0; o < N_OPS; o++)
        kprintf(" %s %lu (%lu)", op_names[o], sum.count[o], sum.wrong_by_op[o]);
    kprintf("\n");
    restore_all();
    for (unsigned c = 0; c < STRESS_CPUS; c++)
        vcall(SC_TL_CLOSE, stress_sessions[c], 0, 0);
    vcall(SC_TL_UNLOAD, echo_instance, 0, 0);
    uint64_t ms = ticks / (TICKS_PER_SECOND / 1000);
    /* QEMU counts event 0x08 only under -icount: 0 instructions otherwise. */
    kprintf("STRESS ops %lu seed 0x%lx cpus %u: calls %lu answered %lu wrong %lu busy %lu "
            "faults %lu intercepts %lu pages-disagreeing %u trustlet-killed %lu replaced %lu "
            "(invokes that found it replaced %lu, skipped while replacing %lu); %lu ms, %lu VTL0 "
            "instructions%s\n", ops, seed, STRESS_CPUS, sum.issued, sum.completed, sum.wrong,
            sum.busy, sum.faults, intercepts, bad_pages, sum.killed, sum.reloads, sum.gone,
            sum.skipped, ms, sum.insns,
            sum.insns ? "" : " (not counted without -icount)");
    bool ok = finished && sum.issued == sum.completed && sum.wrong == 0 && bad_pages == 0 &&
              intercepts >= sum.faults && sum.reloads >= 1 &&
              echo_instance != 0;
    return note(ok, "seeded mix on 4 CPUs: every call answered once and right, every fault on "
                    "its CPU, VTL1's protections match stage 2 page by page, no CPU stuck");
}

bool t_smp_stress(void)
{
    return smp_stress(STRESS_TEST_OPS, 0x5eed);
}

/* `stress [OPS] [SEED]` */
bool stress_command(const char *arg)
{
    char *end;
    uint64_t ops = strtoul(arg, &end, 0);
    uint64_t seed = strtoul(end, &end, 0);
    bool ok = smp_stress(ops ? ops : STRESS_TEST_OPS, seed ? seed : 0x5eed);
    kprintf("TEST smp_stress %s\n", ok ? "PASS" : "FAIL");
    return ok;
}
