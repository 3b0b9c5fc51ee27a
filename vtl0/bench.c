/* bench.c: instruction counts measured from VTL0 (EL1 of VTL0) with the PMU
 * cycle counter. Under QEMU -icount shift=0 one cycle is one instruction, so
 * the numbers are exact and repeatable; elsewhere they are cycles. Counting
 * at EL2 needs the hypervisor's `hv.bench` option (MDCR_EL2.HPMD clear). */
#include "arm64/sysreg.h"
#include "kernel.h"
#include "openvbs/regspy.h"
#include "openvbs/trustlet.h"
#include "smp_tests.h"

#define ROUNDS 1000

static void pmu_start(void)
{
    WRITE_SYSREG(pmccfiltr_el0, 1ull << 27); /* NSH: count EL2 as well */
    WRITE_SYSREG(pmcntenset_el0, 1ull << 31);
    WRITE_SYSREG(pmcr_el0, READ_SYSREG(pmcr_el0) | 0x41); /* E, LC */
    isb();
}

static uint64_t cycles(void)
{
    isb();
    return READ_SYSREG(pmccntr_el0);
}

/* Same loop twice: once with `hvc #0`, once with a `nop` in its place. The
 * difference per round, plus the nop, is the cost of the round trip. */
static uint64_t loop_hvc(void)
{
    uint64_t t0 = cycles();
    for (unsigned i = 0; i < ROUNDS; i++) {
        register uint64_t x0 __asm__("x0") = OVBS_HV_NULL;
        __asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    }
    return cycles() - t0;
}

static uint64_t loop_nop(void)
{
    uint64_t t0 = cycles();
    for (unsigned i = 0; i < ROUNDS; i++) {
        register uint64_t x0 __asm__("x0") = OVBS_HV_NULL;
        __asm__ volatile("nop" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    }
    return cycles() - t0;
}

/* The same for a secure call that does nothing (SC_NULL): VTL0 -> EL2 ->
 * VTL1 secure kernel -> EL2 -> VTL0. */
static uint64_t loop_vtl_call(void)
{
    uint64_t t0 = cycles();
    for (unsigned i = 0; i < ROUNDS; i++) {
        register uint64_t x0 __asm__("x0") = OVBS_VTL_CALL;
        register uint64_t x1 __asm__("x1") = SC_NULL;
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1) : : "x2", "x3", "memory");
    }
    return cycles() - t0;
}

static uint64_t loop_vtl_nop(void)
{
    uint64_t t0 = cycles();
    for (unsigned i = 0; i < ROUNDS; i++) {
        register uint64_t x0 __asm__("x0") = OVBS_VTL_CALL;
        register uint64_t x1 __asm__("x1") = SC_NULL;
        __asm__ volatile("nop" : "+r"(x0), "+r"(x1) : : "x2", "x3", "memory");
    }
    return cycles() - t0;
}

/* Whole secure calls that change protections, alternating read-only and
 * full access so every call changes the tables. Per call. */
#define PROTECT_ROUNDS 64

static uint64_t time_protect(uint64_t gpa, uint64_t pages)
{
    uint64_t t0 = cycles();
    for (unsigned i = 0; i < PROTECT_ROUNDS; i++) {
        unsigned mask = (i & 1) ? OVBS_ACC_RWX : OVBS_ACC_R;
        if (vcall(SC_PROTECT, gpa, pages, mask).x0 != HV_STATUS_SUCCESS)
            return 0;
    }
    return (cycles() - t0) / PROTECT_ROUNDS;
}

/* Loading (copy, hash, verify the signature, build the address space, run
 * it to its first receive) and a null call into a loaded trustlet. */
extern const uint8_t tl_echo_start[], tl_echo_end[];

static void bench_trustlets(void)
{
    static struct tl_out out;
    static uint8_t reply[64];
    uint64_t size = (uint64_t)(tl_echo_end - tl_echo_start);
    uint64_t t0 = cycles();
    struct hv_result r = vcall(SC_TL_LOAD, (uint64_t)(uintptr_t)tl_echo_start, size, 0);
    uint64_t load = cycles() - t0;
    uint64_t session = vcall(SC_TL_OPEN, 0x0ec40001, 0, 0).x1;
    out.buf = (uint64_t)(uintptr_t)reply;
    out.max = sizeof(reply);
    (void)hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, session, 0, 0, 0, (uint64_t)(uintptr_t)&out);
    t0 = cycles();
    for (unsigned i = 0; i < 100; i++)
        (void)hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, session, 0, 0, 0, (uint64_t)(uintptr_t)&out);
    uint64_t call = (cycles() - t0) / 100;
    vcall(SC_TL_UNLOAD, r.x1, 0, 0);
    if (r.x0 == HV_STATUS_SUCCESS) {
        kprintf("BENCH trustlet_load_verify %lu\n", load);
        kprintf("BENCH trustlet_call_null_roundtrip %lu\n", call);
    }
}

/* A call into a trustlet that uses FP/SIMD right after another trustlet
 * did: the secure kernel saves the other's registers and loads this one's
 * (sk/fpu.c) on the first FP instruction. A register spy and the echo
 * trustlet take turns; only echo's calls are counted (the same call as
 * trustlet_call_null_roundtrip but for the FP work). */
extern const uint8_t tl_regspy_a_start[], tl_regspy_a_end[];
#define ECHO_FP_WORK 17

static uint64_t fp_call(uint64_t session, uint64_t cmd, struct tl_out *out)
{
    return hvc6(OVBS_VTL_CALL, SC_TL_INVOKE, session, cmd, 0, 0, (uint64_t)(uintptr_t)out).x0;
}

static void bench_trustlet_fp(void)
{
    static struct tl_out out;
    static uint8_t reply[64];
    out.buf = (uint64_t)(uintptr_t)reply;
    out.max = sizeof(reply);
    uint64_t ha = vcall(SC_TL_LOAD, (uint64_t)(uintptr_t)tl_regspy_a_start,
                        (uint64_t)(tl_regspy_a_end - tl_regspy_a_start), 0).x1;
    uint64_t hb = vcall(SC_TL_LOAD, (uint64_t)(uintptr_t)tl_echo_start,
                        (uint64_t)(tl_echo_end - tl_echo_start), 0).x1;
    uint64_t sa = vcall(SC_TL_OPEN, REGSPY_A_ID, 0, 0).x1;
    uint64_t sb = vcall(SC_TL_OPEN, 0x0ec40001, 0, 0).x1;
    uint64_t total = 0, failed = 0;
    for (unsigned i = 0; i < 100; i++) {
        failed |= fp_call(sa, REGSPY_FP_WORK, &out);
        uint64_t t0 = cycles();
        failed |= fp_call(sb, ECHO_FP_WORK, &out);
        total += cycles() - t0;
    }
    vcall(SC_TL_UNLOAD, ha, 0, 0);
    vcall(SC_TL_UNLOAD, hb, 0, 0);
    if (!failed)
        kprintf("BENCH trustlet_call_fp_roundtrip %lu\n", total / 100);
}

/* ---- four CPUs --------------------------------------------------------------
 * Under -icount shift=0,sleep=off QEMU runs the vCPUs in turn on one
 * virtual clock, and PMCCNTR follows that clock: it counts every CPU's
 * instructions, not this CPU's. The instructions-retired event (0x08),
 * which on hardware is per CPU, is no different in QEMU (7.2: it reads the
 * same global instruction count, icount_get_raw), so neither can say what
 * one CPU did while others ran. These benchmarks therefore measure on the
 * boot CPU what all four CPUs retired in a window and account for the
 * others' share: event counter 0 with event 0x08 (PMEVTYPER0_EL0, NSH so
 * EL2 counts too under hv.bench), 64 bits wide (PMCR_EL0.LP). */
void pmu_insn_start(bool count_el2)
{
    WRITE_SYSREG(pmevtyper0_el0, 0x08 | (count_el2 ? 1ull << 27 : 0));
    WRITE_SYSREG(pmcntenset_el0, 1);
    WRITE_SYSREG(pmcr_el0, READ_SYSREG(pmcr_el0) | 0x81); /* E, LP */
    WRITE_SYSREG(pmevcntr0_el0, 0);
    isb();
}

uint64_t pmu_insn_read(void)
{
    isb();
    return READ_SYSREG(pmevcntr0_el0);
}

static struct barrier bench_barrier;

/* Null secure calls on all four CPUs at once: the window opens on the boot
 * CPU before the barrier that starts all four (a CPU released first would
 * otherwise run its whole loop before the boot CPU looks) and closes after
 * the one they all reach when done; every CPU makes ROUNDS calls in it. The
 * same window with a nop for the HVC is the loops' and barriers' own cost. */
static volatile uint64_t window;

static uint64_t window_of(uint64_t (*loop)(void))
{
    bool boot = this_cpu()->index == 0;
    uint64_t t0 = boot ? pmu_insn_read() : 0;
    barrier_wait(&bench_barrier, 4);
    (void)loop();
    barrier_wait(&bench_barrier, 4);
    if (boot)
        window = pmu_insn_read() - t0;
    return 0;
}

static uint64_t vtl_calls_loop(void)
{
    for (unsigned i = 0; i < ROUNDS; i++) {
        register uint64_t x0 __asm__("x0") = OVBS_VTL_CALL;
        register uint64_t x1 __asm__("x1") = SC_NULL;
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1) : : "x2", "x3", "memory");
    }
    return 0;
}

static uint64_t vtl_nops_loop(void)
{
    for (unsigned i = 0; i < ROUNDS; i++) {
        register uint64_t x0 __asm__("x0") = OVBS_VTL_CALL;
        register uint64_t x1 __asm__("x1") = SC_NULL;
        __asm__ volatile("nop" : "+r"(x0), "+r"(x1) : : "x2", "x3", "memory");
    }
    return 0;
}

static uint64_t calls_window(uint64_t unused)
{
    (void)unused;
    (void)window_of(vtl_calls_loop); /* warm up */
    return window_of(vtl_calls_loop);
}

static uint64_t nops_window(uint64_t unused)
{
    (void)unused;
    return window_of(vtl_nops_loop);
}

/* VTL0 work that never leaves VTL0, on the other three CPUs while the boot
 * CPU protects: busy_spin (entry.S) counts the iterations that saw phase 1
 * at exactly BUSY_INSNS instructions each, so their share of the window
 * can be taken out; what remains is the boot CPU's protect calls plus
 * whatever the other CPUs did outside that loop for them (the shootdown). */
#define BUSY_INSNS 5
extern uint64_t busy_spin(volatile uint32_t *phase);
static volatile uint32_t busy_phase;

static uint64_t busy_loop(uint64_t unused)
{
    (void)unused;
    return busy_spin(&busy_phase);
}

static bool protect_window(uint64_t gpa, uint64_t *insns)
{
    bool ok = true;
    __atomic_store_n(&busy_phase, 1, __ATOMIC_RELEASE);
    uint64_t t0 = pmu_insn_read();
    for (unsigned i = 0; i < PROTECT_ROUNDS; i++) {
        unsigned mask = (i & 1) ? OVBS_ACC_RWX : OVBS_ACC_R;
        ok &= vcall(SC_PROTECT, gpa, 1, mask).x0 == HV_STATUS_SUCCESS;
    }
    *insns = pmu_insn_read() - t0;
    __atomic_store_n(&busy_phase, 2, __ATOMIC_RELEASE);
    return ok;
}

static void bench_4cpu(void)
{
    if (cpus_online() < 4) {
        kprintf("bench: fewer than 4 CPUs online, no 4-CPU numbers\n");
        return;
    }
    pmu_insn_start(true);
    uint64_t with = 0, without = 0;
    if (!run_on_cpus(4, calls_window, 0, 0, 600 * TICKS_PER_SECOND))
        return;
    with = window;
    if (!run_on_cpus(4, nops_window, 0, 0, 600 * TICKS_PER_SECOND))
        return;
    without = window;
    kprintf("BENCH vtl_call_null_4cpu %lu\n", (with - without) / (4 * ROUNDS) + 1);

    static uint8_t page[4096] __attribute__((aligned(4096)));
    busy_phase = 0;
    for (unsigned c = 1; c < 4; c++)
        smp_post(c, busy_loop, 0);
    uint64_t insns = 0, busy = 0, iterations = 0;
    bool ok = protect_window(pa(page), &insns);
    for (unsigned c = 1; c < 4; c++) {
        ok &= smp_wait(c, 600 * TICKS_PER_SECOND, &iterations);
        busy += iterations * BUSY_INSNS;
    }
    if (ok && insns > busy)
        kprintf("BENCH protect_1_page_4cpu %lu\n", (insns - busy) / PROTECT_ROUNDS);
}

void run_bench(void)
{
    pmu_start();
    (void)loop_hvc(); /* warm up */
    uint64_t with = loop_hvc(), without = loop_nop();
    uint64_t per_call = (with - without) / ROUNDS + 1;
    kprintf("BENCH hypercall_null_roundtrip %lu\n", per_call);
    kprintf("BENCH boot_to_vtl0 %lu\n", boot_insns + OVBS_BOOT_UNCOUNTED_INSNS);
    (void)loop_vtl_call();
    uint64_t vwith = loop_vtl_call(), vwithout = loop_vtl_nop();
    kprintf("BENCH vtl_call_null_roundtrip %lu\n", (vwith - vwithout) / ROUNDS + 1);
    /* One page of this kernel's data, and the last 2 MiB of its RAM (one
     * stage-2 block), which nothing here uses. */
    static uint8_t page[4096] __attribute__((aligned(4096)));
    uint64_t top = (vtl0_ram_base + vtl0_ram_size - (2u << 20)) & ~((2ull << 20) - 1);
    kprintf("BENCH protect_1_page %lu\n", time_protect((uint64_t)(uintptr_t)page, 1));
    kprintf("BENCH protect_512_pages %lu\n", time_protect(top, 512));
    bench_trustlets();
    bench_trustlet_fp();
    bench_4cpu();
}
