/* evring.h: a fixed ring of security events plus one counter per kind, the
 * record that survives any log flood (any EL; used by the hypervisor at EL2
 * and the secure kernel at EL1 of VTL1, each with its own ring). The ABI
 * that reads it is in openvbs/hvcall.h (OVBS_HV_EVENT_*) and openvbs/vsm.h
 * (SC_EVENT_*). */
#ifndef OVBS_EVRING_H
#define OVBS_EVRING_H
#include <stdint.h>
#include "openvbs/hvcall.h"

#define EV_RING_SIZE OVBS_EV_RING_SIZE /* a power of two: seq % size picks the slot */

struct ev_record {
    uint64_t seq;   /* 0, 1, 2, ... since boot; written last */
    uint64_t time;  /* system counter when recorded */
    uint64_t a, b;  /* kind-specific details (the ABI headers say which) */
    uint16_t kind;
    uint8_t vtl;    /* the VTL whose action caused it */
    uint8_t vp;     /* the VP it happened on */
};

#define EV_MAX_KINDS 16 /* each user's kinds must fit (a static assert checks) */

/* All zero at boot, so a ring lives in .bss and adds nothing to the
 * measured image. */
struct ev_ring {
    uint64_t next;  /* sequence number the next record gets */
    uint64_t counts[EV_MAX_KINDS]; /* counted even when the ring wraps */
    struct ev_record rec[EV_RING_SIZE];
};

/* Count one event of `kind` and keep it in the ring (an unknown kind is
 * ignored). */
void evring_record(struct ev_ring *r, unsigned kind, unsigned vtl, unsigned vp, uint64_t time,
                   uint64_t a, uint64_t b);
/* Count one event without a ring entry (for "lines suppressed": a flood
 * of those would push the events that matter out of the ring). */
void evring_count(struct ev_ring *r, unsigned kind);

/* Read record `seq` into *out. Returns HV_STATUS_SUCCESS; or
 * HV_STATUS_NO_DATA if it is not recorded yet (*hint = the next sequence
 * number); or HV_STATUS_EVENT_OVERWRITTEN if the ring no longer holds it
 * (*hint = the oldest sequence number it holds). */
int evring_read(const struct ev_ring *r, uint64_t seq, struct ev_record *out, uint64_t *hint);
/* The record's kind, VTL, VP and time packed into one register
 * (OVBS_EV_HDR_* in openvbs/hvcall.h). */
uint64_t evring_header(const struct ev_record *e);
/* Count of `kind`: HV_STATUS_SUCCESS, or HV_STATUS_INVALID_PARAMETER if
 * kind >= nkinds, the number of kinds the ring's user defines (*count = 0). */
int evring_kind_count(const struct ev_ring *r, uint64_t kind, unsigned nkinds, uint64_t *count);
#endif
