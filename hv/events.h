/* events.h: the hypervisor's security-event record (EL2): a ring of recent
 * events and a counter per kind (enum ovbs_event_kind, openvbs/hvcall.h),
 * read by any VTL with OVBS_HV_EVENT_READ / OVBS_HV_EVENT_COUNT. Unlike the
 * console, nothing a guest does can silence the counters; the ring keeps
 * the newest 64 records, so a guest that causes many events pushes older
 * ones out (their counts stay). */
#ifndef OVBS_HV_EVENTS_H
#define OVBS_HV_EVENTS_H
#include <stdint.h>
#include "openvbs/hvcall.h"

struct guest_regs;

/* Record one event caused by the VTL running on this CPU (a, b: see the
 * kind's comment in hvcall.h). */
void hv_event(enum ovbs_event_kind kind, uint64_t a, uint64_t b);
/* Count one event of a count-only kind (no ring slot). */
void hv_event_count(enum ovbs_event_kind kind);

void call_event_read(struct guest_regs *regs);
void call_event_count(struct guest_regs *regs);
#endif
