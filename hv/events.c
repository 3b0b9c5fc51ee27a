/* events.c: the hypervisor's security-event ring and counters (EL2). The
 * ring itself is lib/evring.c; this file says who caused an event (the VP
 * and VTL running on this CPU), stamps it with CNTPCT_EL0 (which no guest
 * can offset), and answers the two calls that read it. Both calls first
 * drain the SMMU's event queue, so a DMA fault is counted by the time VTL0
 * asks, without waiting for the SMMU's interrupt. */
#include "arm64/sysreg.h"
#include "evring.h"
#include "hv.h"
#include "events.h"
#include "percpu.h"
#include "smmu.h"
#include "spinlock.h"

/* ring_lock guards the ring: events come from every CPU. A leaf lock:
 * nothing else is taken while it is held. */
static struct spinlock ring_lock = SPINLOCK_INIT;
static struct ev_ring ring;
_Static_assert(OVBS_EV_COUNT <= EV_MAX_KINDS, "hypervisor event kinds fit the ring");

void hv_event(enum ovbs_event_kind kind, uint64_t a, uint64_t b)
{
    const struct vp *vp = this_cpu()->vp;
    unsigned vtl = vp ? vp->active : VTL1, index = vp ? vp->index : 0xff;
    hv_lock(&ring_lock);
    evring_record(&ring, kind, vtl, index, READ_SYSREG(cntpct_el0), a, b);
    hv_unlock(&ring_lock);
}

void hv_event_count(enum ovbs_event_kind kind)
{
    hv_lock(&ring_lock);
    evring_count(&ring, kind);
    hv_unlock(&ring_lock);
}

/* x1 = sequence number; x1..x3 = header, a, b (or the hint). */
void call_event_read(struct guest_regs *regs)
{
    struct ev_record e;
    uint64_t hint = 0;
    smmu_drain_events(); /* DMA faults waiting in the SMMU's queue count now */
    hv_lock(&ring_lock);
    int st = evring_read(&ring, regs->x[1], &e, &hint);
    hv_unlock(&ring_lock);
    regs->x[0] = (uint64_t)st;
    regs->x[1] = st == HV_STATUS_SUCCESS ? evring_header(&e) : hint;
    regs->x[2] = st == HV_STATUS_SUCCESS ? e.a : 0;
    regs->x[3] = st == HV_STATUS_SUCCESS ? e.b : 0;
}

/* x1 = kind; x1 = its count, x2 = next sequence number, x3 = kinds. */
void call_event_count(struct guest_regs *regs)
{
    uint64_t n;
    smmu_drain_events();
    hv_lock(&ring_lock);
    regs->x[0] = (uint64_t)evring_kind_count(&ring, regs->x[1], OVBS_EV_COUNT, &n);
    regs->x[1] = n;
    regs->x[2] = ring.next;
    hv_unlock(&ring_lock);
    regs->x[3] = OVBS_EV_COUNT;
}
