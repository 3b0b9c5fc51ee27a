/* kernel.h: internal interface of the VTL0 test kernel (EL1 of VTL0). This
 * kernel is the attacker's seat in the threat model: it owns VTL0 entirely
 * and tries everything the hypervisor must refuse. */
#ifndef OVBS_VTL0_KERNEL_H
#define OVBS_VTL0_KERNEL_H
#include <stdbool.h>
#include <stdint.h>
#include "arm64/smccc.h"
#include "openvbs/hvcall.h"
#include "openvbs/vsm.h"

/* Saved by the vectors in entry.S. */
struct frame {
    uint64_t x[31];
    uint64_t elr, spsr, esr, far;
    uint64_t pad;
};

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_run(void);
void poweroff(void);


/* Memory: identity-mapped stage 1 of this kernel. */
void mmu_init(void);
/* Map [pa, pa+size) into our own stage 1 as an attacker would; prot PT_*. */
bool mmu_map(uint64_t pa, uint64_t size, unsigned prot);
/* Map one page at virtual `va` to physical `pa` (an alias). */
bool mmu_map_alias(uint64_t va, uint64_t pa);
extern uint64_t vtl0_ram_base, vtl0_ram_size;
extern uintptr_t uart_base;

/* Fault probes (entry.S): on a fault they return PROBE_FAULT_VALUE and the
 * fault is described in this_cpu()->fault. */
#define PROBE_FAULT_VALUE 0xfa17fa17fa17fa17ull
struct fault_record {
    unsigned count;
    uint64_t esr, far, elr;
};
/* Each CPU's fault record is its own (struct percpu, fault): a probe on
 * one CPU never sees another CPU's fault counted. */
uint64_t probe_load(uint64_t addr);
uint64_t probe_store(uint64_t addr, uint64_t value);
uint64_t probe_dc_zva(uint64_t addr);
uint64_t probe_msr_vttbr(uint64_t value);
uint64_t probe_msr_hcr(uint64_t value);
uint64_t probe_exec(uint64_t addr);
uint64_t probe_eret_el2(void);
uint64_t probe_mrs_actlr(void);
uint64_t probe_mrs_scxtnum(void);
uint64_t probe_sve(void);
uint64_t probe_sme(void);
uint64_t probe_sgi(uint64_t value);
void expect_exec_fault(uint64_t target);
long enter_el0(uint64_t pc, uint64_t sp);
_Noreturn void el0_return(long result);
extern char user_hvc[], user_svc_exit[], user_vtl_call[];
void vtl0_scrub_probe(uint64_t *out); /* 31 x + 64 q halves + 4 sysregs */
extern uint64_t user_stack_top;
/* A VtlCall with IRQs unmasked around its HVC only (vcall_with_timer):
 * io[0..6] = x0..x6 in, io[0..3] = x0..x3 out. vtl0_timed_hvc is that HVC,
 * vtl0_timed_sp the SP it ran with. */
void vtl0_timed_vcall(uint64_t io[7]);
extern char vtl0_timed_hvc[];
extern uint64_t vtl0_timed_sp;
/* The same HVC as vtl0_timed_vcall's, with SP = `sp`, IRQs masked. */
void vtl0_vcall_same_pc(uint64_t sp, uint64_t io[7]);
/* A VtlCall from another HVC, with SP set to `sp` for it; returns x0. */
uint64_t vtl0_vcall_at_sp(uint64_t sp, uint64_t service);

/* Interrupts and the virtual timer (irq.c). */
void irq_init(void);
void irq_enable(void);
void irq_disable(void);
void timer_arm(uint64_t ticks);
void timer_stop(void);
void vtl0_irq(const struct frame *f);
extern volatile unsigned irq_count;
extern volatile bool irq_hit_in_call;
extern void (*volatile irq_hook)(void);
extern unsigned timer_intid;
extern uint64_t gicd_base; /* GICv3 distributor, 0 if unknown */
extern uint64_t gicr_base; /* first GICv3 redistributor, 0 if unknown */
/* An interrupt other than the timer a test waits for: counted, not logged. */
extern volatile uint32_t irq_expected;
extern volatile unsigned irq_expected_count;

/* The physical address of this kernel's own memory: it runs identity
 * mapped, so buffers handed to the hypervisor, VTL1 or a device are their
 * addresses. */
static inline uint64_t pa(const volatile void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* Secure calls (VtlCall into the secure kernel). */
static inline struct hv_result vcall(uint64_t service, uint64_t a, uint64_t b, uint64_t c)
{
    return hvc6(OVBS_VTL_CALL, service, a, b, c, 0, 0);
}

/* irq.c: a secure call with VTL0's timer armed to interrupt it. */
struct hv_result vcall_with_timer(uint64_t ticks, void (*hook)(void), bool *hit,
                                  uint64_t service, uint64_t a, uint64_t b, uint64_t c,
                                  uint64_t d);
struct hv_result vcall_with_timer_io(uint64_t ticks, void (*hook)(void), bool *hit,
                                     uint64_t io[7]);

/* Multiprocessor support (smp.c). CPU indices follow the device tree's
 * /cpus nodes, which is the order the hypervisor numbers its VPs in, so a
 * CPU's index is its VP index. TPIDR_EL1 holds the running CPU's struct. */
#define MAX_CPUS 8
#define SMP_STACK_SIZE 16384
struct percpu {
    uint64_t stack_top;                 /* offset 0: read by entry.S */
    unsigned index;
    uint64_t mpidr;
    volatile bool online;               /* set by the CPU itself once it runs C */
    volatile struct fault_record fault; /* the fault probes' record (exception.c) */
    volatile uint64_t exec_target;      /* armed by expect_exec_fault */
    /* The mailbox (smp_post/smp_wait): the poster writes fn and arg, then
     * bumps posted; the CPU runs fn(arg), stores result, then sets done. */
    uint64_t (*volatile fn)(uint64_t arg);
    volatile uint64_t arg, result;
    volatile unsigned posted, done;
    volatile uint64_t progress;         /* bumped by long-running work (watchdogs) */
    volatile unsigned sgi_count[16];    /* SGIs acknowledged here, by INTID */
    void (*volatile sgi_hook)(unsigned intid); /* run on each SGI (IRQ context) */
    volatile uint64_t skipped_stores;   /* smp_write_loop's stores that faulted */
};
extern struct percpu cpus[MAX_CPUS];
extern unsigned num_cpus;               /* CPUs in the device tree */
static inline struct percpu *this_cpu(void)
{
    uint64_t p;
    __asm__ volatile("mrs %0, tpidr_el1" : "=r"(p));
    return (struct percpu *)(uintptr_t)p;
}
void smp_dt_init(const void *fdt);      /* before mmu_init: the tree is unmapped after */
void smp_boot_init(void);               /* the boot CPU's struct, before any fault */
void smp_start_all(void);               /* CPU_ON for every other CPU, one line each */
unsigned cpus_online(void);
int64_t smp_cpu_on(unsigned cpu);       /* PSCI CPU_ON of a CPU of the tree: the status */
void smp_post(unsigned cpu, uint64_t (*fn)(uint64_t), uint64_t arg);
bool smp_wait(unsigned cpu, uint64_t timeout_ticks, uint64_t *result);
/* Post and wait (with a generous timeout); false if it did not finish. */
bool smp_run(unsigned cpu, uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t *result);
uint64_t ticks_now(void);
#define TICKS_PER_SECOND 62500000ull    /* QEMU virt's CNTFRQ */
/* ICC_SGI1R_EL1 write: SGI `intid` to the CPUs of `mask` (bit = CPU index);
 * `others` sets IRM (all but self) and ignores mask. */
void sgi_send(unsigned intid, uint32_t mask, bool others);
#define SMP_WAKE_SGI 14 /* wakes an idle CPU for its mailbox (smp_post) */
void irq_init_cpu(void);                /* this CPU's interface and redistributor */
_Noreturn void secondary_main(struct percpu *c);

/* Tests. */
struct test {
    const char *name;
    bool attack;           /* an attack the threat model forbids */
    bool (*run)(void);
    const char *what;
};
extern const struct test tests[];
extern const unsigned num_tests;
bool run_test(const struct test *t);
const struct test *find_test(const char *name);
void print_memmap(void);
/* The device name of memory-map entry `index`, "" for RAM (console.c). */
void memmap_name(unsigned index, char out[25]);
/* The device tree the hypervisor handed us (main.c). */
extern const void *vtl0_fdt;
void run_bench(void);
extern uint64_t boot_insns;
#endif
