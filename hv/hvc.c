/* hvc.c: table-driven dispatch of SMCCC 1.1 calls from guests (EL2).
 * Architecture calls (OEN 0), PSCI (OEN 4) and OpenVBS's own vendor
 * hypervisor calls (OEN 6). An unknown function ID returns NOT_SUPPORTED and
 * changes nothing. Boot-only calls close when VTL0 starts. */
#include "arm64/sysreg.h"
#include "events.h"
#include "hv.h"
#include "measure.h"
#include "openvbs/hvcall.h"
#include "stage2.h"
#include "openvbs/vsm.h"
#include "percpu.h"
#include "trap.h"
#include "vtl.h"

typedef void (*hvc_fn)(struct guest_regs *regs);

#define CALL_BOOT_ONLY  (1u << 0) /* refused once boot is done */
#define CALL_FROM_VTL0  (1u << 1) /* who may call: VTL0 ... */
#define CALL_FROM_VTL1  (1u << 2) /* ... and/or VTL1 */
#define CALL_ANY        (CALL_FROM_VTL0 | CALL_FROM_VTL1)

struct hvc_call {
    uint32_t fid;
    uint32_t flags;
    hvc_fn fn;
};

static void set_status(struct guest_regs *regs, int64_t status)
{
    regs->x[0] = (uint64_t)status;
}

static void call_null(struct guest_regs *regs)
{
    set_status(regs, HV_STATUS_SUCCESS);
}

/* x1 = index of the run to report. */
/* A device run's name as 24 bytes of NUL-padded ASCII in x1-x3, first
 * character in the low byte of x1 (OVBS_MEMMAP_NAME). */
static void put_name(struct guest_regs *regs, const char *name)
{
    for (unsigned reg = 0; reg < 3; reg++)
        regs->x[1 + reg] = 0;
    for (unsigned i = 0; name && i < 3 * 8 && name[i]; i++)
        regs->x[1 + i / 8] |= (uint64_t)(uint8_t)name[i] << (8 * (i % 8));
}

static void call_memmap_entry(struct guest_regs *regs)
{
    struct own_run r;
    uint64_t what = regs->x[2];
    if (regs->x[1] > 0xffffffffu || what > OVBS_MEMMAP_NAME ||
        !owner_run(&hv_owners, (unsigned)regs->x[1], &r)) {
        set_status(regs, HV_STATUS_INVALID_PARAMETER);
        return;
    }
    set_status(regs, HV_STATUS_SUCCESS);
    if (what == OVBS_MEMMAP_NAME) {
        put_name(regs, r.name);
        return;
    }
    regs->x[1] = r.base;
    regs->x[2] = r.size;
    regs->x[3] = r.owner | ((uint64_t)r.access << 8);
}

static void call_info(struct guest_regs *regs)
{
    set_status(regs, HV_STATUS_SUCCESS);
    regs->x[1] = hv_features;
    regs->x[2] = stage2_ipa_bits();
    regs->x[3] = vtl0_stage2.pt.table_pages;
}

static void call_count(struct guest_regs *regs);

static void call_uid(struct guest_regs *regs)
{
    regs->x[0] = OVBS_UID_0;
    regs->x[1] = OVBS_UID_1;
    regs->x[2] = OVBS_UID_2;
    regs->x[3] = OVBS_UID_3;
}

static void call_revision(struct guest_regs *regs)
{
    regs->x[0] = OVBS_REVISION_MAJOR;
    regs->x[1] = OVBS_REVISION_MINOR;
}

/* Vendor calls, indexed by function number (bits 15:0). Reserved numbers
 * have no caller flags and no handler: hvc_dispatch answers them like any
 * unknown call (NOT_SUPPORTED). */

static const struct hvc_call vendor_calls[] = {
    { OVBS_HV_NULL, CALL_ANY, call_null },
    { OVBS_HV_MEMMAP_ENTRY, CALL_ANY, call_memmap_entry },
    { OVBS_HV_INFO, CALL_ANY, call_info },
    { OVBS_HV_MEASUREMENT, CALL_ANY, call_measurement },
    { OVBS_HV_EVENT_READ, CALL_ANY, call_event_read },
    { OVBS_HV_EVENT_COUNT, CALL_ANY, call_event_count },
    { OVBS_HV_VP_STATS, CALL_ANY, call_vp_stats }, { OVBS_FN(0x07), 0, NULL },
    { OVBS_FN(0x08), 0, NULL }, { OVBS_FN(0x09), 0, NULL },
    { OVBS_FN(0x0a), 0, NULL }, { OVBS_FN(0x0b), 0, NULL },
    { OVBS_FN(0x0c), 0, NULL }, { OVBS_FN(0x0d), 0, NULL },
    { OVBS_FN(0x0e), 0, NULL }, { OVBS_FN(0x0f), 0, NULL },
    { OVBS_VTL_CALL, CALL_FROM_VTL0, call_vtl_call },
    { OVBS_VTL_RETURN, CALL_FROM_VTL1, call_vtl_return },
    { OVBS_MODIFY_VTL_PROTECTION_MASK, CALL_FROM_VTL1, call_modify_vtl_protection_mask },
    { OVBS_GET_VP_REGISTER, CALL_FROM_VTL1, call_get_vp_register },
    { OVBS_SET_VP_REGISTER, CALL_FROM_VTL1, call_set_vp_register },
    { OVBS_VTL1_BOOT_DONE, CALL_FROM_VTL1 | CALL_BOOT_ONLY, call_vtl1_boot_done },
    { OVBS_VTL1_LOG, CALL_FROM_VTL1, call_vtl1_log },
    { OVBS_GET_INTERCEPT, CALL_FROM_VTL1, call_get_intercept },
    { OVBS_VTL1_FATAL, CALL_FROM_VTL1, call_vtl1_fatal },
    { OVBS_ENABLE_VP_VTL, CALL_FROM_VTL1, call_enable_vp_vtl },
    { OVBS_VTL1_VP_READY, CALL_FROM_VTL1, call_vtl1_vp_ready },
    { OVBS_VTL1_SET_VP_ASSIST, CALL_FROM_VTL1, call_set_vp_assist },
    { OVBS_VTL1_YIELD, CALL_FROM_VTL1, call_vtl1_yield },
    { OVBS_VTL1_ADD_MEASUREMENT, CALL_FROM_VTL1, call_add_measurement },
    { OVBS_VTL1_VP_DECLINE, CALL_FROM_VTL1, call_vtl1_vp_decline },
    { OVBS_VTL1_PIN_EL1, CALL_FROM_VTL1, call_vtl1_pin_el1 },
};
#define NUM_VENDOR_CALLS (sizeof(vendor_calls) / sizeof(vendor_calls[0]))

static void call_count(struct guest_regs *regs)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NUM_VENDOR_CALLS; i++)
        n += vendor_calls[i].flags != 0;
    regs->x[0] = n;
}

/* Everything that is not a numbered vendor call. */
static const struct hvc_call other_calls[] = {
    { SMCCC_VERSION, CALL_ANY, call_smccc_version },
    { SMCCC_ARCH_FEATURES, CALL_ANY, call_arch_features },
    { SMCCC_ARCH_WORKAROUND_1, CALL_ANY, call_workaround_1 },
    { SMCCC_ARCH_WORKAROUND_3, CALL_ANY, call_workaround_3 },
    { SMCCC_ARCH_WORKAROUND_2, CALL_ANY, call_not_offered },
    { SMCCC_ARCH_SOC_ID, CALL_ANY, call_not_offered },
    { SMCCC_TRNG_VERSION, CALL_ANY, call_not_offered },
    { OVBS_CALL_COUNT, CALL_ANY, call_count },
    { OVBS_CALL_UID, CALL_ANY, call_uid },
    { OVBS_CALL_REVISION, CALL_ANY, call_revision },
};

static const struct hvc_call *find_call(uint32_t fid)
{
    uint32_t oen = (fid >> SMCCC_OEN_SHIFT) & SMCCC_OEN_MASK;
    uint32_t num = fid & 0xffff;
    bool vendor64 = oen == SMCCC_OEN_VENDOR_HYP && (fid & SMCCC_64BIT);
    if (vendor64 && num < NUM_VENDOR_CALLS && vendor_calls[num].fid == fid)
        return &vendor_calls[num];
    for (unsigned i = 0; i < sizeof(other_calls) / sizeof(other_calls[0]); i++) {
        if (other_calls[i].fid == fid)
            return &other_calls[i];
    }
    return 0;
}

static bool caller_allowed(const struct hvc_call *c, enum vtl vtl)
{
    return c->flags & (vtl == VTL0 ? CALL_FROM_VTL0 : CALL_FROM_VTL1);
}

/* A refused call: counted in the event ring always, logged within the
 * rate limit. The ID is read again from w0 (still the caller's). */
static void refuse(struct guest_regs *regs, uint64_t why, int64_t status)
{
    hv_event(OVBS_EV_CALL_REFUSED, (uint32_t)regs->x[0], why);
    set_status(regs, status);
}

void hvc_dispatch(struct guest_regs *regs, enum conduit how)
{
    uint32_t fid = (uint32_t)regs->x[0]; /* SMCCC: the ID is w0 */
    enum vtl vtl = this_cpu()->vp->active;
    (void)how;
    const struct hvc_call *c = find_call(fid);
    if (c && c->flags) {
        if (!caller_allowed(c, vtl)) {
            if (hv_log_allowed(LOG_SRC_CALLS))
                hv_log("call 0x%08x refused: not callable from VTL%u", fid, vtl);
            refuse(regs, OVBS_REFUSED_WRONG_VTL, HV_STATUS_ACCESS_DENIED);
            return;
        }
        if ((c->flags & CALL_BOOT_ONLY) && hv_owners.boot_done) {
            if (hv_log_allowed(LOG_SRC_CALLS))
                hv_log("call 0x%08x refused: boot-only call after boot", fid);
            refuse(regs, OVBS_REFUSED_BOOT_ONLY, HV_STATUS_ACCESS_DENIED);
            return;
        }
        c->fn(regs);
        return;
    }
    /* Power management belongs to the normal world's kernel. */
    if (vtl == VTL0 && psci_handle(regs, fid))
        return;
    if (hv_log_allowed(LOG_SRC_CALLS))
        hv_log("unknown call 0x%08x from VTL%u (PC 0x%lx) -> NOT_SUPPORTED", fid, vtl, regs->elr);
    refuse(regs, OVBS_REFUSED_UNKNOWN, SMCCC_RET_NOT_SUPPORTED);
}
