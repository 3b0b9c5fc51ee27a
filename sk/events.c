/* events.c: the secure kernel's security-event ring and counters (EL1 of
 * VTL1), read by VTL0 with SC_EVENT_READ / SC_EVENT_COUNT. The ring is
 * lib/evring.c; events are stamped with CNTVCT_EL0, which VTL0 cannot
 * offset (CNTVOFF_EL2 belongs to the hypervisor). */
#include "arm64/sysreg.h"
#include "evring.h"
#include "sk.h"

struct ev_ring sk_events;
_Static_assert(SK_EV_COUNT <= EV_MAX_KINDS, "secure-kernel event kinds fit the ring");

/* Who caused it: a trustlet (VTL1's EL0) for a kill, VTL0 for the rest. */
static unsigned cause_of(enum sk_event_kind kind)
{
    return kind == SK_EV_TL_KILLED ? 1 : 0;
}

void sk_event(enum sk_event_kind kind, uint64_t a, uint64_t b)
{
    unsigned vp = (unsigned)(READ_SYSREG(mpidr_el1) & 0xff);
    evring_record(&sk_events, kind, cause_of(kind), vp, READ_SYSREG(cntvct_el0), a, b);
}

void sk_event_count(enum sk_event_kind kind)
{
    evring_count(&sk_events, kind);
}

int sc_event_read(uint64_t seq, uint64_t *r1, uint64_t *r2, uint64_t *r3)
{
    struct ev_record e;
    uint64_t hint = 0;
    int st = evring_read(&sk_events, seq, &e, &hint);
    *r1 = st == HV_STATUS_SUCCESS ? evring_header(&e) : hint;
    *r2 = st == HV_STATUS_SUCCESS ? e.a : 0;
    *r3 = st == HV_STATUS_SUCCESS ? e.b : 0;
    return st;
}

int sc_event_count(uint64_t kind, uint64_t *r1, uint64_t *r2, uint64_t *r3)
{
    int st = evring_kind_count(&sk_events, kind, SK_EV_COUNT, r1);
    *r2 = sk_events.next;
    *r3 = SK_EV_COUNT;
    return st;
}
