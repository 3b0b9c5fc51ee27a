/* main.c: the secure kernel's start-up and its dispatch loop (EL1 of VTL1).
 * Boot: memory allocator, MMU, VTL0 memory map, VTL protection on, own
 * interrupts, then "boot done", which lets VTL0 start. From then on VTL1
 * only runs when entered: a secure call, an intercept, or its own timer.
 *
 * Interrupt state, path by path: IRQs are unmasked from irq_init on, and
 * every OVBS_VTL_RETURN is made, and every entry resumes, with them
 * unmasked (the hypervisor keeps PSTATE across the HVC). Exception handlers
 * run masked and their ERET puts the interrupted state back. The two paths
 * that come back to C code from an exception handler put the caller's DAIF
 * back explicitly: run() after a trustlet (sk_el0_return), and
 * watchdog_run() after its runaway loop. SError and FIQ stay masked.
 *
 * Every VP runs the same loop (sk_dispatch_loop), entered on the boot VP by
 * sk_main and on the others by smp.c; what each touches is in sk.h. */
#include "arm64/sysreg.h"
#include "panic.h"
#include "openvbs/trustlet.h"
#include "sk.h"

extern char __sk_end[];

static const char *const access_names[] = { "read", "write", "execute" };

/* ---- Services (secure calls) ------------------------------------------- */

/* FNV-1a over VTL1 memory: the copy of a VTL0 buffer, or the DMA canary
 * (volatile: a device, not this CPU, may have changed it). */
static uint64_t checksum(const volatile uint8_t *p, uint64_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* The copy is this VP's: the spin runs with no lock held. */
static int sc_checksum(uint64_t gpa, uint64_t len, uint64_t spin, uint64_t progress,
                       uint64_t *out)
{
    uint8_t *copy = this_cpu()->checksum_copy;
    if (spin > SC_MAX_SPIN)
        return HV_STATUS_INVALID_PARAMETER;
    int rc = vtl0_copy_in(gpa, copy, len);
    if (rc != HV_STATUS_SUCCESS)
        return rc;
    if (progress) {
        const uint64_t copied = 1;
        rc = vtl0_copy_out(progress, &copied, sizeof(copied));
        if (rc != HV_STATUS_SUCCESS)
            return rc;
    }
    (void)sc_spin_result(spin); /* time for VTL0 to try changing the buffer */
    *out = checksum(copy, len);
    return HV_STATUS_SUCCESS;
}

static int sc_query(uint64_t gpa, uint64_t *out)
{
    if (!vtl0_is_ram(gpa & ~(SK_PAGE - 1), SK_PAGE))
        return HV_STATUS_INVALID_PARAMETER;
    uint8_t st = vtl0_page_state(gpa); /* under vtl0_lock */
    *out = (st & OVBS_ACC_RWX) | ((st & 0x10) ? SC_LOCKED : 0);
    return HV_STATUS_SUCCESS;
}

/* SC_DMA_CANARY: a page of our own memory with a known pattern, never
 * written again. Only a device writing past the SMMU could change it, and
 * the checksum is taken from its contents now, not remembered. */
static uint8_t *dma_canary;

static void dma_canary_init(void)
{
    dma_canary = page_alloc();
    if (!dma_canary)
        panic("no page for the DMA canary");
    for (uint64_t i = 0; i < SK_PAGE; i++)
        dma_canary[i] = sc_dma_canary_byte(i);
}

static int sc_dma_canary(uint64_t *pa, uint64_t *sum)
{
    *pa = (uint64_t)(uintptr_t)dma_canary;
    *sum = checksum((const volatile uint8_t *)dma_canary, SK_PAGE);
    return HV_STATUS_SUCCESS;
}

/* VTL1's side of the VSM interface, checked from VTL1 during a VTL0 call:
 * reading and writing VTL0's registers, and the hypervisor refusing what
 * even VTL1 may not do. Returns a mask of the checks that failed. */
/* Never inlined: its frame would otherwise be set up in handle_call on
 * every secure call (the null round trip has a budget, test_bench.py). */
/* The base of the first (or last) run of the hypervisor's memory map with
 * that owner, 0 if none. */
static uint64_t owned_run(unsigned owner, bool last)
{
    uint64_t found = 0;
    for (unsigned i = 0;; i++) {
        struct hv_result r = hvc(OVBS_HV_MEMMAP_ENTRY, i, 0, 0);
        if (r.x0)
            return found;
        if ((r.x3 & 0xff) == owner) {
            found = r.x1;
            if (!last)
                return found;
        }
    }
}

__attribute__((noinline)) static uint64_t selftest(uint64_t vtl0_x6, uint64_t *count)
{
    uint64_t mmio = owned_run(OWNER_MMIO_VTL0, false), vtl1 = owned_run(OWNER_VTL1, true);
    uint64_t vtl0 = owned_run(OWNER_VTL0, true);
    uint64_t cfg = VSM_CONFIG_ENABLE_PROTECTION | (OVBS_ACC_RWX << VSM_CONFIG_MASK_SHIFT);
    const uint32_t get = OVBS_GET_VP_REGISTER, set = OVBS_SET_VP_REGISTER;
    const uint32_t mod = OVBS_MODIFY_VTL_PROTECTION_MASK;
    /* This VP's VTL0: the hypervisor lets VTL1 name no other (and there is
     * never a VP 8: the partition has at most 8). */
    const uint64_t vp = this_cpu()->index, no_vp = 8;
    struct hv_result x6 = hvc6(get, vp, 0, VP_REG_X0 + 6, 0, 0, 0);
    struct hv_result pc = hvc6(get, vp, 0, VP_REG_PC, 0, 0, 0);
    struct hv_result st = hvc6(get, vp, 0, VP_REG_VSM_VP_STATUS, 0, 0, 0);
    struct hv_result pcfg = hvc6(get, vp, 0, VP_REG_VSM_PARTITION_CONFIG, 0, 0, 0);
    bool checks[] = {
        x6.x0 == HV_STATUS_SUCCESS && x6.x1 == vtl0_x6,
        pc.x0 == HV_STATUS_SUCCESS && pc.x1 && !(pc.x1 & 3),
        st.x0 == HV_STATUS_SUCCESS && (st.x1 & 3) == 1,
        pcfg.x0 == HV_STATUS_SUCCESS && pcfg.x1 == cfg,
        hvc6(set, vp, 0, VP_REG_X0 + 4, SC_SELFTEST_X4, 0, 0).x0 == HV_STATUS_SUCCESS,
        hvc6(set, vp, 0, VP_REG_PSTATE, 0x3c9 /* EL2h */, 0, 0).x0 == HV_STATUS_INVALID_PARAMETER,
        /* A legal mode, but the illegal-execution bit, or bits 63:32 set. */
        hvc6(set, vp, 0, VP_REG_PSTATE, 0x3c5 | PSR_IL, 0, 0).x0 == HV_STATUS_INVALID_PARAMETER,
        hvc6(set, vp, 0, VP_REG_PSTATE, 0x3c5 | (1ull << 32), 0, 0).x0 ==
            HV_STATUS_INVALID_PARAMETER,
        hvc6(set, vp, 0, VP_REG_PC, 0x1002, 0, 0).x0 == HV_STATUS_INVALID_ALIGNMENT,
        hvc6(set, vp, 1, VP_REG_X0, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED,
        hvc6(get, vp, 1, VP_REG_X0, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED,
        hvc6(get, no_vp, 0, VP_REG_X0, 0, 0, 0).x0 == HV_STATUS_INVALID_VP_INDEX,
        hvc6(get, vp, 0, 999, 0, 0, 0).x0 == HV_STATUS_INVALID_PARAMETER,
        hvc6(set, vp, 0, VP_REG_VSM_PARTITION_CONFIG, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED,
        hvc6(set, vp, 0, VP_REG_VSM_PARTITION_CONFIG, cfg, 0, 0).x0 == HV_STATUS_SUCCESS,
        hvc6(mod, 0, vtl1, 1, OVBS_ACC_R, 0, 0).x0 == HV_STATUS_INVALID_PARAMETER,
        hvc6(mod, 0, mmio, 1, OVBS_ACC_R, 0, 0).x0 == HV_STATUS_INVALID_PARAMETER,
        hvc6(mod, 1, vtl0, 1, OVBS_ACC_R, 0, 0).x0 == HV_STATUS_ACCESS_DENIED,
        hvc6(mod, 0, vtl0 + 8, 1, OVBS_ACC_R, 0, 0).x0 == HV_STATUS_INVALID_ALIGNMENT,
        hvc6(mod, 0, vtl0, 1, 0x10, 0, 0).x0 == HV_STATUS_INVALID_PARAMETER,
        hvc(OVBS_VTL_CALL, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED,
        smc(PSCI_VERSION, 0, 0, 0).x0 == (uint64_t)(int64_t)SMCCC_RET_NOT_SUPPORTED,
        hvc(OVBS_VTL1_LOG, vtl0, 8, 0).x0 == HV_STATUS_INVALID_PARAMETER,
        hvc(OVBS_VTL1_BOOT_DONE, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED,
    };
    uint64_t failed = 0;
    *count = sizeof(checks) / sizeof(checks[0]);
    for (uint64_t i = 0; i < *count; i++) {
        if (!checks[i])
            failed |= 1ull << i;
    }
    if (failed && sk_log_allowed(SK_LOG_CALLS))
        sk_log("self-test of the VSM interface: failed checks 0x%lx", failed);
    return failed;
}

/* SC_STATE_PROBE: the registers in probe.S; each read the hypervisor
 * refuses comes back through probe_fixup. */
int sk_probe_cntp_cval(uint64_t *out);
int sk_probe_cntp_ctl(uint64_t *out);
int sk_probe_pmccntr(uint64_t *out);
int sk_probe_pmuserenr(uint64_t *out);
int sk_probe_actlr(uint64_t *out);
int sk_probe_scxtnum_el1(uint64_t *out);
int sk_probe_scxtnum_el0(uint64_t *out);
int sk_probe_sgi(uint64_t *out);
int sk_probe_load(uint64_t pa, uint64_t *out);
extern const uint64_t sk_probe_insns[], sk_probe_count;

/* Only whether VTL1's own pointer-auth key and TPIDR2_EL0 equal the values
 * VTL0 planted in its own (apia0, tpidr2_0) comes back, never VTL1's values:
 * bit 0 of *same, the key; bit 1, TPIDR2. */
static int sc_state_probe(uint64_t apia0, uint64_t tpidr2_0, uint64_t *readable,
                          uint64_t *same)
{
    int (*const probes[])(uint64_t *) = {
        sk_probe_cntp_cval, sk_probe_cntp_ctl, sk_probe_pmccntr, sk_probe_pmuserenr,
        sk_probe_actlr, sk_probe_scxtnum_el1, sk_probe_scxtnum_el0, sk_probe_sgi,
    };
    const unsigned n = sizeof(probes) / sizeof(probes[0]);
    _Static_assert(sizeof(probes) / sizeof(probes[0]) + 1 == SC_STATE_PROBES, "SC_STATE_PROBES");
    uint64_t value;
    *readable = 0;
    for (unsigned i = 0; i < n; i++) {
        if (probes[i](&value))
            *readable |= 1ull << i;
    }
    /* The last probe: hypervisor memory, which VTL1's stage 2 must not map
     * (behind the secure kernel's own stage 1, which never maps it). */
    uint64_t hv_page = owned_run(OWNER_HV, false);
    if (hv_page && sk_with_foreign_page(hv_page, sk_probe_load, &value) > 0)
        *readable |= 1ull << n;
    *readable |= READ_SYSREG(isr_el1) << 32; /* a virtual SError pending here? */
    *same = 0;
    if (((READ_SYSREG(id_aa64isar1_el1) >> 4) & 0xff) != 0 && /* APA or API: FEAT_PAuth */
        READ_SYSREG(s3_0_c2_c1_0) == apia0)                     /* APIAKeyLo_EL1 */
        *same |= 1;
    if (((READ_SYSREG(id_aa64pfr1_el1) >> 24) & 0xf) != 0) { /* SME: TPIDR2_EL0 */
        if (READ_SYSREG(s3_3_c13_c0_5) == tpidr2_0)
            *same |= 2;
        WRITE_SYSREG(s3_3_c13_c0_5, SC_SCRUB_MARKER);
    }
    if ((*readable & 0xffffffffu) && sk_log_allowed(SK_LOG_CALLS))
        sk_log("state probe: VTL1 could read registers it must not (mask 0x%lx)", *readable);
    return HV_STATUS_SUCCESS;
}

/* A secure call that failed and recorded no event of its own (as refused
 * protections and trustlet images do) is counted as a refused call. Reading
 * the event record is not: a reader probing the ring must not change it,
 * and SC_WATCHDOG's time-out is its success. */
static void note_refused(const struct sk_cpu *cpu, uint64_t service, int st,
                         uint64_t events_before)
{
    if (service == SC_EVENT_READ || service == SC_EVENT_COUNT || st == HV_STATUS_TIME_OUT)
        return;
    if (cpu->events_recorded == events_before)
        sk_event(SK_EV_CALL_REFUSED, service, (uint64_t)st);
}

/* io->x[1] = service, x[2..6] = arguments; results go back in x[1..4]
 * (status first). The events this VP recorded, not the ring's sequence:
 * another VP's event must not hide this call's refusal. */
static void handle_call(struct sk_cpu *cpu)
{
    struct sk_io *io = &cpu->io;
    uint64_t service = io->x[1], a = io->x[2], b = io->x[3], c = io->x[4];
    uint64_t r1 = 0, r2 = 0, r3 = 0, events = cpu->events_recorded;
    int st;
    switch (service) {
    case SC_NULL: st = HV_STATUS_SUCCESS; break;
    case SC_PROTECT: st = sc_protect(a, b, c, false); break;
    case SC_LOCK: st = sc_protect(a, b, c, true); break;
    case SC_QUERY: st = sc_query(a, &r1); break;
    case SC_CHECKSUM: st = sc_checksum(a, b, c, io->x[5], &r1); break;
    case SC_SPIN:
        st = a <= SC_MAX_SPIN ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
        if (st == HV_STATUS_SUCCESS)
            r1 = sc_spin_result(a);
        break;
    case SC_WATCHDOG: st = watchdog_run(a, &r1); break;
    case SC_STATS: /* this VP's */
        st = HV_STATUS_SUCCESS;
        r1 = cpu->intercepts_seen;
        r2 = cpu->timer_interrupts;
        r3 = cpu->interrupt_entries;
        break;
    case SC_QUERY_RANGE: st = sc_query_range(a, b, c); break;
    case SC_TIMER_ARM:
        st = (a && a <= SC_WATCHDOG_MAX_TICKS) ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
        if (st == HV_STATUS_SUCCESS)
            timer_arm(a);
        break;
    case SC_TL_LOAD: st = sc_tl_load(a, b, &r1); break;
    case SC_TL_UNLOAD: st = sc_tl_unload(a); break;
    case SC_TL_OPEN: st = sc_tl_open(a, &r1); break;
    case SC_TL_CLOSE: st = sc_tl_close(a); break;
    case SC_TL_INVOKE: st = sc_tl_invoke(&io->x[2], &r1, &r2); break;
    case SC_TL_INFO: st = sc_tl_info(a, &r1, &r2, &r3); break;
    case SC_STATE_PROBE: st = sc_state_probe(a, b, &r1, &r2); break;
    case SC_DMA_CANARY: st = sc_dma_canary(&r1, &r2); break;
    case SC_SELFTEST:
        st = HV_STATUS_SUCCESS;
        r1 = selftest(io->x[6], &r2);
        break;
    case SC_EVENT_READ: st = sc_event_read(a, &r1, &r2, &r3); break;
    case SC_EVENT_COUNT: st = sc_event_count(a, &r1, &r2, &r3); break;
    case SC_KERNEL_LAYOUT: st = sc_kernel_layout(a, b, c, io->x[5]); break;
    case SC_KERNEL_LOCK: st = sc_kernel_lock(a, &io->x[3], &r1, &r2, &r3); break;
    case SC_KERNEL_STATUS: st = sc_kernel_status(&r1, &r2, &r3); break;
    default: st = HV_STATUS_INVALID_HYPERCALL_CODE; break;
    }
    if (st != HV_STATUS_SUCCESS)
        note_refused(cpu, service, st, events);
    io->x[1] = (uint64_t)st;
    io->x[2] = r1;
    io->x[3] = r2;
    io->x[4] = r3;
}

/* VTL0 broke a protection this kernel set. The policy (kernel_lock.c):
 * a validated jump-label patch is performed and skipped; anything else is
 * refused, logged with the VP, PC, GPA and access, and reaches VTL0 as a
 * permission fault or an external abort (the hypervisor injects it). */
static void handle_intercept(struct sk_cpu *cpu, struct sk_io *io)
{
    struct ovbs_intercept_message m;
    struct hv_result r = hvc(OVBS_GET_INTERCEPT, (uint64_t)(uintptr_t)&m, sizeof(m), 0);
    if (r.x0 != HV_STATUS_SUCCESS || m.gpa != io->x[4] || m.pc != io->x[2])
        panic("intercept message does not match the entry registers");
    if (m.vp_index != cpu->index || (io->x[1] & 0xffffffffu) != cpu->index)
        panic("intercept message of another VP");
    cpu->intercepts_seen++;
    uint8_t st = vtl0_page_state(m.gpa);
    uint64_t action = kl_intercept(cpu, &m);
    io->x[1] = action;
    if (action == INTERCEPT_ACTION_EMULATED)
        return; /* counted and logged as a patch */
    sk_event(SK_EV_INTERCEPT, m.gpa, m.pc);
    if (sk_log_allowed(SK_LOG_INTERCEPT))
        sk_log("intercept: VP %u VTL0 EL%u %s of GPA 0x%lx (VA 0x%lx) at PC 0x%lx, page allows "
               "%x%s%s -> %s", m.vp_index, m.from_el,
               m.access < 3 ? access_names[m.access] : "?", m.gpa, m.gva_valid ? m.gva : 0,
               m.pc, st & OVBS_ACC_RWX, (st & STATE_LOCKED) ? " (locked)" : "",
               (st & STATE_KTEXT) ? " (kernel text)" : "",
               action == INTERCEPT_ACTION_INJECT_PERMISSION ? "permission fault" : "abort");
}

/* A nested intercept (vsm.h): VTL0 broke a protection while this VP's
 * secure call is preempted. Entered from sk_nested_entry on this VP's
 * nested stack, masked, with the call's context put aside by the
 * hypervisor, which brings it back after our VtlReturn: so nothing here
 * touches the call's state. It has its own io, leaves the FP/SIMD
 * registers alone (trapped: sk_exception stops on a use), and gives back
 * the VP's event count, which the call compares to see whether it
 * recorded an event (note_refused). The call holds no lock (it could not
 * be preempted in a critical section), so taking ours here cannot wait on
 * it. */
_Noreturn void sk_nested_intercept(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3,
                                   uint64_t x4, uint64_t x5, uint64_t x6);
_Noreturn void sk_nested_intercept(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3,
                                   uint64_t x4, uint64_t x5, uint64_t x6)
{
    struct sk_cpu *cpu = this_cpu();
    struct sk_io io = { .x = { x0, x1, x2, x3, x4, x5, x6, 0 } };
    if (x0 != VTL_ENTRY_INTERCEPT || cpu->in_nested)
        panic("nested entry for something other than one intercept");
    uint64_t events = cpu->events_recorded;
    cpu->in_nested = true;
    handle_intercept(cpu, &io);
    cpu->events_recorded = events;
    cpu->in_nested = false;
    sk_leave(&io, OVBS_VTL_RETURN);
    panic("the hypervisor resumed a nested intercept");
}

/* ---- Exceptions ---------------------------------------------------------- */

/* An undefined instruction at one of probe.S's reads: the read failed. */
static bool probe_fixup(struct frame *f)
{
    if (ESR_EC(f->esr) != EC_UNKNOWN && ESR_EC(f->esr) != EC_DABT_CUR)
        return false;
    for (uint64_t i = 0; i < sk_probe_count; i++) {
        if (f->elr == sk_probe_insns[i]) {
            f->x[0] = 0;
            f->elr += 4;
            return true;
        }
    }
    return false;
}

void sk_exception(struct frame *f, unsigned kind)
{
    if (kind & 16) {
        tl_exception(f, kind);
        return;
    }
    if (kind == 1) {
        irq_handle(f);
        return;
    }
    if (kind == 0 && ESR_EC(f->esr) == EC_FP_SIMD) {
        if (this_cpu()->in_nested)
            panic("FP/SIMD in a nested intercept: the registers are the preempted call's");
        fp_kernel_trap(); /* BearSSL's first FP/SIMD instruction: runs again */
        return;
    }
    if (kind == 0 && probe_fixup(f))
        return;
    sk_log("unexpected exception kind %u: ESR 0x%lx FAR 0x%lx ELR 0x%lx", kind, f->esr,
           f->far, f->elr);
    panic("exception in the secure kernel");
}

/* ---- Boot and the loop --------------------------------------------------- */

static void enable_vtl_protection(void)
{
    uint64_t config = VSM_CONFIG_ENABLE_PROTECTION | (OVBS_ACC_RWX << VSM_CONFIG_MASK_SHIFT);
    struct hv_result r = hvc6(OVBS_SET_VP_REGISTER, 0, 0, VP_REG_VSM_PARTITION_CONFIG, config,
                              0, 0);
    if (r.x0 != HV_STATUS_SUCCESS)
        panic("the hypervisor refused to enable VTL protection");
}

extern uintptr_t __stack_chk_guard;

/* The boot VP, entered at _start with x0..x2: set up what every VP shares,
 * then this VP, enable the others, and serve like them. */
void sk_main(uint64_t vtl1_base, uint64_t vtl1_size, uint64_t nvp);
void sk_main(uint64_t vtl1_base, uint64_t vtl1_size, uint64_t nvp)
{
    /* Our own stack-protector canary, set where no protected frame that
     * saw the old value will return (sk_main itself never returns). */
    uint64_t canary;
    if (!sk_random_bytes(&canary, sizeof(canary)))
        panic("no entropy from RNDR for the stack canary");
    __stack_chk_guard = canary;
    sk_log("secure kernel at EL%lu of VTL1: memory [0x%lx, 0x%lx)",
           (READ_SYSREG(CurrentEL) >> 2) & 3, vtl1_base, vtl1_base + vtl1_size);
    uint64_t end = vtl1_base + vtl1_size;
    page_alloc_init(((uint64_t)(uintptr_t)__sk_end + SK_PAGE - 1) & ~(SK_PAGE - 1), end);
    dma_canary_init();
    vtl0mem_init();
    sk_mmu_init(vtl1_base, vtl1_size);
    enable_vtl_protection();
    trustlets_init();
    sk_cpu_setup(&sk_cpus[0], 0);
    smp_boot((unsigned)(nvp < 64 ? nvp : 64));
    sk_log("ready: secure calls 0..%u, %u..%u (trustlets) and %u..%u (kernel integrity), VTL "
           "protection enabled", SC_COUNT - 1, SC_TL_LOAD, SC_TL_INFO, SC_KERNEL_LAYOUT,
           SC_KERNEL_STATUS);
    sk_dispatch_loop(&sk_cpus[0], OVBS_VTL1_BOOT_DONE);
}

/* Leave VTL1 with `first_fid` (BOOT_DONE on the boot VP, VP_READY on the
 * others), then serve every entry of this VP. */
_Noreturn void sk_dispatch_loop(struct sk_cpu *cpu, uint32_t first_fid)
{
    struct sk_io *io = &cpu->io;
    fp_leave_vtl1(cpu);
    sk_leave(io, first_fid);
    for (;;) {
        bool scrub = false;
        switch (io->x[0]) {
        case VTL_ENTRY_CALL:
            scrub = io->x[1] == SC_SCRUB_TEST;
            if (!scrub)
                handle_call(cpu);
            break;
        case VTL_ENTRY_INTERCEPT:
            handle_intercept(cpu, io);
            break;
        case VTL_ENTRY_INTERRUPT:
            /* The timer is pending on our virtual interface: IRQs are
             * unmasked, so it has been taken by now. */
            cpu->interrupt_entries++;
            __asm__ volatile("isb");
            break;
        default:
            sk_log("entered with unknown reason 0x%lx", io->x[0]);
            panic("bad VTL1 entry");
        }
        fp_leave_vtl1(cpu);
        if (scrub)
            sk_scrub_and_return(io);
        else
            sk_leave(io, OVBS_VTL_RETURN);
    }
}
