/* protect.c: what VTL0 may ask of its own memory's protection, and the
 * policy that decides (EL1 of VTL1). VTL0 may restrict pages of its RAM to
 * any sensible combination of read, write, kernel-execute and user-execute;
 * a locked range (the Kernel Data Protection idea) can never be made
 * writable again, whatever VTL0 asks later. The hypervisor enforces what is
 * decided here (ModifyVtlProtectionMask); it holds no policy itself.
 *
 * Several VPs: the policy check, the hypercall and the state update are one
 * critical section under vtl0_lock (vtl0mem.c), so this kernel's state is
 * always the hypervisor's stage 2: two requests on two VPs cannot pass
 * their checks against the same old state, nor reach the hypervisor in one
 * order and the state in the other. The section is bounded by MAX_PAGES
 * (docs/sk-smp.md). Events and log lines (events_lock, log_lock) come
 * after it: no lock is taken while vtl0_lock is held. */
#include <stddef.h>
#include <string.h>
#include "sk.h"

#define MAX_PAGES    (1ull << 18) /* 1 GiB per request */

static void describe(char out[5], uint8_t mask)
{
    out[0] = (mask & OVBS_ACC_R) ? 'r' : '-';
    out[1] = (mask & OVBS_ACC_W) ? 'w' : '-';
    out[2] = (mask & OVBS_ACC_XK) ? 'x' : '-';
    out[3] = (mask & OVBS_ACC_XU) ? 'u' : '-';
    out[4] = '\0';
}

static int check_request(uint64_t gpa, uint64_t pages, uint64_t mask, bool lock)
{
    if (mask & ~(uint64_t)OVBS_ACC_RWX)
        return HV_STATUS_INVALID_PARAMETER;
    if ((mask & OVBS_ACC_W) && !(mask & OVBS_ACC_R))
        return HV_STATUS_INVALID_PARAMETER; /* write-only makes no sense */
    if (lock && (mask & OVBS_ACC_W))
        return HV_STATUS_INVALID_PARAMETER; /* a lock is against writing */
    if (gpa & (SK_PAGE - 1))
        return HV_STATUS_INVALID_ALIGNMENT;
    const uint8_t *state = pages <= MAX_PAGES ? vtl0_state_span(gpa, pages) : NULL;
    if (!state)
        return HV_STATUS_INVALID_PARAMETER;
    if (mask & OVBS_ACC_W) {
        for (uint64_t i = 0; i < pages; i++) {
            if (state[i] & STATE_LOCKED)
                return HV_STATUS_ACCESS_DENIED;
        }
    }
    /* Once the kernel is locked, kernel-execute stays on its locked text. */
    if ((mask & OVBS_ACC_XK) && !kl_exec_allowed(state, pages))
        return HV_STATUS_ACCESS_DENIED;
    return HV_STATUS_SUCCESS;
}

/* A refused request (by the policy or by the hypervisor): always an
 * event, a line within the rate limit; nothing changed. */
static int refuse(uint64_t gpa, uint64_t pages, uint64_t mask, bool lock, int rc)
{
    sk_event(SK_EV_PROTECT_REFUSED, gpa, (uint64_t)rc);
    if (sk_log_allowed(SK_LOG_PROTECT))
        sk_log("protect [0x%lx, +%lu pages) mask %lx%s refused: status %d", gpa, pages, mask,
               lock ? " (lock)" : "", rc);
    return rc;
}

/* Check, ask the hypervisor, record: vtl0_lock held. */
static int apply(uint64_t gpa, uint64_t pages, uint64_t mask, bool lock)
{
    int rc = check_request(gpa, pages, mask, lock);
    if (rc != HV_STATUS_SUCCESS)
        return rc;
    struct hv_result r = hvc6(OVBS_MODIFY_VTL_PROTECTION_MASK, 0, gpa, pages, mask, 0, 0);
    if (r.x0 != HV_STATUS_SUCCESS)
        return (int)r.x0;
    /* A locked page stays locked, and locked kernel text stays marked:
     * protect on it keeps both. */
    uint8_t *state = vtl0_state_span(gpa, pages);
    for (uint64_t i = 0; i < pages; i++) {
        uint8_t locked = (lock || (state[i] & STATE_LOCKED)) ? STATE_LOCKED : 0;
        state[i] = (uint8_t)(mask | locked | (state[i] & STATE_KTEXT));
    }
    return HV_STATUS_SUCCESS;
}

int sc_protect(uint64_t gpa, uint64_t pages, uint64_t mask, bool lock)
{
    sk_lock(&vtl0_lock);
    int rc = apply(gpa, pages, mask, lock);
    sk_unlock(&vtl0_lock);
    if (rc != HV_STATUS_SUCCESS)
        return refuse(gpa, pages, mask, lock, rc);
    /* Kernel Data Protection events are worth a line, but VTL0 can repeat them. */
    if (lock && sk_log_allowed(SK_LOG_PROTECT)) {
        char m[5];
        describe(m, (uint8_t)mask);
        sk_log("VTL0 [0x%lx, 0x%lx) now %s and locked", gpa, gpa + pages * SK_PAGE, m);
    }
    return HV_STATUS_SUCCESS;
}

/* The state bytes are copied under vtl0_lock, then out without it (the
 * copy out takes it again). */
int sc_query_range(uint64_t gpa, uint64_t pages, uint64_t out)
{
    uint8_t buf[SC_MAX_BUFFER];
    sk_lock(&vtl0_lock);
    const uint8_t *state = pages <= sizeof(buf) ? vtl0_state_span(gpa, pages) : NULL;
    if (state && !(gpa & (SK_PAGE - 1)))
        memcpy(buf, state, pages);
    sk_unlock(&vtl0_lock);
    if ((gpa & (SK_PAGE - 1)) || !state)
        return HV_STATUS_INVALID_PARAMETER;
    return vtl0_copy_out(out, buf, pages);
}
