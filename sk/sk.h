/* sk.h: internal interface of the secure kernel (EL1 of VTL1). The secure
 * kernel has no device drivers and no I/O: it logs through the hypervisor,
 * and its only window on the normal world is VTL0 memory it copies in and
 * out through vtl0mem.c. */
#ifndef OVBS_SK_H
#define OVBS_SK_H
#include <stdbool.h>
#include <stdint.h>
#include "arm64/smccc.h"
#include "evring.h"
#include "openvbs/vsm.h"

#define SK_PAGE ((uint64_t)4096)

/* Registers exchanged with the hypervisor when VTL1 is left and re-entered
 * (entry.S): x[0] = entry reason, x[1..7] = details; on leaving, x[1..4]
 * are the results handed back. */
struct sk_io {
    uint64_t x[8];
};
void sk_leave(struct sk_io *io, uint32_t fid);
void sk_scrub_and_return(struct sk_io *io);
void sk_runaway(void);
extern char sk_runaway_loop[], sk_runaway_escape[];

struct frame {
    uint64_t x[31];
    uint64_t elr, spsr, esr, far;
    uint64_t sp_el0; /* kept for trustlets parked at EL0 */
};

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
    SK_LOG_COUNT
};
bool sk_log_allowed(enum sk_log_source src);

/* events.c: the guaranteed record, a ring and counters (SK_EV_*, vsm.h). */
void sk_event(enum sk_event_kind kind, uint64_t a, uint64_t b);
void sk_event_count(enum sk_event_kind kind); /* count-only kinds */
extern struct ev_ring sk_events; /* lib/evring.h */
/* The sequence number the next event gets: read inline, as it is on every
 * secure call's path. */
static inline uint64_t sk_events_next(void)
{
    return sk_events.next;
}
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
bool sk_map_foreign_page(uint64_t pa);
void sk_unmap_foreign_page(uint64_t pa);
/* Run with `pt` (NULL: the kernel's own) and `asid`. */
void sk_address_space_switch(const struct pgtable *pt, unsigned asid);

/* vtl0mem.c: VTL0's RAM, its protection state, checked copies. */
#define VTL0_MAX_RANGES 8
void vtl0mem_init(void);
bool vtl0_is_ram(uint64_t gpa, uint64_t size);
int vtl0_copy_in(uint64_t gpa, void *dst, uint64_t len);
int vtl0_copy_out(uint64_t gpa, const void *src, uint64_t len);
/* Whether VTL0 may write [gpa, gpa + len): checked before work whose result
 * would otherwise be lost. */
int vtl0_check_writable(uint64_t gpa, uint64_t len);
/* len bytes from the CPU's RNDR; false if it gives no entropy (trustlet.c). */
bool sk_random_bytes(void *dst, uint64_t len);
uint8_t vtl0_page_state(uint64_t gpa); /* mask | SC_LOCKED, gpa in VTL0 RAM */
/* The state bytes of `pages` pages from gpa, or NULL if not all VTL0 RAM. */
uint8_t *vtl0_state_span(uint64_t gpa, uint64_t pages);
unsigned vtl0_ranges(uint64_t *base, uint64_t *size, unsigned max);

/* protect.c: the protection services and their policy. */
int sc_protect(uint64_t gpa, uint64_t pages, uint64_t mask, bool lock);
int sc_query_range(uint64_t gpa, uint64_t pages, uint64_t out);

/* trustlet.c: Isolated User Mode. */
void trustlets_init(void);
void tl_exception(struct frame *f, unsigned kind);
int sc_tl_load(uint64_t gpa, uint64_t size, uint64_t *handle);
int sc_tl_unload(uint64_t handle);
int sc_tl_open(uint64_t id, uint64_t *session);
int sc_tl_close(uint64_t session);
int sc_tl_invoke(const uint64_t *args, uint64_t *status, uint64_t *written);
int sc_tl_info(uint64_t handle, uint64_t *state, uint64_t *pages, uint64_t *shared);

/* fpu.c: lazy FP/SIMD switching between the kernel and trustlets. */
struct fpsimd_state;
void fp_init(void);
void fp_kernel_trap(void);
void fp_trustlet_trap(struct fpsimd_state *mine);
void fp_trap_kernel_use(void);
void fp_allow_owner(void);
void fp_wipe_kernel(void);
extern bool fp_kernel_holds;
extern struct fpsimd_state *fp_owner;
/* On every exception from EL0, and before every return to EL0. */
static inline void fp_enter_kernel(void)
{
    if (fp_owner)
        fp_trap_kernel_use();
}
static inline void fp_return_to_trustlet(const struct fpsimd_state *mine)
{
    if (fp_owner == mine)
        fp_allow_owner();
}
/* Before every exit from VTL1: no kernel scratch stays in a register. */
static inline void fp_leave_vtl1(void)
{
    if (fp_kernel_holds)
        fp_wipe_kernel();
}
void fp_forget(const struct fpsimd_state *mine);

/* irq.c: VTL1's own interrupts (its virtual timer). */
void irq_init(void);
void irq_handle(struct frame *f);
void timer_arm(uint64_t ticks);
int watchdog_run(uint64_t ticks, uint64_t *elapsed);
extern volatile uint64_t timer_interrupts;
#endif
