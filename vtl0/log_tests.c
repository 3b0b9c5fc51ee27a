/* log_tests.c: tests of the logs' guaranteed record from VTL0 (EL1 of
 * VTL0). VTL0 floods both logs with refusals; the machine must stay
 * responsive, the console lines over each source's rate limit must be
 * counted, and the event rings and counters of the hypervisor and the
 * secure kernel must still hold every refusal and a violation after it.
 * Also the console's `events` command, which shows both records. */
#include <stdlib.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "openvbs/trustlet.h"
#include "vsm_tests.h"

#define FLOOD 1000 /* refusals of each kind per flood */

/* A page this file locks for good; nothing else lives on it. */
static uint8_t lock_page[4096] __attribute__((aligned(4096)));
/* A "trustlet image" shorter than a header: refused before any copying. */
static uint8_t short_image[64] __attribute__((aligned(64)));

/* ---- Reading the records ----------------------------------------------- */

static uint64_t hv_count(unsigned kind)
{
    struct hv_result r = hvc(OVBS_HV_EVENT_COUNT, kind, 0, 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : ~0ull;
}

static uint64_t sk_count(unsigned kind)
{
    struct hv_result r = vcall(SC_EVENT_COUNT, kind, 0, 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : ~0ull;
}

/* Reading past the newest event tells the next sequence number. */
static uint64_t hv_next(void)
{
    struct hv_result r = hvc(OVBS_HV_EVENT_READ, ~0ull, 0, 0);
    return r.x0 == HV_STATUS_NO_DATA ? r.x1 : 0;
}

static uint64_t sk_next(void)
{
    struct hv_result r = vcall(SC_EVENT_READ, ~0ull, 0, 0);
    return r.x0 == HV_STATUS_NO_DATA ? r.x1 : 0;
}

/* The newest record is of `kind`, caused by VTL0, with detail a == `a`. */
static bool newest_is(struct hv_result r, unsigned kind, uint64_t a)
{
    unsigned k = (r.x1 >> OVBS_EV_HDR_KIND_SHIFT) & 0xffff;
    unsigned vtl = (r.x1 >> OVBS_EV_HDR_VTL_SHIFT) & 0xff;
    return r.x0 == HV_STATUS_SUCCESS && k == kind && vtl == 0 && r.x2 == a;
}

/* ---- The flood ------------------------------------------------------------ */

struct counts {
    uint64_t sk_protect, sk_tl, sk_call, sk_suppressed;
    uint64_t hv_call, hv_suppressed;
};

static void read_counts(struct counts *c)
{
    c->sk_protect = sk_count(SK_EV_PROTECT_REFUSED);
    c->sk_tl = sk_count(SK_EV_TL_REFUSED);
    c->sk_call = sk_count(SK_EV_CALL_REFUSED);
    c->sk_suppressed = sk_count(SK_EV_LINES_SUPPRESSED);
    c->hv_call = hv_count(OVBS_EV_CALL_REFUSED);
    c->hv_suppressed = hv_count(OVBS_EV_LINES_SUPPRESSED);
}

/* FLOOD refused locks (a lock may not allow writing), FLOOD refused
 * trustlet images and FLOOD hypercalls only VTL1 may make. Returns how
 * many were not refused as expected; *ticks = how long it took. */
static unsigned flood(uint64_t *ticks)
{
    unsigned wrong = 0;
    uint64_t start = READ_SYSREG(cntvct_el0);
    for (unsigned i = 0; i < FLOOD; i++) {
        wrong += vcall(SC_LOCK, pa(lock_page), 1, OVBS_ACC_R | OVBS_ACC_W).x0 !=
                 HV_STATUS_INVALID_PARAMETER;
        wrong += vcall(SC_TL_LOAD, pa(short_image), sizeof(short_image), 0).x0 !=
                 TL_ST_BAD_HEADER;
        wrong += hvc(OVBS_GET_VP_REGISTER, 0, 0, VP_REG_X0).x0 != HV_STATUS_ACCESS_DENIED;
    }
    *ticks = READ_SYSREG(cntvct_el0) - start;
    return wrong;
}

static bool still_responsive(void)
{
    return hvc(OVBS_HV_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS &&
           vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS;
}

/* After the flood VTL0 breaks a lock: both records must show it. */
static bool violation_recorded(void)
{
    uint64_t hv_before = hv_count(OVBS_EV_INTERCEPT), sk_before = sk_count(SK_EV_INTERCEPT);
    lock_page[0] = 0x17;
    if (vcall(SC_LOCK, pa(lock_page), 1, OVBS_ACC_R).x0 != HV_STATUS_SUCCESS)
        return note(false, "SC_LOCK of a fresh page refused");
    unsigned faults = this_cpu()->fault.count;
    bool blocked = probe_store(pa(lock_page), 0x99) == PROBE_FAULT_VALUE &&
                   this_cpu()->fault.count == faults + 1 && lock_page[0] == 0x17;
    struct hv_result hv_ev = hvc(OVBS_HV_EVENT_READ, hv_next() - 1, 0, 0);
    struct hv_result sk_ev = vcall(SC_EVENT_READ, sk_next() - 1, 0, 0);
    bool counted = hv_count(OVBS_EV_INTERCEPT) == hv_before + 1 &&
                   sk_count(SK_EV_INTERCEPT) == sk_before + 1;
    return blocked && counted && newest_is(hv_ev, OVBS_EV_INTERCEPT, pa(lock_page)) &&
           newest_is(sk_ev, SK_EV_INTERCEPT, pa(lock_page));
}

bool a_log_flood(void)
{
    struct counts before, after;
    uint64_t ticks, freq = READ_SYSREG(cntfrq_el0);
    read_counts(&before);
    unsigned wrong = flood(&ticks);
    read_counts(&after);
    kprintf("    %u refusals in %lu ms\n", 3 * FLOOD, ticks / (freq / 1000));
    if (wrong)
        return note(false, "a flooded call was not refused as expected");
    if (ticks > 5 * freq || !still_responsive())
        return note(false, "the machine was slow or unresponsive after the flood");
    bool exact = after.sk_protect == before.sk_protect + FLOOD &&
                 after.sk_tl == before.sk_tl + FLOOD && after.hv_call == before.hv_call + FLOOD &&
                 after.sk_call == before.sk_call;
    if (!exact)
        return note(false, "the counters did not rise by exactly the number of refusals");
    return note(violation_recorded(),
                "3000 refusals counted exactly; a later lock violation is in both rings");
}

/* ---- Reading out of range ------------------------------------------------ */

/* One record's checks: too new, too old, the newest, a kind that does not
 * exist; `read` and `count` make the calls (hypercall or secure call). */
static bool bad_reads(struct hv_result (*read)(uint64_t), struct hv_result (*count)(uint64_t),
                      uint64_t kinds)
{
    uint64_t next = read(~0ull).x1;
    struct hv_result too_new = read(next), way_new = read(~0ull);
    struct hv_result too_old = read(next - OVBS_EV_RING_SIZE - 1), first = read(0);
    struct hv_result newest = read(next - 1), oldest = read(next - OVBS_EV_RING_SIZE);
    struct hv_result no_kind = count(kinds), huge_kind = count(~0ull);
    return too_new.x0 == HV_STATUS_NO_DATA && too_new.x1 == next &&
           way_new.x0 == HV_STATUS_NO_DATA && way_new.x1 == next &&
           too_old.x0 == HV_STATUS_EVENT_OVERWRITTEN && too_old.x1 == next - OVBS_EV_RING_SIZE &&
           first.x0 == HV_STATUS_EVENT_OVERWRITTEN && newest.x0 == HV_STATUS_SUCCESS &&
           oldest.x0 == HV_STATUS_SUCCESS && no_kind.x0 == HV_STATUS_INVALID_PARAMETER &&
           no_kind.x1 == 0 && huge_kind.x0 == HV_STATUS_INVALID_PARAMETER &&
           read(~0ull).x1 == next; /* reading changed nothing */
}

static struct hv_result hv_read(uint64_t seq)
{
    return hvc(OVBS_HV_EVENT_READ, seq, 0, 0);
}

static struct hv_result hv_kind(uint64_t kind)
{
    return hvc(OVBS_HV_EVENT_COUNT, kind, 0, 0);
}

static struct hv_result sk_read(uint64_t seq)
{
    return vcall(SC_EVENT_READ, seq, 0, 0);
}

static struct hv_result sk_kind(uint64_t kind)
{
    return vcall(SC_EVENT_COUNT, kind, 0, 0);
}

bool a_log_ring_bad_reads(void)
{
    /* Make sure both rings have wrapped, whatever ran before. */
    for (unsigned i = 0; i <= OVBS_EV_RING_SIZE; i++) {
        hvc(OVBS_GET_VP_REGISTER, 0, 0, VP_REG_X0);
        vcall(SC_LOCK, pa(lock_page), 1, OVBS_ACC_R | OVBS_ACC_W);
    }
    bool hv_ok = bad_reads(hv_read, hv_kind, OVBS_EV_COUNT);
    bool sk_ok = bad_reads(sk_read, sk_kind, SK_EV_COUNT);
    bool kinds = hv_kind(0).x3 == OVBS_EV_COUNT && sk_kind(0).x3 == SK_EV_COUNT;
    return note(hv_ok && sk_ok && kinds,
                "too new: NO_DATA, overwritten: EVENT_OVERWRITTEN, no such kind: INVALID_PARAMETER");
}

/* ---- Rate limits ------------------------------------------------------------ */

bool t_log_suppressed_counted(void)
{
    struct counts before, after;
    uint64_t ticks;
    read_counts(&before);
    unsigned wrong = flood(&ticks);
    read_counts(&after);
    uint64_t hv = after.hv_suppressed - before.hv_suppressed;
    uint64_t sk = after.sk_suppressed - before.sk_suppressed;
    kprintf("    suppressed lines: hypervisor %lu, secure kernel %lu\n", hv, sk);
    /* The hypervisor's refusals log one line each; the secure kernel's two
     * sources (locks, trustlet loads) one line per refusal. */
    bool ok = !wrong && hv > 0 && hv <= FLOOD && sk > 0 && sk <= 2 * FLOOD;
    return note(ok && still_responsive(), "lines over the rate limits are counted, not printed");
}

/* ---- The console's `events` command -------------------------------------- */

static const char *const hv_kind_names[OVBS_EV_COUNT] = {
    "intercept", "stage-2 abort", "call refused", "VtlCall refused", "trap refused",
    "interrupt dropped", "lines suppressed", "lines dropped (UART)", "forged timer",
    "FIQ", "GIC refused", "DMA fault",
};

static const char *const sk_kind_names[SK_EV_COUNT] = {
    "intercept", "protection refused", "secure call refused", "trustlet refused",
    "trustlet killed", "lines suppressed", "spurious timer", "kernel access refused",
    "kernel patched",
};

/* One record: which, the VTL and VP that caused it, its time, a and b. */
static void print_record(uint64_t seq, struct hv_result r, const char *const *names,
                         unsigned kinds)
{
    unsigned kind = (r.x1 >> OVBS_EV_HDR_KIND_SHIFT) & 0xffff;
    kprintf("    #%lu  t=%lu  VTL%lu VP%lu  %s  a=0x%lx b=0x%lx\n", seq,
            r.x1 >> OVBS_EV_HDR_TIME_SHIFT, (r.x1 >> OVBS_EV_HDR_VTL_SHIFT) & 0xff,
            (r.x1 >> OVBS_EV_HDR_VP_SHIFT) & 0xff, kind < kinds ? names[kind] : "?", r.x2,
            r.x3);
}

/* The counters that are not zero, then the newest `show` records. */
static void print_events(const char *who, struct hv_result (*read)(uint64_t),
                         struct hv_result (*count)(uint64_t), const char *const *names,
                         unsigned kinds, uint64_t show)
{
    uint64_t next = read(~0ull).x1;
    kprintf("%s: %lu events recorded\n", who, next);
    for (unsigned k = 0; k < kinds; k++) {
        struct hv_result c = count(k);
        if (c.x0 == HV_STATUS_SUCCESS && c.x1)
            kprintf("  %-22s %lu\n", names[k], c.x1);
    }
    uint64_t first = next > show ? next - show : 0;
    for (uint64_t seq = first; seq < next; seq++) {
        struct hv_result r = read(seq);
        if (r.x0 == HV_STATUS_SUCCESS)
            print_record(seq, r, names, kinds);
    }
}

bool events_command(const char *arg)
{
    uint64_t show = arg[0] ? strtoul(arg, NULL, 0) : 8;
    if (show > OVBS_EV_RING_SIZE) {
        kprintf("usage: events [N] (the newest N records, at most %u)\n", OVBS_EV_RING_SIZE);
        return false;
    }
    print_events("hypervisor", hv_read, hv_kind, hv_kind_names, OVBS_EV_COUNT, show);
    print_events("secure kernel", sk_read, sk_kind, sk_kind_names, SK_EV_COUNT, show);
    return true;
}
