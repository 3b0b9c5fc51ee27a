/* main.c: the hypervisor's boot sequence on the boot CPU (EL2, MMU off on
 * entry, nothing else running). Order: discover the platform from the device
 * tree, carve memory, turn on the EL2 MMU, build VTL0's stage 2, load VTL0
 * and drop to it. Nothing the guest does can bring control back here. */
#include <libfdt.h>
#include "arm64/sysreg.h"
#include "hv.h"
#include "trap.h"
#include "openvbs/hvcall.h"
#include "gic.h"
#include "percpu.h"
#include "smmu.h"
#include "vtl.h"

/* QEMU's virt machine loads the device tree at the base of RAM when the
 * image is linked above it and passes 0 in x0 for ELF images (BRIEF §3).
 * This is the one platform address the hypervisor knows without the tree. */
#define QEMU_VIRT_FDT_ADDR 0x40000000ull

struct hv_cpu hv_cpus[HV_MAX_CPUS];
uint8_t hv_stacks[HV_MAX_CPUS][HV_STACK_GUARD + HV_STACK_SIZE] __attribute__((aligned(4096)));
static uint8_t panic_stacks[HV_MAX_CPUS][HV_PANIC_STACK] __attribute__((aligned(16)));

struct platform hv_platform;
uint64_t hv_features;
const void *hv_boot_fdt;
extern bool hv_bench_mode;
extern uintptr_t __stack_chk_guard;

unsigned cpu_pa_bits(void);

bool cpu_has_xnx(void)
{
    return ((READ_SYSREG(id_aa64mmfr1_el1) >> 28) & 0xf) == 1; /* ID_AA64MMFR1_EL1.XNX */
}

static bool cpu_has_rndr(void)
{
    return ((READ_SYSREG(id_aa64isar0_el1) >> 60) & 0xf) >= 1; /* ID_AA64ISAR0_EL1.RNDR */
}

static bool cpu_has_pauth(void)
{
    uint64_t isar1 = READ_SYSREG(id_aa64isar1_el1);
    return ((isar1 >> 4) & 0xf) || ((isar1 >> 8) & 0xf); /* APA or API */
}

/* RNDR sets NZCV.Z on failure; retry a few times, then mix in the counter. */
static uint64_t random64(void)
{
    if (cpu_has_rndr()) {
        for (int i = 0; i < 16; i++) {
            uint64_t v, fail;
            __asm__ volatile("mrs %0, s3_3_c2_c4_0\n cset %1, eq" : "=r"(v), "=r"(fail));
            if (!fail)
                return v;
        }
    }
    return READ_SYSREG(cntpct_el0) * 0x9e3779b97f4a7c15ull;
}

/* ID_AA64PFR1_EL1.SME (bits 27:24): SME brings TPIDR2_EL0, which no trap
 * covers (CPTR_EL2.TSM traps SME instructions and SMCR/SVCR, not it). */
static bool cpu_has_tpidr2(void)
{
    return ((READ_SYSREG(id_aa64pfr1_el1) >> 24) & 0xf) != 0;
}

/* ID_AA64PFR0_EL1.RAS (bits 31:28): VDISR_EL2 and VSESR_EL2 exist. */
static bool cpu_has_ras(void)
{
    return ((READ_SYSREG(id_aa64pfr0_el1) >> 28) & 0xf) != 0;
}

static void detect_features(void)
{
    if (cpu_has_tpidr2())
        hv_features |= OVBS_FEAT_TPIDR2;
    if (cpu_has_ras())
        hv_features |= OVBS_FEAT_RAS;
    if (cpu_has_xnx())
        hv_features |= OVBS_FEAT_XNX;
    if (cpu_has_rndr())
        hv_features |= OVBS_FEAT_RNDR;
    if (cpu_has_pauth())
        hv_features |= OVBS_FEAT_PAUTH;
    if (hv_platform.has_smmu)
        hv_features |= OVBS_FEAT_SMMU;
}

static void init_cpu(unsigned i, uint64_t mpidr)
{
    struct hv_cpu *c = &hv_cpus[i];
    c->index = i;
    c->mpidr = mpidr;
    c->vp = NULL;
    c->panic_sp = (uint64_t)(uintptr_t)(panic_stacks[i] + HV_PANIC_STACK);
    c->stack_top = (uint64_t)(uintptr_t)(hv_stacks[i] + HV_STACK_GUARD + HV_STACK_SIZE);
}

/* Before firmware starts CPU `cpu` (psci.c): its struct hv_cpu, which its
 * entry reads with the MMU off, is written and cleaned to the point of
 * coherency. */
void hv_cpu_prepare(unsigned cpu)
{
    init_cpu(cpu, hv_platform.cpu_mpidr[cpu]);
    clean_to_poc(&hv_cpus[cpu], sizeof(hv_cpus[cpu]));
}

/* A secondary CPU, MMU on, on its own stack (entry.S): the EL2 controls
 * the boot CPU set, its GIC CPU interface and redistributor, then its VP. */
_Noreturn void hv_secondary_main(struct hv_cpu *cpu)
{
    /* MPIDR_EL1 bit 31 is RES1, bit 30 U, 24 MT: only the affinity fields count. */
    if ((READ_SYSREG(mpidr_el1) & 0xff00ffffffull) != (cpu->mpidr & 0xff00ffffffull) &&
        hv_log_allowed(LOG_SRC_PSCI))
        hv_log("CPU %u: MPIDR 0x%lx, expected 0x%lx", cpu->index, READ_SYSREG(mpidr_el1),
               cpu->mpidr);
    stage2_cpu_init();
    el2_controls_setup();
    gic_cpu_init(cpu);
    vtl_start_vp(cpu);
}

/* Before firmware's CPU_OFF: this CPU's timers stop and its CPU interface
 * takes no more interrupts; the VP is gone. */
void hv_cpu_stop(struct hv_cpu *cpu)
{
    WRITE_SYSREG(cnthp_ctl_el2, 0);
    WRITE_SYSREG(cntv_ctl_el0, 0);
    gic_cpu_stop(cpu);
    cpu->vp = NULL;
}

static void report_platform(void)
{
    const struct platform *p = &hv_platform;
    for (unsigned i = 0; i < p->nram; i++)
        hv_log("RAM   [0x%010lx, 0x%010lx) %lu MiB", p->ram[i].base,
               p->ram[i].base + p->ram[i].size, p->ram[i].size >> 20);
    hv_log("UART  0x%lx, GICv%u dist 0x%lx redist 0x%lx, %u CPU(s)", p->uart.base,
           p->gic_version, p->gicd.base, p->gicr.base, p->ncpus);
    hv_log("PSCI  %s, PCIe ECAM 0x%lx, SMMUv3 %s",
           p->psci ? (p->psci_smc ? "smc" : "hvc") : "absent", p->has_pcie ? p->ecam.base : 0,
           p->has_smmu ? "present (kept by hv)" : "absent");
    hv_log("CPU   XNX %s, RNDR %s, PAuth %s, PA %u bits", cpu_has_xnx() ? "yes" : "no",
           cpu_has_rndr() ? "yes" : "no", cpu_has_pauth() ? "yes" : "no", cpu_pa_bits());
    if (p->pcie_unprotected)
        hv_log("PCIe  host bridge has no SMMU in front of it (no iommu-map to the SMMU): "
               "kept from VTL0, its devices could DMA anywhere");
    if (p->bootargs[0])
        hv_log("args  %s", p->bootargs);
}

/* Deliberate failures, selected on the command line, that prove the fatal
 * paths report and stop, or that a forged interrupt is refused (tests/qemu
 * checks them). */
static volatile uint64_t selftest_sink;

static uint64_t recurse(uint64_t n)
{
    volatile uint8_t pad[512];
    pad[0] = (uint8_t)n;
    if (n == ~0ull) /* never true: keeps the compiler from proving endlessness */
        return pad[0];
    return recurse(n + 1) + pad[0];
}

static void run_selftests(void)
{
    if (platform_has_arg(&hv_platform, "hv.selftest=stack-overflow")) {
        hv_log("selftest: overflowing the boot stack");
        selftest_sink = recurse(0);
    }
    if (platform_has_arg(&hv_platform, "hv.selftest=exec-data")) {
        static uint32_t code[1] = { 0xd65f03c0 }; /* ret, in RW data: never executable */
        hv_log("selftest: executing from hypervisor data");
        ((void (*)(void))(uintptr_t)code)();
    }
    if (platform_has_arg(&hv_platform, "hv.selftest=write-text")) {
        hv_log("selftest: writing to hypervisor text");
        *(volatile uint32_t *)(uintptr_t)&run_selftests = 0;
    }
    if (platform_has_arg(&hv_platform, "hv.selftest=smmu-bad-command")) {
        hv_log("selftest: an illegal command on the SMMU's command queue");
        smmu_selftest_bad_command();
    }
    if (platform_has_arg(&hv_platform, "hv.selftest=forge-timer")) {
        hv_log("selftest: timer PPIs 26 and 27 set pending with no timer armed");
        gic_selftest_forge_timers();
    }
}

void hv_main(uint64_t fdt_addr)
{
    hv_boot_fdt = (const void *)(uintptr_t)(fdt_addr ? fdt_addr : QEMU_VIRT_FDT_ADDR);
    init_cpu(0, READ_SYSREG(mpidr_el1));
    int rc = platform_parse(hv_boot_fdt, &hv_platform);
    if (rc != PLAT_OK) {
        if (hv_platform.uart.size)
            hv_console_init(hv_platform.uart.base);
        hv_log("FATAL: device tree: %s", platform_error(rc));
        hv_halt_failure(); /* without a UART this is silent: nothing to print on */
    }
    hv_console_init(hv_platform.uart.base);
    uint64_t boot_insns = READ_SYSREG(pmccntr_el0);
    hv_log("OpenVBS hypervisor %d.%d at EL2 (%lu instructions since reset)", OVBS_REVISION_MAJOR,
           OVBS_REVISION_MINOR, boot_insns + HV_BOOT_UNCOUNTED);
    __stack_chk_guard = (uintptr_t)random64();
    hv_bench_mode = platform_has_arg(&hv_platform, "hv.bench");
    hv_selftest_vserror = platform_has_arg(&hv_platform, "hv.selftest=vserror");
    hv_selftest_forge_vtl1_timer = platform_has_arg(&hv_platform, "hv.selftest=forge-vtl1-timer");
    detect_features();
    report_platform();
    smccc_arch_probe();
    mem_init();
    mmu_el2_init();
    gic_init();
    smmu_init();
    run_selftests();
    loader_boot();
}
