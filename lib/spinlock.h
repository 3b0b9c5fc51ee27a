/* spinlock.h: a ticket lock for every exception level (EL2 hypervisor, EL1
 * secure kernel, EL1 VTL0 test kernel). FEAT_LSE (mandatory from Armv8.1,
 * which OpenVBS requires; built with -march=armv8.1-a) gives the ticket in
 * one LDADDA; there is no LL/SC fallback. Waiters sleep in WFE.
 *
 * Ordering: LDADDA's acquire and the acquiring LDAXRH keep every access of
 * the critical section after the lock is taken; STLRH's release keeps them
 * before it is given up. Waking: a waiter's LDAXRH arms the exclusive
 * monitor on `owner`; the holder's STLRH to it clears every other CPU's
 * monitor, which is a wake-up event for WFE (Arm ARM D1.16.1, "Wait for
 * Event"), so no SEV is needed and a waiter never spins at full speed.
 * Under QEMU -icount a WFE is a yield to the next vCPU. */
#ifndef OVBS_SPINLOCK_H
#define OVBS_SPINLOCK_H
#include <stdint.h>

/* Tickets wrap at 2^16: at most 65535 CPUs can wait at once. */
struct __attribute__((aligned(4))) spinlock {
    uint16_t owner; /* ticket now served; only its holder writes it */
    uint16_t next;  /* next ticket to hand out (LDADDA) */
};
#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(struct spinlock *l)
{
    uint32_t old, ticket, cur;
    /* Take a ticket: add 1 << 16 to the 32-bit word {owner, next} with
     * acquire semantics; old's upper half is our ticket. */
    __asm__ volatile("ldadda %w[inc], %w[old], [%[lock]]"
                     : [old] "=&r"(old)
                     : [inc] "r"(1u << 16), [lock] "r"(l)
                     : "memory");
    ticket = old >> 16;
    if ((old & 0xffff) == ticket)
        return; /* uncontended: the lock was free */
    __asm__ volatile("sevl\n"
                     "1: wfe\n"
                     "ldaxrh %w[cur], [%[owner]]\n"
                     "eor %w[cur], %w[cur], %w[ticket]\n"
                     "cbnz %w[cur], 1b\n"
                     : [cur] "=&r"(cur)
                     : [owner] "r"(&l->owner), [ticket] "r"(ticket)
                     : "memory");
}

/* True if the lock was taken; never waits. */
static inline int spin_trylock(struct spinlock *l)
{
    uint32_t old = __atomic_load_n((uint32_t *)l, __ATOMIC_RELAXED);
    if ((old & 0xffff) != (old >> 16))
        return 0;
    uint32_t want = old + (1u << 16);
    return __atomic_compare_exchange_n((uint32_t *)l, &old, want, 0, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
    uint16_t next_owner = (uint16_t)(l->owner + 1);
    __asm__ volatile("stlrh %w[v], [%[owner]]" : : [v] "r"(next_owner), [owner] "r"(&l->owner)
                     : "memory");
}

/* For assertions: someone holds it (not necessarily this CPU). */
static inline int spin_is_locked(const struct spinlock *l)
{
    uint32_t v = __atomic_load_n((const uint32_t *)l, __ATOMIC_RELAXED);
    return (v & 0xffff) != (v >> 16);
}
#endif
