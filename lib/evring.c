/* evring.c: the security-event ring and per-kind counters (any EL; no
 * locking: one VP runs at a time today, and a reader checks each record's
 * sequence number, so a torn read is reported as overwritten). */
#include "evring.h"
#include "openvbs/hvcall.h"

void evring_count(struct ev_ring *r, unsigned kind)
{
    if (kind < EV_MAX_KINDS)
        r->counts[kind]++;
}

void evring_record(struct ev_ring *r, unsigned kind, unsigned vtl, unsigned vp, uint64_t time,
                   uint64_t a, uint64_t b)
{
    if (kind >= EV_MAX_KINDS)
        return;
    r->counts[kind]++;
    uint64_t seq = r->next++;
    struct ev_record *e = &r->rec[seq % EV_RING_SIZE];
    e->time = time;
    e->a = a;
    e->b = b;
    e->kind = (uint16_t)kind;
    e->vtl = (uint8_t)vtl;
    e->vp = (uint8_t)vp;
    /* Last, so a record half written reads as not the one asked for. */
    __atomic_store_n(&e->seq, seq, __ATOMIC_RELEASE);
}

int evring_read(const struct ev_ring *r, uint64_t seq, struct ev_record *out, uint64_t *hint)
{
    uint64_t next = r->next;
    uint64_t oldest = next > EV_RING_SIZE ? next - EV_RING_SIZE : 0;
    if (seq >= next) {
        *hint = next;
        return HV_STATUS_NO_DATA;
    }
    if (seq < oldest) {
        *hint = oldest;
        return HV_STATUS_EVENT_OVERWRITTEN;
    }
    *out = r->rec[seq % EV_RING_SIZE];
    if (out->seq != seq) {
        *hint = oldest;
        return HV_STATUS_EVENT_OVERWRITTEN;
    }
    return HV_STATUS_SUCCESS;
}

uint64_t evring_header(const struct ev_record *e)
{
    return (uint64_t)e->kind << OVBS_EV_HDR_KIND_SHIFT |
           (uint64_t)e->vtl << OVBS_EV_HDR_VTL_SHIFT |
           (uint64_t)e->vp << OVBS_EV_HDR_VP_SHIFT |
           (e->time >> OVBS_EV_TIME_UNIT_SHIFT) << OVBS_EV_HDR_TIME_SHIFT;
}

int evring_kind_count(const struct ev_ring *r, uint64_t kind, unsigned nkinds, uint64_t *count)
{
    if (kind >= nkinds || kind >= EV_MAX_KINDS) {
        *count = 0;
        return HV_STATUS_INVALID_PARAMETER;
    }
    *count = r->counts[kind];
    return HV_STATUS_SUCCESS;
}
