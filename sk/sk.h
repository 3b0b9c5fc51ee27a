/* sk.h: internal interface of the secure kernel (EL1 of VTL1). The secure
 * kernel has no device drivers and no I/O: it logs through the hypervisor,
 * and its only window on the normal world is VTL0 memory it copies in and
 * out through vtl0mem.c. */
#ifndef OVBS_SK_H
#define OVBS_SK_H
#include <stdbool.h>
#include <stdint.h>
#include "arm64/fpsimd.h"
#include "arm64/smccc.h"
#include "cpu_offsets.h"
#include "evring.h"
#include "openvbs/trustlet.h"
#include "openvbs/vsm.h"
#include "spinlock.h"

#define SK_PAGE ((uint64_t)4096)

/* Registers exchanged with the hypervisor when VTL1 is left and re-entered
 * (entry.S): x[0] = entry reason, x[1..7] = details; on leaving, x[1..4]
 * are the results handed back. */
struct sk_io {
    uint64_t x[8];
};
void sk_leave(struct sk_io *io, uint32_t fid);
void sk_secondary_entry(void); /* entry.S: a VP's VTL_ENTRY_VP_START */
void sk_nested_entry(void);     /* entry.S: an intercept while a call is preempted */
extern char sk_nested_stacks[]; /* entry.S: SK_NESTED_STACK_SIZE per VP */
void sk_scrub_and_return(struct sk_io *io);
void sk_runaway(void);
extern char sk_runaway_loop[], sk_runaway_escape[];

struct frame {
    uint64_t x[31];
    uint64_t elr, spsr, esr, far;
    uint64_t sp_el0; /* kept for trustlets parked at EL0 */
};

/* ---- Several VPs ----------------------------------------------------------
 * Who guards what. Every static or global of the secure kernel, and every
 * field of its shared structures, is one of:
 *   per VP      only the VP it belongs to reads or writes it; found through
 *               TPIDR_EL1 (this_cpu()), which each VP sets on entry and
 *               trustlets at EL0 cannot read;
 *   read-only   written on the boot VP before OVBS_VTL1_BOOT_DONE; no other
 *               VP runs before it (VTL0 starts them, after BOOT_DONE);
 *   a lock      named, taken with sk_lock/sk_unlock (or the _irq forms);
 *   claimer     a trustlet instance's own fields: written only by the VP
 *               that claimed it (under tl_lock); unclaimed, they do not
 *               change and are read under tl_lock (SC_TL_INFO).
 *
 * Locks. Only one pair ever nests: kpt_lock, then alloc_lock (a page-table
 * page for the kernel's tables). Every other lock is taken alone; the two
 * that VTL1's interrupt handler takes are taken with IRQs masked.
 *   tl_lock        trustlet.c: the instance and session tables
 *   vtl0_lock      vtl0mem.c: VTL0's protection state bytes, each checked
 *                  copy from its check to its last byte, and (protect.c)
 *                  the protection hypercall between check and update
 *   kpt_lock       mmu.c: the entries of the kernel's own page tables
 *   alloc_lock     alloc.c: the page bitmap, first_free, nfree
 *   events_lock    events.c: the event ring and its counters (IRQs masked)
 *   log_lock       log.c: the per-source rate limits (IRQs masked)
 *   kl_lock        kernel_lock.c: the staged kernel layout, and the step
 *                  out of KLS_OPEN (taken alone, like the others)
 * None is held while trustlet code runs at EL0, during SC_SPIN,
 * SC_WATCHDOG, SC_CHECKSUM's spin, or a trustlet image's signature check.
 * Each critical section and its bound: docs/sk-smp.md.
 *
 * Per structure and field:
 *   struct sk_cpu (below)        every field per VP (its VP), the assist
 *                                shared with the hypervisor on that VP only
 *   sk_cpus[], sk_vp_stacks      per VP (entry i: VP i); sk_nvp read-only
 *   image_bufs[] (trustlet.c)    per VP (entry i: VP i)
 *   struct sk_mmu_regs (mmu.c)   read-only (the boot VP's MMU registers)
 *   mmu.c: vtl1_base, vtl1_size, kpt.root and kpt's settings  read-only;
 *          kpt's table entries and table_pages                kpt_lock
 *   alloc.c: base, npages        read-only; used[], first_free, nfree  alloc_lock
 *   vtl0mem.c struct range: base, size, state (pointer), nranges  read-only;
 *          the state bytes it points to                       vtl0_lock
 *   events.c: sk_events (next, counts[], rec[])               events_lock
 *   log.c struct log_source: name  read-only; rl              log_lock
 *   trustlet.c:
 *     known_trustlets[], runtime[], runtime_pages, seal_secret  read-only
 *     highest_loaded[], generation                            tl_lock
 *     struct session: open, in_use, instance, generation      tl_lock
 *     struct instance: state, claimed                         tl_lock
 *       known, header, asid, pt.root  claimer while it loads (state EMPTY,
 *                                     claimed), then fixed until the unload,
 *                                     readable under tl_lock
 *       frame, fp, tpidr_el0, pages[], npages, heap_used, pt's tables,
 *       replied, reply_status, reply_len                      claimer
 *   main.c: dma_canary (pointer and page contents)            read-only
 *   kernel_lock.c: layout, bounds, bounds_known   kl_lock while KLS_OPEN,
 *          read-only from KLS_LOCKING on; sites[], nsites  the locking VP,
 *          read-only once sites_ready (release/acquire); kl_state, refusals,
 *          patches  atomics
 *   __stack_chk_guard (lib/chk.c)  read-only from sk_main on
 */
struct instance;
#define SK_SEAL_BUFFER (1024 + 28) /* trustlet.c: SEAL_MAX + SEAL_OVERHEAD */
struct sk_cpu {
    /* The hypervisor reads and writes it (OVBS_VTL1_SET_VP_ASSIST): per VP,
     * shared with the hypervisor on this VP only. Offset 0, 64-byte aligned. */
    struct ovbs_vp_assist assist;
    /* entry.S: x19..x30 and SP of the kernel while a trustlet runs on this
     * VP (KCTX_SIZE bytes, at SK_CPU_KCTX). Per VP. */
    uint64_t kctx[14];
    unsigned index;      /* VP index; per VP (written on its every entry) */
    struct sk_io io;     /* this VP's entry and result registers; per VP */
    /* fpu.c: who holds this VP's FP/SIMD registers. Per VP. */
    struct fpsimd_state *fp_owner;
    bool fp_kernel_holds;
    uint64_t cpacr;
    /* trustlet.c: the instance running at EL0 on this VP (claimed by it).
     * Per VP. */
    struct instance *running;
    /* irq.c: the watchdog's runaway loop on this VP, and this VP's timer
     * interrupts. Per VP (VTL1's timer, CNTV, is per VP). */
    volatile bool runaway_active;
    volatile uint64_t timer_interrupts;
    uint64_t budget_start;  /* trustlet.c: CNTVCT when this VP's current run began */
    uint64_t budget_paused; /* and assist.preempted_ticks then */
    /* main.c: SC_STATS counts of this VP; events.c: events this VP
     * recorded (a call that recorded none is counted as refused). Per VP. */
    uint64_t intercepts_seen, interrupt_entries, events_recorded;
    /* main.c: a nested intercept runs on this VP (its call preempted).
     * Per VP. */
    bool in_nested;
    /* kernel_lock.c: where this VP's last refused access was, and how many
     * times in a row (a retry loop gets an external abort). Per VP. */
    uint64_t kl_last_pc, kl_last_gpa, kl_repeats;
    /* Scratch buffers, per VP: the copy SC_CHECKSUM works on (main.c), a
     * trustlet's reply, the invoke's request, seal/unseal in and out
     * (trustlet.c). The image a VP loads is per VP too, but outside .bss
     * (trustlet.c: image_bufs). */
    uint8_t checksum_copy[SC_MAX_BUFFER];
    uint8_t reply_buf[SC_MAX_BUFFER];
    uint8_t invoke_in[SC_MAX_BUFFER];
    uint8_t seal_in[SK_SEAL_BUFFER], seal_out[SK_SEAL_BUFFER];
} __attribute__((aligned(64)));
_Static_assert(__builtin_offsetof(struct sk_cpu, assist) == 0, "assist first");
_Static_assert(__builtin_offsetof(struct sk_cpu, kctx) == SK_CPU_KCTX, "SK_CPU_KCTX");

extern struct sk_cpu sk_cpus[SK_MAX_VPS];
extern unsigned sk_nvp;

/* This VP's state. TPIDR_EL1 only changes in sk_scrub_and_return, which
 * puts it back before any C code runs again (with IRQs masked meanwhile). */
static inline struct sk_cpu *this_cpu(void)
{
    struct sk_cpu *c;
    __asm__("mrs %0, tpidr_el1" : "=r"(c));
    return c;
}

/* smp.c: locks that keep the hypervisor from preempting this VP while it
 * holds one (assist.no_preempt is the depth), and the per-VP start. Inline:
 * a trustlet call takes three (sk-smp.md). The compiler barriers keep the
 * critical section's accesses between the depth's changes: the hypervisor
 * reads the depth on this same CPU, between two instructions, so program
 * order is the only order that matters. */
void sk_yield_deferred(struct sk_cpu *cpu);
static inline void sk_lock(struct spinlock *l)
{
    struct sk_cpu *cpu = this_cpu();
    cpu->assist.no_preempt++;
    __asm__ volatile("" ::: "memory");
    spin_lock(l);
}
/* The deferral flag is read after the depth reached 0: from then on the
 * hypervisor preempts by itself instead of setting it, so none is missed. */
static inline void sk_unlock(struct spinlock *l)
{
    struct sk_cpu *cpu = this_cpu();
    spin_unlock(l);
    __asm__ volatile("" ::: "memory");
    uint32_t depth = cpu->assist.no_preempt - 1;
    cpu->assist.no_preempt = depth;
    __asm__ volatile("" ::: "memory");
    if (depth == 0 && cpu->assist.preempt_deferred)
        sk_yield_deferred(cpu);
}
/* For locks VTL1's own interrupt handler takes too: IRQs masked while held. */
uint64_t sk_lock_irq(struct spinlock *l);
void sk_unlock_irq(struct spinlock *l, uint64_t daif);
void smp_boot(unsigned nvp);
void sk_cpu_setup(struct sk_cpu *cpu, unsigned vp);
_Noreturn void sk_dispatch_loop(struct sk_cpu *cpu, uint32_t first_fid);

/* entry.S: run EL0 code from a saved frame until the kernel calls
 * sk_el0_return(result), which comes back from sk_enter_el0 with it. */
long sk_enter_el0(const struct frame *user);
_Noreturn void sk_el0_return(long result);

/* log.c. Every line VTL0 or a trustlet can cause at will is asked for
 * first, by source (docs/logging.md lists the sites). */
void sk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
enum sk_log_source {
    SK_LOG_CALLS,     /* secure-call outcomes (main.c, irq.c) */
    SK_LOG_PROTECT,   /* protection refusals and locks (protect.c) */
    SK_LOG_INTERCEPT, /* VTL0 broke a protection (main.c) */
    SK_LOG_TL_LOAD,   /* trustlet loads, refusals, unloads (trustlet.c) */
    SK_LOG_TL_KILL,   /* trustlets killed (trustlet.c) */
    SK_LOG_TL_LOG,    /* a trustlet's TL_SYS_LOG lines (trustlet.c) */
    SK_LOG_KERNEL,    /* kernel integrity: layout refusals, patches (kernel_lock.c) */
    SK_LOG_COUNT
};
bool sk_log_allowed(enum sk_log_source src);

/* events.c: the guaranteed record, a ring and counters (SK_EV_*, vsm.h). */
void sk_event(enum sk_event_kind kind, uint64_t a, uint64_t b);
void sk_event_count(enum sk_event_kind kind); /* count-only kinds */
int sc_event_read(uint64_t seq, uint64_t *r1, uint64_t *r2, uint64_t *r3);
int sc_event_count(uint64_t kind, uint64_t *r1, uint64_t *r2, uint64_t *r3);

/* alloc.c: pages of VTL1 memory not used by the image. */
void page_alloc_init(uint64_t start, uint64_t end);
void *page_alloc(void);
void page_free(void *page);
uint64_t pages_free(void);

/* mmu.c */
struct pgtable;
void sk_mmu_init(uint64_t vtl1_base, uint64_t vtl1_size);
/* A new address space holding the kernel's mappings; 0 or -1 (no memory). */
int sk_address_space_init(struct pgtable *pt);
/* Map the foreign page pa read-only, run probe(pa, out) and unmap it, all
 * under kpt_lock: -1 if it could not be mapped, else probe's result. */
int sk_with_foreign_page(uint64_t pa, int (*probe)(uint64_t pa, uint64_t *out), uint64_t *out);
/* Turn on this VP's MMU with the boot VP's registers (a VP other than the
 * boot VP does it in entry.S, with the MMU off, from sk_mmu_regs). */
struct sk_mmu_regs {
    uint64_t mair, tcr, ttbr0, sctlr;
};
extern struct sk_mmu_regs sk_mmu_regs;
/* Run with `pt` (NULL: the kernel's own) and `asid`. */
void sk_address_space_switch(const struct pgtable *pt, unsigned asid);

/* vtl0mem.c: VTL0's RAM, its protection state, checked copies. */
#define VTL0_MAX_RANGES 8
void vtl0mem_init(void);
bool vtl0_is_ram(uint64_t gpa, uint64_t size);
int vtl0_copy_in(uint64_t gpa, void *dst, uint64_t len);
int vtl0_copy_out(uint64_t gpa, const void *src, uint64_t len);
/* The same with vtl0_lock already held, for several in one critical
 * section (trustlet.c), and whether VTL0 may write [gpa, gpa + len):
 * checked before work whose result would otherwise be lost (the copy out
 * checks again). */
int vtl0_copy_in_held(uint64_t gpa, void *dst, uint64_t len);
int vtl0_check_writable_held(uint64_t gpa, uint64_t len);
/* len bytes from the CPU's RNDR; false if it gives no entropy (trustlet.c). */
bool sk_random_bytes(void *dst, uint64_t len);
uint8_t vtl0_page_state(uint64_t gpa); /* mask | SC_LOCKED, gpa in VTL0 RAM */
/* The state bytes of `pages` pages from gpa, or NULL if not all VTL0 RAM;
 * read or written only with vtl0_lock held. */
uint8_t *vtl0_state_span(uint64_t gpa, uint64_t pages);
extern struct spinlock vtl0_lock;
unsigned vtl0_ranges(uint64_t *base, uint64_t *size, unsigned max);

/* The state byte of a VTL0 page: bits 3:0 the access VTL1 lets VTL0 have
 * (OVBS_ACC_*), then whether it is locked against writing, and whether it
 * is locked kernel text (the only pages that may be kernel-executable once
 * the kernel is locked). */
#define STATE_LOCKED 0x10
#define STATE_KTEXT  0x20
/* protect.c: the protection services and their policy. */
int sc_protect(uint64_t gpa, uint64_t pages, uint64_t mask, bool lock);
/* kernel_lock.c: kernel integrity (SC_KERNEL_*), and its part of the
 * protection policy and of every intercept (the action to answer). */
int sc_kernel_layout(uint64_t kind, uint64_t va, uint64_t gpa, uint64_t pages);
int sc_kernel_lock(uint64_t flags, const uint64_t pgdir[2], uint64_t *r1, uint64_t *r2,
                   uint64_t *r3);
int sc_kernel_status(uint64_t *r1, uint64_t *r2, uint64_t *r3);
uint32_t kl_current_state(void);
bool kl_exec_allowed(const uint8_t *state, uint64_t pages);
bool kl_start_allowed(uint64_t entry);
struct ovbs_intercept_message;
uint64_t kl_intercept(struct sk_cpu *cpu, const struct ovbs_intercept_message *m);
int sc_query_range(uint64_t gpa, uint64_t pages, uint64_t out);

/* trustlet.c: Isolated User Mode. */
void trustlets_init(void);
void trustlets_cpu_init(void); /* this VP's EL0 thread registers */
void tl_exception(struct frame *f, unsigned kind);
int sc_tl_load(uint64_t gpa, uint64_t size, uint64_t *handle);
int sc_tl_unload(uint64_t handle);
int sc_tl_open(uint64_t id, uint64_t *session);
int sc_tl_close(uint64_t session);
int sc_tl_invoke(const uint64_t *args, uint64_t *status, uint64_t *written);
int sc_tl_info(uint64_t handle, uint64_t *state, uint64_t *pages, uint64_t *shared);

/* fpu.c: lazy FP/SIMD switching between the kernel and trustlets, per VP
 * (the state is this VP's registers: struct sk_cpu's fp_* fields). */
void fp_init(void);
void fp_kernel_trap(void);
void fp_trustlet_trap(struct fpsimd_state *mine);
void fp_trap_kernel_use(void);
void fp_allow_owner(void);
void fp_wipe_kernel(void);
/* On every exception from EL0, and before every return to EL0. */
static inline void fp_enter_kernel(void)
{
    if (this_cpu()->fp_owner)
        fp_trap_kernel_use();
}
static inline void fp_return_to_trustlet(const struct fpsimd_state *mine)
{
    if (this_cpu()->fp_owner == mine)
        fp_allow_owner();
}
/* Before every exit from VTL1: no kernel scratch stays in a register. */
static inline void fp_leave_vtl1(const struct sk_cpu *cpu)
{
    if (cpu->fp_kernel_holds)
        fp_wipe_kernel();
}
void fp_forget(const struct fpsimd_state *mine);
/* A trustlet's run on this VP ended: its registers go back to its own
 * memory, so that its next run, on any VP, starts from them. */
void fp_release_owner(struct fpsimd_state *mine);
static inline void fp_release(struct fpsimd_state *mine)
{
    if (this_cpu()->fp_owner == mine)
        fp_release_owner(mine);
}

/* irq.c: VTL1's own interrupts (its virtual timer). */
void irq_init(void);
void irq_handle(struct frame *f);
void timer_arm(uint64_t ticks);
int watchdog_run(uint64_t ticks, uint64_t *elapsed);
#endif
