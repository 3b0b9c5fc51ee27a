/* ratelimit.h: a per-source, per-window line budget for logs a less trusted
 * party can trigger (any EL; the caller supplies the time). Used by the
 * hypervisor's console (EL2) and the secure kernel's log (EL1 of VTL1). */
#ifndef OVBS_RATELIMIT_H
#define OVBS_RATELIMIT_H
#include <stdbool.h>
#include <stdint.h>

/* One source's state. Zero-initialised is a valid, empty window. */
struct ratelimit {
    uint64_t window_start; /* system-counter value the current window began at */
    uint32_t used;         /* lines allowed in this window */
    uint32_t dropped;      /* lines refused in this window */
};

/* May one more line from this source be written at time `now`? A window is
 * `window` counter ticks long and allows `budget` lines. When a new window
 * opens, *missed is set to the number of lines the previous one dropped
 * (0 if none), so the caller can say so once; otherwise *missed is 0. */
bool ratelimit_take(struct ratelimit *r, uint64_t now, uint64_t window, uint32_t budget,
                    uint32_t *missed);
#endif
