/* bench.c: instruction counts measured from VTL0 (EL1 of VTL0) with the PMU
 * cycle counter. Under QEMU -icount shift=0 one cycle is one instruction, so
 * the numbers are exact and repeatable; elsewhere they are cycles. Counting
 * at EL2 needs the hypervisor's `hv.bench` option (MDCR_EL2.HPMD clear). */
#include "arm64/sysreg.h"
#include "kernel.h"

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

void run_bench(void)
{
    pmu_start();
    (void)loop_hvc(); /* warm up */
    uint64_t with = loop_hvc(), without = loop_nop();
    uint64_t per_call = (with - without) / ROUNDS + 1;
    kprintf("BENCH hypercall_null_roundtrip %lu\n", per_call);
    kprintf("BENCH boot_to_vtl0 %lu\n", boot_insns + 6 /* HV_BOOT_UNCOUNTED */);
}
