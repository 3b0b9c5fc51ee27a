/* smp.c: the VTL0 test kernel on several CPUs (EL1 of VTL0): the CPUs of
 * the device tree, started through PSCI CPU_ON (which the hypervisor relays
 * once the secure kernel has set up VTL1 on that VP), and a mailbox per CPU
 * through which one CPU runs a function on another and waits for it. */
#include <libfdt.h>
#include <string.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pt_el1.h"

struct percpu cpus[MAX_CPUS];
unsigned num_cpus = 1;
static uint8_t stacks[MAX_CPUS][SMP_STACK_SIZE] __attribute__((aligned(16)));

uint64_t ticks_now(void)
{
    isb();
    return READ_SYSREG(cntvct_el0);
}

static void sev(void)
{
    __asm__ volatile("dsb ish\n sev" ::: "memory");
}

static void wfe(void)
{
    __asm__ volatile("wfe" ::: "memory");
}

/* The /cpus nodes' `reg` (MPIDR affinity), in tree order. */
void smp_dt_init(const void *fdt)
{
    int parent = fdt_path_offset(fdt, "/cpus");
    if (parent < 0)
        return;
    int ac = fdt_address_cells(fdt, parent);
    unsigned n = 0;
    int node;
    fdt_for_each_subnode(node, fdt, parent) {
        const char *type = fdt_getprop(fdt, node, "device_type", NULL);
        int len;
        const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
        if (!type || strcmp(type, "cpu") || !reg || ac < 1 || ac > 2 || len < ac * 4)
            continue;
        if (n == MAX_CPUS)
            break;
        uint64_t mpidr = fdt32_to_cpu(reg[0]);
        if (ac == 2)
            mpidr = (mpidr << 32) | fdt32_to_cpu(reg[1]);
        cpus[n].mpidr = mpidr;
        cpus[n].index = n;
        n++;
    }
    if (n)
        num_cpus = n;
}

static uint64_t my_mpidr(void)
{
    return READ_SYSREG(mpidr_el1) & 0xff00ffffffull;
}

/* The boot CPU: whichever entry has its MPIDR (index 0 if the tree had
 * none). From here on this_cpu() works on it. */
void smp_boot_init(void)
{
    unsigned me = 0;
    for (unsigned i = 0; i < num_cpus; i++) {
        if (cpus[i].mpidr == my_mpidr())
            me = i;
    }
    cpus[me].index = me;
    cpus[me].mpidr = my_mpidr();
    cpus[me].online = true;
    __asm__ volatile("msr tpidr_el1, %0" : : "r"(&cpus[me]) : "memory");
    isb();
}

unsigned cpus_online(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < num_cpus; i++)
        n += cpus[i].online;
    return n;
}

/* The mailbox loop of every CPU but the boot CPU. A CPU started again
 * after CPU_OFF comes back here with whatever was posted before dropped.
 * An idle CPU sleeps in WFI, woken by the poster's SMP_WAKE_SGI: under
 * QEMU -icount a WFE only yields, and idle CPUs spinning through WFE would
 * move the virtual clock that the boot CPU's cycle counter follows (the
 * single-CPU benchmarks). WFI returns on a pending interrupt even with
 * IRQs masked, so one that came before it is not lost; it is then taken
 * (and counted) in the short unmasked window. */
static void idle(void)
{
    __asm__ volatile("wfi" ::: "memory");
    irq_enable();
    isb();
    irq_disable();
}

static _Noreturn void mailbox_loop(struct percpu *c)
{
    c->done = c->posted;
    c->online = true;
    sev();
    for (;;) {
        while (__atomic_load_n(&c->posted, __ATOMIC_ACQUIRE) == c->done)
            idle();
        unsigned seq = c->posted;
        c->result = c->fn(c->arg);
        __atomic_store_n(&c->done, seq, __ATOMIC_RELEASE);
        sev();
    }
}

extern uint64_t mmu_root(void);

_Noreturn void secondary_main(struct percpu *c)
{
    el1_mmu_enable(mmu_root(), 0);
    irq_init_cpu();
    kprintf("VTL0: CPU %u (MPIDR 0x%lx) up on VP %u\n", c->index, my_mpidr(), c->index);
    mailbox_loop(c);
}

/* Caches off on the new CPU until it turns its MMU on: its first reads of
 * the struct (stack top) go to memory, so clean the struct to it. */
static void clean_to_poc(const void *p, uint64_t len)
{
    for (uint64_t a = pa(p) & ~63ull; a < pa(p) + len; a += 64)
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    __asm__ volatile("dsb sy" ::: "memory");
}

int64_t smp_cpu_on(unsigned cpu)
{
    extern char secondary_start[];
    struct percpu *c = &cpus[cpu];
    c->stack_top = pa(stacks[cpu]) + SMP_STACK_SIZE;
    c->index = cpu;
    /* online stays as it is: the CPU sets it once it runs, and clears it
     * before CPU_OFF (a refused CPU_ON must not mark a running CPU off). */
    clean_to_poc(c, sizeof(*c));
    return (int64_t)smc(PSCI_CPU_ON_64, c->mpidr, pa(secondary_start), pa(c)).x0;
}

/* Wait for a started CPU to say it runs (its mailbox loop); false if it
 * has not after `ticks`. */
static bool wait_online(unsigned cpu, uint64_t ticks)
{
    uint64_t until = ticks_now() + ticks;
    while (!cpus[cpu].online) {
        if (ticks_now() > until)
            return false;
        wfe();
    }
    return true;
}

extern volatile bool console_shared;

void smp_start_all(void)
{
    struct percpu *me = this_cpu();
    console_shared = true;
    kprintf("VTL0: CPU %u (MPIDR 0x%lx) up on VP %u (boot CPU); %u CPUs in the device tree\n",
            me->index, me->mpidr, me->index, num_cpus);
    for (unsigned i = 0; i < num_cpus; i++) {
        if (i == me->index)
            continue;
        int64_t st = smp_cpu_on(i);
        if (st != PSCI_RET_SUCCESS) {
            kprintf("VTL0: CPU %u (MPIDR 0x%lx): CPU_ON refused, status %ld\n", i,
                    cpus[i].mpidr, (long)st);
            continue;
        }
        if (!wait_online(i, 10 * TICKS_PER_SECOND))
            kprintf("VTL0: CPU %u (MPIDR 0x%lx): started, but never came up\n", i,
                    cpus[i].mpidr);
    }
    kprintf("VTL0: %u of %u CPUs online\n", cpus_online(), num_cpus);
}

void smp_post(unsigned cpu, uint64_t (*fn)(uint64_t), uint64_t arg)
{
    struct percpu *c = &cpus[cpu];
    c->fn = fn;
    c->arg = arg;
    __atomic_store_n(&c->posted, c->posted + 1, __ATOMIC_RELEASE);
    __asm__ volatile("dsb ish" ::: "memory");
    sgi_send(SMP_WAKE_SGI, 1u << cpu, false);
}

bool smp_wait(unsigned cpu, uint64_t timeout_ticks, uint64_t *result)
{
    struct percpu *c = &cpus[cpu];
    uint64_t until = ticks_now() + timeout_ticks;
    while (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE) != c->posted) {
        if (ticks_now() > until)
            return false;
        wfe();
    }
    if (result)
        *result = c->result;
    return true;
}

bool smp_run(unsigned cpu, uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t *result)
{
    if (cpu == this_cpu()->index) {
        uint64_t r = fn(arg);
        if (result)
            *result = r;
        return true;
    }
    if (!cpus[cpu].online)
        return false;
    smp_post(cpu, fn, arg);
    return smp_wait(cpu, 60 * TICKS_PER_SECOND, result);
}

/* One ICC_SGI1R_EL1 write per target (each CPU's own affinity fields), or
 * one with IRM set for all but this CPU. */
static void sgi1r_write(uint64_t v)
{
    __asm__ volatile("msr s3_0_c12_c11_5, %0\n isb" : : "r"(v) : "memory");
}

void sgi_send(unsigned intid, uint32_t mask, bool others)
{
    uint64_t id = (uint64_t)(intid & 0xf) << 24;
    if (others) {
        sgi1r_write(id | (1ull << 40));
        return;
    }
    for (unsigned i = 0; i < num_cpus; i++) {
        if (!(mask & (1u << i)))
            continue;
        uint64_t m = cpus[i].mpidr;
        uint64_t v = id | (1ull << (m & 0xf)) | (((m & 0xff) >> 4) << 44) |
                     (((m >> 8) & 0xff) << 16) |
                     (((m >> 16) & 0xff) << 32) | (((m >> 32) & 0xff) << 48);
        sgi1r_write(v);
    }
}
