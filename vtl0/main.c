/* main.c: VTL0 test kernel start-up (EL1 of VTL0): find the console and
 * RAM in the device tree the hypervisor handed over, enable our own MMU,
 * then give the console to the user. */
#include <libfdt.h>
#include <stdarg.h>
#include <string.h>
#include "arm64/sysreg.h"
#include "fmt.h"
#include "kernel.h"
#include "panic.h"
#include "pci.h"
#include "pl011.h"
#include "spinlock.h"

uint64_t vtl0_ram_base, vtl0_ram_size;
uintptr_t uart_base;
uint64_t boot_insns;

/* One line at a time on the console once other CPUs run. Not before: with
 * the MMU still off, memory is Device memory, where the lock's atomics
 * need not work. A CPU must not print from an interrupt that may have
 * arrived inside its own kprintf (only "unexpected interrupt" does). */
static struct spinlock console_lock = SPINLOCK_INIT;
volatile bool console_shared;

void kprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    bool lock = console_shared;
    if (lock)
        spin_lock(&console_lock);
    pl011_write(buf, n < (int)sizeof(buf) ? (unsigned long)n : sizeof(buf) - 1);
    if (lock)
        spin_unlock(&console_lock);
}

void poweroff(void)
{
    smc(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfe");
}

_Noreturn void panic(const char *msg)
{
    kprintf("VTL0 PANIC: %s\n", msg);
    poweroff();
    for (;;)
        ;
}

static uint64_t cells(const fdt32_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 32) | fdt32_to_cpu(p[i]);
    return v;
}

/* The console is the PL011 that /chosen/stdout-path names, else the first. */
static bool find_uart(const void *fdt)
{
    int node = -1;
    int chosen = fdt_path_offset(fdt, "/chosen");
    const char *path = chosen >= 0 ? fdt_getprop(fdt, chosen, "stdout-path", NULL) : NULL;
    if (path) {
        /* "path[:options]": the node path ends at the first ':'. */
        const char *colon = strchr(path, ':');
        int n = colon ? (int)(colon - path) : (int)strlen(path);
        node = fdt_path_offset_namelen(fdt, path, n);
    }
    if (node < 0)
        node = fdt_node_offset_by_compatible(fdt, -1, "arm,pl011");
    if (node < 0)
        return false;
    int len;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
    int ac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node));
    if (!reg || ac < 1 || ac > 2 || len < ac * 4)
        return false;
    uart_base = (uintptr_t)cells(reg, ac);
    return true;
}

static bool find_ram(const void *fdt)
{
    int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", sizeof("memory"));
    int ac = fdt_address_cells(fdt, 0), sc = fdt_size_cells(fdt, 0);
    int len;
    const fdt32_t *reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;
    if (!reg || ac < 1 || ac > 2 || sc < 1 || sc > 2 || len < (ac + sc) * 4)
        return false;
    /* Use the range that holds this kernel. */
    extern char __kernel_start[];
    uint64_t k = (uint64_t)(uintptr_t)__kernel_start;
    for (int off = 0; off + (ac + sc) * 4 <= len; off += (ac + sc) * 4) {
        uint64_t base = cells(reg + off / 4, ac), size = cells(reg + off / 4 + ac, sc);
        if (k >= base && k - base < size) {
            vtl0_ram_base = base;
            vtl0_ram_size = size;
            return true;
        }
    }
    return false;
}

/* The GICv3 distributor and first redistributor: first and second reg
 * entries of the arm,gic-v3 node. */
static void find_gicr(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");
    int len;
    const fdt32_t *reg = node >= 0 ? fdt_getprop(fdt, node, "reg", &len) : NULL;
    int ac = node >= 0 ? fdt_address_cells(fdt, fdt_parent_offset(fdt, node)) : 0;
    int sc = node >= 0 ? fdt_size_cells(fdt, fdt_parent_offset(fdt, node)) : 0;
    if (reg && ac >= 1 && ac <= 2 && sc >= 0 && sc <= 2 && len >= 2 * (ac + sc) * 4) {
        gicd_base = cells(reg, ac);
        gicr_base = cells(reg + ac + sc, ac);
    }
}

/* The EL1 virtual timer's INTID: third PPI of the arm,armv8-timer node. */
static void find_timer(const void *fdt)
{
    int node = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer");
    int len;
    const fdt32_t *irq = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;
    if (irq && len >= 9 * 4 && fdt32_to_cpu(irq[6]) == 1)
        timer_intid = 16 + fdt32_to_cpu(irq[7]);
}

const void *vtl0_fdt;

void kmain(const void *fdt, uint64_t first_insn_count)
{
    boot_insns = first_insn_count;
    vtl0_fdt = fdt;
    if (fdt_check_header(fdt) || !find_uart(fdt))
        poweroff(); /* nowhere to print */
    pl011_init(uart_base);
    if (!find_ram(fdt))
        panic("no memory node for this kernel");
    kprintf("VTL0 test kernel at EL%lu: RAM [0x%lx, 0x%lx), console 0x%lx\n",
            (READ_SYSREG(CurrentEL) >> 2) & 3, vtl0_ram_base, vtl0_ram_base + vtl0_ram_size,
            (uint64_t)uart_base);
    find_timer(fdt);
    find_gicr(fdt);
    pci_dt_init(fdt); /* the tree is outside the stage 1 we build next */
    smp_dt_init(fdt);
    smp_boot_init();
    mmu_init();
    irq_init();
    smp_start_all();
    console_run();
}
