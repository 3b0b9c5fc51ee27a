/* fatal.c: the hypervisor's last words (EL2). An exception taken at EL2, a
 * failed boot step or a failed internal check prints a decoded report and
 * stops the machine with a failure status: through a pvpanic PCI device when
 * the platform has one (QEMU exits non-zero with -action panic=exit-failure),
 * otherwise by a firmware reset request; then the CPU is parked. */
#include "arm64/sysreg.h"
#include "hv.h"
#include "layout.h"
#include "openvbs/hvcall.h"
#include "panic.h"
#include "percpu.h"

#define PCI_VENDOR_REDHAT     0x1b36
#define PCI_DEVICE_PVPANIC    0x0011
#define PCI_COMMAND           0x04
#define PCI_COMMAND_MEMORY    0x2
#define PCI_BAR0              0x10
#define PVPANIC_PANICKED      0x1

static uint64_t mem32_window(void)
{
    for (unsigned i = 0; i < hv_platform.ndev; i++) {
        const char *n = hv_platform.dev[i].name;
        if (n[0] == 'p' && n[5] == 'm' && n[8] == '3') /* "pcie-mem32" */
            return hv_platform.dev[i].base;
    }
    return 0;
}

/* Find pvpanic on bus 0 of the ECAM, give BAR0 an address in the 32-bit
 * window, and write PANICKED. Runs with the EL2 MMU off, so every access
 * is Device-nGnRnE and nothing needs mapping. */
static bool pvpanic_signal(void)
{
    uint64_t window = mem32_window();
    if (!hv_platform.has_pcie || !window)
        return false;
    for (unsigned dev = 0; dev < 32; dev++) {
        volatile uint32_t *cfg = (volatile uint32_t *)(uintptr_t)(hv_platform.ecam.base +
                                                                   ((uint64_t)dev << 15));
        uint32_t id = cfg[0];
        if ((id & 0xffff) != PCI_VENDOR_REDHAT || (id >> 16) != PCI_DEVICE_PVPANIC)
            continue;
        cfg[PCI_BAR0 / 4] = (uint32_t)window;
        cfg[PCI_COMMAND / 4] |= PCI_COMMAND_MEMORY;
        dsb_sy();
        *(volatile uint8_t *)(uintptr_t)window = PVPANIC_PANICKED;
        dsb_sy();
        return true;
    }
    return false;
}

_Noreturn void hv_halt_failure(void)
{
    hv_log("halting the machine (failure)");
    uint64_t sctlr = READ_SYSREG(sctlr_el2);
    WRITE_SYSREG(sctlr_el2, sctlr & ~1ull); /* MMU off: identity mapped, safe */
    isb();
    /* After pvpanic, only wait: a reset request now would replace the
     * panic as the reason QEMU stops, and with it the failure status. */
    if (!pvpanic_signal())
        __asm__ volatile("mov x0, %0\n smc #0" : : "r"((uint64_t)PSCI_SYSTEM_RESET) : "x0", "memory");
    for (;;)
        __asm__ volatile("wfe");
}

_Noreturn void panic(const char *msg)
{
    hv_log("FATAL: %s", msg);
    hv_halt_failure();
}

static const char *kind_name(unsigned kind)
{
    switch (kind) {
    case EXIT_SYNC: return "synchronous exception";
    case EXIT_IRQ: return "IRQ";
    case EXIT_FIQ: return "FIQ";
    default: return "SError";
    }
}

/* Called from entry.S on the panic stack. frame->x[] holds the registers,
 * frame->spsr the stack pointer at the time of the fault. */
_Noreturn void hv_fatal(struct guest_regs *frame, unsigned kind)
{
    uint64_t esr = READ_SYSREG(esr_el2), far = READ_SYSREG(far_el2);
    uint64_t elr = READ_SYSREG(elr_el2), spsr = READ_SYSREG(spsr_el2);
    unsigned ec = ESR_EC(esr);
    hv_log("FATAL: unexpected %s taken at EL2 from EL%lu", kind_name(kind), (spsr >> 2) & 3);
    if (kind == EXIT_SYNC)
        hv_log("  %s (EC 0x%02x), ESR 0x%lx, FAR 0x%lx", esr_class_name(ec), ec, esr, far);
    hv_log("  ELR 0x%lx SPSR 0x%lx SP 0x%lx CPU %u", elr, spsr, frame->spsr, this_cpu()->index);
    unsigned cpu;
    if ((ec == EC_DABT_CUR || ec == EC_SP_ALIGN) && mmu_el2_is_guard(far, &cpu))
        hv_log("  stack overflow: FAR is in the guard page below CPU %u's stack", cpu);
    if (ec == EC_DABT_CUR || ec == EC_IABT_CUR)
        hv_log("  %s", fsc_name(ISS_FSC(esr)));
    for (unsigned i = 0; i < 30; i += 2)
        hv_log("  x%-2u 0x%016lx  x%-2u 0x%016lx", i, frame->x[i], i + 1, frame->x[i + 1]);
    hv_log("  x30 0x%016lx", frame->x[30]);
    hv_halt_failure();
}
