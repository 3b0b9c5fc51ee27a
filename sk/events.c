/* events.c: the secure kernel's security-event ring and counters (EL1 of
 * VTL1), read by VTL0 with SC_EVENT_READ / SC_EVENT_COUNT. The ring is
 * lib/evring.c; events are stamped with CNTVCT_EL0, which VTL0 cannot
 * offset (CNTVOFF_EL2 belongs to the hypervisor). One ring for all VPs,
 * under events_lock, taken with IRQs masked: VTL1's interrupt handler
 * records events too (a spurious timer interrupt), and on the VP that holds
 * the lock it would wait for itself. Each record carries the VP it came
 * from (this VP's index, not MPIDR's affinity bits). */
#include "arm64/sysreg.h"
#include "evring.h"
#include "sk.h"

static struct ev_ring sk_events;        /* events_lock */
static struct spinlock events_lock = SPINLOCK_INIT;
_Static_assert(SK_EV_COUNT <= EV_MAX_KINDS, "secure-kernel event kinds fit the ring");

/* Who caused it: a trustlet (VTL1's EL0) for a kill, VTL0 for the rest. */
static unsigned cause_of(enum sk_event_kind kind)
{
    return kind == SK_EV_TL_KILLED ? 1 : 0;
}

void sk_event(enum sk_event_kind kind, uint64_t a, uint64_t b)
{
    struct sk_cpu *cpu = this_cpu();
    cpu->events_recorded++;
    uint64_t daif = sk_lock_irq(&events_lock);
    evring_record(&sk_events, kind, cause_of(kind), cpu->index, READ_SYSREG(cntvct_el0), a, b);
    sk_unlock_irq(&events_lock, daif);
}

void sk_event_count(enum sk_event_kind kind)
{
    uint64_t daif = sk_lock_irq(&events_lock);
    evring_count(&sk_events, kind);
    sk_unlock_irq(&events_lock, daif);
}

int sc_event_read(uint64_t seq, uint64_t *r1, uint64_t *r2, uint64_t *r3)
{
    struct ev_record e;
    uint64_t hint = 0;
    uint64_t daif = sk_lock_irq(&events_lock);
    int st = evring_read(&sk_events, seq, &e, &hint);
    sk_unlock_irq(&events_lock, daif);
    *r1 = st == HV_STATUS_SUCCESS ? evring_header(&e) : hint;
    *r2 = st == HV_STATUS_SUCCESS ? e.a : 0;
    *r3 = st == HV_STATUS_SUCCESS ? e.b : 0;
    return st;
}

int sc_event_count(uint64_t kind, uint64_t *r1, uint64_t *r2, uint64_t *r3)
{
    uint64_t daif = sk_lock_irq(&events_lock);
    int st = evring_kind_count(&sk_events, kind, SK_EV_COUNT, r1);
    *r2 = sk_events.next;
    sk_unlock_irq(&events_lock, daif);
    *r3 = SK_EV_COUNT;
    return st;
}
