/* ratelimit.c: per-source line budgets that recover every window (any EL;
 * pure computation, the caller reads the clock). See ratelimit.h. */
#include "ratelimit.h"

bool ratelimit_take(struct ratelimit *r, uint64_t now, uint64_t window, uint32_t budget,
                    uint32_t *missed)
{
    *missed = 0;
    /* Unsigned difference: a counter that wraps still opens a new window. */
    if (now - r->window_start >= window) {
        *missed = r->dropped;
        r->window_start = now;
        r->used = 0;
        r->dropped = 0;
    }
    if (r->used < budget) {
        r->used++;
        return true;
    }
    if (r->dropped != UINT32_MAX)
        r->dropped++;
    return false;
}
