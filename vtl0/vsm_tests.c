/* vsm_tests.c: tests of Virtual Trust Levels from VTL0 (EL1 of VTL0): secure
 * calls, the protections VTL1 sets on VTL0 memory and how they are enforced,
 * interrupts crossing VTLs, and the attacks the threat model forbids (each
 * passes only if it was blocked and the system kept running). */
#include <stddef.h>
#include <string.h>
#include "arm64/sysreg.h"
#include "kernel.h"
#include "pgtable.h"
#include "vsm_tests.h"

/* Pages this file protects and unprotects; nothing else lives on them. */
static uint8_t victim[4][4096] __attribute__((aligned(4096)));
static uint8_t buffer[4096] __attribute__((aligned(4096)));

#define INSN_MOV_X0_7   0xd28000e0u
#define INSN_MOV_X0_42  0xd2800540u
#define INSN_RET        0xd65f03c0u
#define INSN_SVC_0      0xd4000001u

static bool protect(const void *page, uint64_t pages, unsigned mask)
{
    return vcall(SC_PROTECT, pa(page), pages, mask).x0 == HV_STATUS_SUCCESS;
}

static bool restore(const void *page)
{
    return protect(page, 1, OVBS_ACC_RWX);
}

static bool injected(uint64_t value, unsigned before, unsigned ec)
{
    return value == PROBE_FAULT_VALUE && this_cpu()->fault.count == before + 1 &&
           ESR_EC(this_cpu()->fault.esr) == ec && ISS_FSC(this_cpu()->fault.esr) == FSC_SYNC_EXT_ABORT;
}

static bool write_faults(void *page)
{
    unsigned before = this_cpu()->fault.count;
    return injected(probe_store(pa(page), 0x5a5a), before, EC_DABT_CUR);
}

static bool read_faults(void *page)
{
    unsigned before = this_cpu()->fault.count;
    return injected(probe_load(pa(page)), before, EC_DABT_CUR);
}

static void sync_icache(void *p, uint64_t len)
{
    for (uint64_t a = pa(p); a < pa(p) + len; a += 64)
        __asm__ volatile("dc cvau, %0\n ic ivau, %0" : : "r"(a) : "memory");
    __asm__ volatile("dsb ish\n isb" ::: "memory");
}

/* victim[1]: kernel code "mov x0, #7; ret", mapped executable at EL1. */
static bool make_kernel_code(void)
{
    uint32_t *code = (uint32_t *)victim[1];
    code[0] = INSN_MOV_X0_7;
    code[1] = INSN_RET;
    sync_icache(code, 8);
    return mmu_map(pa(code), 4096, PT_R | PT_W | PT_XK);
}

static uint64_t run_kernel_code(void)
{
    expect_exec_fault(pa(victim[1]));
    uint64_t v = probe_exec(pa(victim[1]));
    expect_exec_fault(0);
    return v;
}

/* victim[2]: user code "mov x0, #42; svc #0", mapped executable at EL0. */
static bool make_user_code(void)
{
    uint32_t *code = (uint32_t *)victim[2];
    code[0] = INSN_MOV_X0_42;
    code[1] = INSN_SVC_0;
    sync_icache(code, 8);
    return mmu_map(pa(code), 4096, PT_R | PT_W | PT_USER | PT_XU);
}

static long run_user_code(void)
{
    return enter_el0(pa(victim[2]), user_stack_top);
}

static uint64_t query(const void *page)
{
    struct hv_result r = vcall(SC_QUERY, pa(page), 0, 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : ~0ull;
}

/* ---- Functional ----------------------------------------------------------- */

bool t_vtl_call_null(void)
{
    struct hv_result r = vcall(SC_NULL, 1, 2, 3);
    struct hv_result u = vcall(0x1234, 0, 0, 0);
    return note(r.x0 == HV_STATUS_SUCCESS && u.x0 == HV_STATUS_INVALID_HYPERCALL_CODE,
                "null secure call returns; unknown service refused");
}

bool t_measurement_log(void)
{
    static const char *const names[] = { "sk", "vtl0-kernel", "vtl0-dtb" };
    struct ovbs_measurement m;
    for (unsigned i = 0; i < 3; i++) {
        memset(&m, 0, sizeof(m));
        if (hvc(OVBS_HV_MEASUREMENT, i, pa(&m), sizeof(m)).x0 != HV_STATUS_SUCCESS)
            return note(false, "measurement not readable");
        uint8_t any = 0;
        for (unsigned b = 0; b < 32; b++)
            any |= m.sha256[b];
        kprintf("    %-12s base 0x%lx size %lu sha256 %02x%02x%02x%02x...\n", m.name, m.base,
                m.size, m.sha256[0], m.sha256[1], m.sha256[2], m.sha256[3]);
        if (strcmp(m.name, names[i]) || !any || !m.size)
            return note(false, "unexpected measurement entry");
    }
    bool past_end = hvc(OVBS_HV_MEASUREMENT, 3, pa(&m), sizeof(m)).x0 ==
                    HV_STATUS_INVALID_PARAMETER;
    bool small = hvc(OVBS_HV_MEASUREMENT, 0, pa(&m), 8).x0 == HV_STATUS_INVALID_PARAMETER;
    return note(past_end && small, "secure kernel, VTL0 kernel and device tree measured");
}

/* The hypervisor's own checks on hypercall buffers (guest_write,
 * hv/guestmem.c): OVBS_HV_MEASUREMENT, which any VTL may call, must not
 * write where its caller may not. Into a page VTL1 locked read-only, into
 * a buffer that runs from a writable page into that one, into hypervisor
 * and into VTL1 memory: refused, and nothing written. */
static bool measurement_refused(uint64_t buf, int64_t status)
{
    return hvc(OVBS_HV_MEASUREMENT, 0, buf, sizeof(struct ovbs_measurement)).x0 ==
           (uint64_t)status;
}

bool a_hv_buffer_checks(void)
{
    enum { M = sizeof(struct ovbs_measurement) };
    static uint8_t before[2][M];
    uint8_t *locked = victim[3], *span = victim[2] + 4096 - 16;
    uint64_t hv_size, vtl1_size;
    uint64_t hv = owned_base(OWNER_HV, true, &hv_size) + hv_size - 4096;
    uint64_t vtl1 = owned_base(OWNER_VTL1, true, &vtl1_size) + vtl1_size - 4096;
    bool lock = vcall(SC_LOCK, pa(locked), 1, OVBS_ACC_R).x0 == HV_STATUS_SUCCESS;
    memcpy(before[0], locked, M);
    memcpy(before[1], span, M);
    bool ro = measurement_refused(pa(locked), HV_STATUS_ACCESS_DENIED) &&
              !memcmp(before[0], locked, M);
    bool spanning = measurement_refused(pa(span), HV_STATUS_ACCESS_DENIED) &&
                    !memcmp(before[1], span, M);
    bool foreign = measurement_refused(hv, HV_STATUS_INVALID_PARAMETER) &&
                   measurement_refused(vtl1, HV_STATUS_INVALID_PARAMETER);
    bool works = measurement_refused(pa(buffer), HV_STATUS_SUCCESS);
    return note(lock && ro && spanning && foreign && works,
                "OVBS_HV_MEASUREMENT into a locked page, across into one, into hv or VTL1 "
                "memory: refused, nothing written");
}

/* Read-only: writes break VTL1's protection, reads still work. */
bool a_write_readonly_page(void)
{
    uint8_t *p = victim[0];
    p[0] = 1;
    if (!protect(p, 1, OVBS_ACC_R))
        return note(false, "SC_PROTECT refused");
    bool ro = query(p) == OVBS_ACC_R;
    bool blocked = write_faults(p);
    bool readable = probe_load(pa(p)) != PROBE_FAULT_VALUE && p[0] == 1;
    bool back = restore(p);
    p[0] = 2;
    return note(ro && blocked && readable && back && p[0] == 2,
                "write to a read-only page: intercepted by VTL1, abort injected; reads work");
}

/* Change protection of a page whose translation is cached in the TLB: the
 * hypervisor's break-before-make must remove the stale entry. */
bool a_stale_tlb(void)
{
    uint8_t *p = victim[0];
    bool ok = true;
    for (int round = 0; round < 3; round++) {
        p[8] = (uint8_t)round; /* TLB now holds a writable translation */
        if (!protect(p, 1, OVBS_ACC_R))
            return note(false, "SC_PROTECT refused");
        ok &= write_faults(p);
        ok &= restore(p);
        p[8] = 0x77;           /* and writable again at once */
        ok &= p[8] == 0x77;
    }
    return note(ok, "no write got through a stale TLB entry after a protection change");
}

bool a_exec_nx_el1(void)
{
    if (!make_kernel_code())
        return note(false, "could not map test code");
    bool runs = run_kernel_code() == 7;
    if (!protect(victim[1], 1, OVBS_ACC_R | OVBS_ACC_W | OVBS_ACC_XU))
        return note(false, "SC_PROTECT refused");
    unsigned before = this_cpu()->fault.count;
    bool blocked = injected(run_kernel_code(), before, EC_IABT_CUR);
    bool back = restore(victim[1]) && run_kernel_code() == 7;
    return note(runs && blocked && back,
                "EL1 execution of a kernel-non-executable page: instruction abort");
}

bool a_exec_nx_el0(void)
{
    if (!make_user_code())
        return note(false, "could not map test code");
    bool runs = run_user_code() == 42;
    /* Only kernel-execute removed: EL0 still runs it (FEAT_XNX split). */
    bool split = protect(victim[2], 1, OVBS_ACC_R | OVBS_ACC_W | OVBS_ACC_XU) &&
                 run_user_code() == 42;
    if (!protect(victim[2], 1, OVBS_ACC_R | OVBS_ACC_W | OVBS_ACC_XK))
        return note(false, "SC_PROTECT refused");
    long rc = run_user_code();
    bool blocked = rc == -(0x1000 + EC_IABT_LOWER) &&
                   ISS_FSC(this_cpu()->fault.esr) == FSC_SYNC_EXT_ABORT;
    bool back = restore(victim[2]) && run_user_code() == 42;
    return note(runs && split && blocked && back,
                "EL0 execution of a user-non-executable page: aborted; XK/XU independent");
}

bool t_execute_only(void)
{
    if (!make_kernel_code())
        return note(false, "could not map test code");
    if (!protect(victim[1], 1, OVBS_ACC_XK | OVBS_ACC_XU))
        return note(false, "SC_PROTECT refused");
    bool runs = run_kernel_code() == 7;
    bool unreadable = read_faults(victim[1]);
    bool unwritable = write_faults(victim[1]);
    bool back = restore(victim[1]);
    return note(runs && unreadable && unwritable && back,
                "execute-only page: runs, but cannot be read or written");
}

/* Kernel Data Protection: locked pages never become writable again. */
bool a_unlock_locked(void)
{
    uint8_t *p = victim[3];
    if (!(query(p) & SC_LOCKED))
        p[0] = 0x42; /* not if an earlier test (confused_deputy) locked it */
    const uint8_t mark = p[0];
    bool locked = vcall(SC_LOCK, pa(p), 1, OVBS_ACC_R).x0 == HV_STATUS_SUCCESS &&
                  query(p) == (OVBS_ACC_R | SC_LOCKED);
    bool deny_protect = vcall(SC_PROTECT, pa(p), 1, OVBS_ACC_RWX).x0 == HV_STATUS_ACCESS_DENIED;
    bool deny_lock_w = vcall(SC_LOCK, pa(p), 1, OVBS_ACC_R | OVBS_ACC_W).x0 ==
                       HV_STATUS_INVALID_PARAMETER;
    bool deny_hv = hvc6(OVBS_MODIFY_VTL_PROTECTION_MASK, 0, pa(p), 1, OVBS_ACC_RWX, 0, 0).x0 ==
                   HV_STATUS_ACCESS_DENIED;
    bool narrower_ok = vcall(SC_PROTECT, pa(p), 1, OVBS_ACC_R).x0 == HV_STATUS_SUCCESS;
    /* Two pages, only the second locked: the whole request is refused and
     * the first page keeps its protection too. */
    uint64_t first = query(victim[2]);
    bool deny_span = vcall(SC_PROTECT, pa(victim[2]), 2, OVBS_ACC_R | OVBS_ACC_W).x0 ==
                         HV_STATUS_ACCESS_DENIED && query(victim[2]) == first;
    bool still = write_faults(p) && p[0] == mark && query(p) == (OVBS_ACC_R | SC_LOCKED);
    return note(locked && deny_protect && deny_lock_w && deny_hv && narrower_ok && deny_span &&
                    still,
                "locked range stays read-only: secure call (one page or a span) and direct "
                "hypercall refused");
}

bool a_protect_foreign_memory(void)
{
    uint64_t hv_base = owned_base(OWNER_HV, false, NULL);
    uint64_t vtl1_base = owned_base(OWNER_VTL1, true, NULL);
    uint64_t end = vtl0_ram_base + vtl0_ram_size;
    bool ok = vcall(SC_PROTECT, hv_base, 1, OVBS_ACC_RWX).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_PROTECT, vtl1_base, 1, OVBS_ACC_RWX).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_PROTECT, uart_base, 1, OVBS_ACC_R).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_PROTECT, end - 4096, 2, OVBS_ACC_R).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_PROTECT, pa(victim[0]) + 8, 1, OVBS_ACC_R).x0 ==
                  HV_STATUS_INVALID_ALIGNMENT &&
              vcall(SC_PROTECT, pa(victim[0]), 1, 0x10).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_PROTECT, pa(victim[0]), 1, OVBS_ACC_W).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_PROTECT, pa(victim[0]), 0, OVBS_ACC_R).x0 == HV_STATUS_INVALID_PARAMETER &&
              query(victim[0]) == OVBS_ACC_RWX;
    return note(ok, "protections only for VTL0 RAM, page aligned, with a sensible mask");
}

/* ---- Calls only VTL1 may make ------------------------------------------- */

bool a_vsm_calls_from_vtl0(void)
{
    uint64_t cfg = VSM_CONFIG_MASK_SHIFT; /* "protection off" */
    bool ok =
        hvc6(OVBS_MODIFY_VTL_PROTECTION_MASK, 0, pa(victim[0]), 1, 0, 0, 0).x0 ==
            HV_STATUS_ACCESS_DENIED &&
        hvc(OVBS_VTL_RETURN, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED &&
        hvc6(OVBS_SET_VP_REGISTER, 0, 0, VP_REG_PC, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED &&
        hvc6(OVBS_SET_VP_REGISTER, 0, 0, VP_REG_VSM_PARTITION_CONFIG, cfg, 0, 0).x0 ==
            HV_STATUS_ACCESS_DENIED &&
        hvc6(OVBS_GET_VP_REGISTER, 0, 1, VP_REG_X0, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED &&
        hvc(OVBS_VTL1_BOOT_DONE, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED &&
        hvc(OVBS_VTL1_LOG, pa(buffer), 8, 0).x0 == HV_STATUS_ACCESS_DENIED &&
        hvc(OVBS_GET_INTERCEPT, pa(buffer), 4096, 0).x0 == HV_STATUS_ACCESS_DENIED &&
        hvc(OVBS_VTL1_FATAL, 0, 0, 0).x0 == HV_STATUS_ACCESS_DENIED &&
        vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS;
    return note(ok, "ModifyVtlProtectionMask, VtlReturn, Get/SetVpRegister, boot done, "
                    "log, intercept, fatal: all ACCESS_DENIED from VTL0");
}

bool a_vtl_call_from_el0(void)
{
    long rc = enter_el0((uint64_t)(uintptr_t)user_vtl_call, user_stack_top);
    return note(rc == -(0x1000 + EC_UNKNOWN), "VtlCall from EL0 is an undefined instruction");
}

/* VTL1 reads this call's x6 with GetVpRegister, writes x4 with
 * SetVpRegister, and checks the hypervisor refuses what VTL1 may not do. */
bool t_vtl1_selftest(void)
{
    register uint64_t x0 __asm__("x0") = OVBS_VTL_CALL;
    register uint64_t x1 __asm__("x1") = SC_SELFTEST;
    register uint64_t x2 __asm__("x2") = 0;
    register uint64_t x3 __asm__("x3") = 0;
    register uint64_t x4 __asm__("x4") = 0;
    register uint64_t x6 __asm__("x6") = 0x66aa55cc3311ull;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4) : "r"(x6)
                     : "memory");
    kprintf("    %lu checks, failed mask 0x%lx, x4 after the call 0x%lx\n", x2, x1, x4);
    /* The number of checks in selftest (sk/main.c): each one counts. */
    return note(x0 == HV_STATUS_SUCCESS && x1 == 0 && x2 == 24 && x4 == SC_SELFTEST_X4,
                "VTL1 read and wrote VTL0 registers; invalid VSM requests refused");
}

/* ---- Secure-call buffers ----------------------------------------------- */

/* Buffers that start on a page VTL0 may use and run into one it may not:
 * every page of the range is checked, not only the first. victim[1] is
 * made unreadable, victim[3] is locked read-only (a_confused_deputy). */
static bool spanning_buffers(void)
{
    uint8_t *end_of_2 = victim[2] + 4096 - 2;
    uint8_t before[2] = { end_of_2[0], end_of_2[1] };
    bool in = protect(victim[1], 1, 0) &&
              vcall(SC_CHECKSUM, pa(victim[1]) - 64, 128, 0).x0 == HV_STATUS_ACCESS_DENIED &&
              restore(victim[1]);
    bool out = vcall(SC_QUERY_RANGE, pa(victim[0]), 4, pa(end_of_2)).x0 ==
                   HV_STATUS_ACCESS_DENIED && end_of_2[0] == before[0] &&
               end_of_2[1] == before[1];
    return in && out;
}

bool a_confused_deputy(void)
{
    uint64_t hv_size;
    uint64_t vtl1 = owned_base(OWNER_VTL1, true, NULL);
    uint64_t hv = owned_base(OWNER_HV, true, &hv_size);
    hv += hv_size - 4096; /* inside the hypervisor image or pool */
    uint64_t end = vtl0_ram_base + vtl0_ram_size;
    bool in = vcall(SC_CHECKSUM, vtl1, 64, 0).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_CHECKSUM, hv, 64, 0).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_CHECKSUM, uart_base, 16, 0).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_CHECKSUM, end - 16, 64, 0).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_CHECKSUM, pa(buffer), 4097, 0).x0 == HV_STATUS_INVALID_PARAMETER &&
              vcall(SC_CHECKSUM, ~0ull - 8, 64, 0).x0 == HV_STATUS_INVALID_PARAMETER;
    /* Output buffers: into VTL1 memory, and into a page VTL0 cannot write. */
    bool out = vcall(SC_QUERY_RANGE, pa(victim[0]), 4, vtl1).x0 == HV_STATUS_INVALID_PARAMETER;
    bool ro = vcall(SC_LOCK, pa(victim[3]), 1, OVBS_ACC_R).x0 == HV_STATUS_SUCCESS;
    uint8_t before = victim[3][0];
    bool ro_out = vcall(SC_QUERY_RANGE, pa(victim[0]), 4, pa(victim[3])).x0 ==
                  HV_STATUS_ACCESS_DENIED && victim[3][0] == before;
    bool good = vcall(SC_QUERY_RANGE, pa(victim[0]), 4, pa(buffer)).x0 == HV_STATUS_SUCCESS &&
                buffer[3] == (OVBS_ACC_R | 0x10);
    /* Reading, through VTL1, a page VTL0 itself may not read. */
    bool no_read = protect(victim[0], 1, 0) &&
                   vcall(SC_CHECKSUM, pa(victim[0]), 64, 0).x0 == HV_STATUS_ACCESS_DENIED &&
                   restore(victim[0]);
    bool spans = spanning_buffers();
    return note(in && out && ro && ro_out && good && no_read && spans,
                "buffers in VTL1, hv, MMIO, beyond RAM, too large or not VTL0-accessible: refused");
}

static uint64_t fnv1a(const uint8_t *p, uint64_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void flip_buffer(void)
{
    for (unsigned i = 0; i < sizeof(buffer); i++)
        buffer[i] ^= 0xff;
}

/* The timer must fire after the secure kernel copied the buffer in (a few
 * thousand instructions) and well before its spin ends (millions): 500 us
 * is both, whether the counter follows instructions (-icount) or time. */
#define PREEMPT_TICKS 31250        /* 500 us at 62.5 MHz */
#define SPIN_ITERATIONS 1000000ull

/* A secure call interrupted by VTL0's timer: arm it, make the call with
 * interrupts on, and report whether the interrupt landed inside the call.
 * Returns the call's result. A miss is tried again, up to 12 times, the
 * deadline doubling up to 4 ms: without -icount the counter is the host's
 * time, and on a loaded host the vCPU can stall between arming the timer
 * and the call (QEMU takes its global lock for the timer write) for longer
 * than the deadline, so the interrupt comes before the HVC; seen in bursts
 * of five in a row with four QEMUs on two cores. */
static struct hv_result call_with_timer(uint64_t service, uint64_t a, uint64_t b, uint64_t c,
                                        void (*hook)(void), bool *hit)
{
    struct hv_result r = { 0 };
    for (unsigned attempt = 0; attempt < 12; attempt++) {
        uint64_t ticks = PREEMPT_TICKS << (attempt < 3 ? attempt : 3);
        r = vcall_with_timer(ticks, hook, hit, service, a, b, c, 0);
        if (*hit)
            return r;
    }
    return r;
}

/* Time of check to time of use: VTL0 changes the buffer while VTL1 works
 * on it (from its timer interrupt, which preempts VTL1). The secure kernel
 * reports in `progress` (a VTL0 word it writes through its checked
 * copy-out) when it has taken its copy; the interrupt changes the buffer
 * only after that, re-arming itself until then, and only if the interrupt
 * preempted the call (irq_hit_in_call): a flip after VTL1 returned would
 * prove nothing. The result must be the checksum of what was there when
 * VTL1 checked it. */
static volatile uint64_t progress __attribute__((aligned(64)));
static volatile bool flipped;

static void flip_after_copy(void)
{
    if (progress == 1 && !irq_hit_in_call)
        return; /* VTL1 has copied and already returned: too late to count */
    if (progress != 1) {
        irq_hook = flip_after_copy;
        timer_arm(PREEMPT_TICKS / 8);
        return;
    }
    flip_buffer();
    flipped = true;
}

/* One attempt: true if the interrupt flipped the buffer during the call. */
static bool toctou_attempt(struct hv_result *r, uint64_t *expect)
{
    for (unsigned i = 0; i < sizeof(buffer); i++)
        buffer[i] = (uint8_t)(i * 7 + 3);
    *expect = fnv1a(buffer, sizeof(buffer));
    progress = 0;
    flipped = false;
    bool one_interrupt; /* not the question here: the hook re-arms itself */
    *r = vcall_with_timer(PREEMPT_TICKS / 8, flip_after_copy, &one_interrupt, SC_CHECKSUM,
                          pa(buffer), sizeof(buffer), SC_MAX_SPIN, pa((const void *)&progress));
    return flipped;
}

bool a_toctou_buffer(void)
{
    struct hv_result r = { 0 };
    uint64_t expect = 0;
    /* A host busy enough to delay every timer interrupt past the secure
     * kernel's spin leaves nothing flipped: that attempt proves nothing
     * either way, so try again. */
    bool flipped_in_call = false;
    int attempt = 0;
    while (attempt < 5 && !flipped_in_call) {
        flipped_in_call = toctou_attempt(&r, &expect);
        attempt++;
    }
    bool changed = buffer[0] == (uint8_t)(3 ^ 0xff);
    kprintf("    buffer changed after VTL1 copied it: %s (attempt %d, status %ld, %s checksum)\n",
            flipped_in_call && changed ? "yes" : "no", attempt, (long)r.x0,
            r.x1 == expect ? "the copy's" : "ANOTHER");
    return note(flipped_in_call && changed && r.x0 == HV_STATUS_SUCCESS && r.x1 == expect,
                "buffer changed mid-call; VTL1 used its own copy, result unchanged");
}

bool t_interrupt_preempts_vtl1(void)
{
    bool hit = false;
    unsigned irqs = irq_count;
    struct hv_result r = call_with_timer(SC_SPIN, SPIN_ITERATIONS, 0, 0, 0, &hit);
    if (!hit || r.x0 != HV_STATUS_SUCCESS || r.x1 != sc_spin_result(SPIN_ITERATIONS))
        kprintf("    preempted %d (VTL0 interrupts %u, last in a call %d), status %ld, %s result\n",
                hit, irq_count - irqs, irq_hit_in_call, (long)r.x0,
                r.x1 == sc_spin_result(SPIN_ITERATIONS) ? "its own" : "a WRONG");
    return note(hit && r.x0 == HV_STATUS_SUCCESS && r.x1 == sc_spin_result(SPIN_ITERATIONS),
                "VTL0's timer stopped VTL1 at once; the call resumed and completed correctly");
}

/* A nested intercept (vsm.h): VTL0 writes a page VTL1 made read-only while
 * a secure call is preempted. VTL1 must decide about it on its nested
 * entry: the hypervisor and the secure kernel each count one intercept
 * more, the VP is preempted before and after, VTL0's store faults and
 * changes nothing, and the call then resumes with its own result, so its
 * context came back whole. Without nested delivery the hypervisor would
 * inject its default abort and neither count would move. Two rounds: an
 * SC_SPIN, then an SC_CHECKSUM whose frames are live on VTL1's stack while
 * it spins (a second nested entry must not land on them). */
static uint8_t nested_page[4096] __attribute__((aligned(4096)));
static volatile uint64_t nested_store, nested_before, nested_after;

static void store_while_preempted(void)
{
    if (!irq_hit_in_call)
        return; /* a late interrupt: VTL1 is idle, an ordinary intercept */
    unsigned me = this_cpu()->index;
    nested_before = hvc(OVBS_HV_VP_STATS, me, 0, 0).x1;
    nested_store = probe_store(pa(nested_page), 0x5a);
    nested_after = hvc(OVBS_HV_VP_STATS, me, 0, 0).x1;
}

/* One preempted call with a store from its interrupt; true if all held. */
static bool nested_round(const char *what, uint64_t service, uint64_t a, uint64_t b, uint64_t c,
                         uint64_t expect)
{
    uint64_t seen_before = vcall(SC_STATS, 0, 0, 0).x1;
    bool hit = false;
    nested_store = nested_before = nested_after = 0;
    struct hv_result r = call_with_timer(service, a, b, c, store_while_preempted, &hit);
    uint64_t seen_after = vcall(SC_STATS, 0, 0, 0).x1;
    unsigned state_before = nested_before & 0xff, state_after = nested_after & 0xff;
    uint64_t hv_delivered = (nested_after >> 32) - (nested_before >> 32);
    kprintf("    %s preempted: %s; VP state %u -> %u, intercepts delivered %lu, seen by VTL1 "
            "%lu; store %s, page 0x%x; call: status %ld, %s result\n", what, hit ? "yes" : "no",
            state_before, state_after, hv_delivered, seen_after - seen_before,
            nested_store == PROBE_FAULT_VALUE ? "faulted" : "WENT THROUGH", nested_page[0],
            (long)r.x0, r.x1 == expect ? "its own" : "a WRONG");
    return hit && state_before == 5 && state_after == 5 && hv_delivered == 1 &&
           seen_after == seen_before + 1 && nested_store == PROBE_FAULT_VALUE &&
           nested_page[0] == 0x11 && r.x0 == HV_STATUS_SUCCESS && r.x1 == expect;
}

bool t_nested_intercept(void)
{
    nested_page[0] = 0x11;
    uint64_t gpa = pa(nested_page);
    if (vcall(SC_PROTECT, gpa, 1, OVBS_ACC_R).x0 != HV_STATUS_SUCCESS)
        return note(false, "could not make the page read-only");
    for (unsigned i = 0; i < sizeof(buffer); i++)
        buffer[i] = (uint8_t)(i * 5 + 1);
    bool spin = nested_round("SC_SPIN", SC_SPIN, SPIN_ITERATIONS, 0, 0,
                             sc_spin_result(SPIN_ITERATIONS));
    bool sum = nested_round("SC_CHECKSUM", SC_CHECKSUM, pa(buffer), sizeof(buffer),
                            SPIN_ITERATIONS, fnv1a(buffer, sizeof(buffer)));
    bool restored = vcall(SC_PROTECT, gpa, 1, OVBS_ACC_RWX).x0 == HV_STATUS_SUCCESS;
    return note(spin && sum && restored,
                "an intercept while a call is preempted reaches VTL1 (nested entry); the call "
                "resumes whole");
}

/* VTL0's PMU must not count VTL1's work: the hypervisor stops it while
 * VTL1 runs (pmu_on_switch, PMCR_EL0.E clear; not under hv.bench, which
 * make test never uses). The cycle counter, counting EL1 and EL0 (the
 * PMCCFILTR_EL0 default), over SC_SPIN must stay far below its count over
 * the same loop run here in VTL0. Without -icount the counter follows time,
 * which serves as well: the same loop takes about as long in either VTL. */
static uint64_t cycles_of(uint64_t (*work)(uint64_t), uint64_t iterations)
{
    uint64_t before = READ_SYSREG(pmccntr_el0);
    uint64_t r = work(iterations);
    isb();
    uint64_t counted = READ_SYSREG(pmccntr_el0) - before;
    return r == sc_spin_result(iterations) ? counted : ~0ull;
}

static uint64_t spin_here(uint64_t iterations)
{
    return sc_spin_result(iterations);
}

static uint64_t spin_in_vtl1(uint64_t iterations)
{
    struct hv_result r = vcall(SC_SPIN, iterations, 0, 0);
    return r.x0 == HV_STATUS_SUCCESS ? r.x1 : 0;
}

bool a_pmu_count_vtl1(void)
{
    WRITE_SYSREG(pmccfiltr_el0, 0);
    WRITE_SYSREG(pmcntenset_el0, 1ull << 31);
    WRITE_SYSREG(pmcr_el0, READ_SYSREG(pmcr_el0) | 1); /* E */
    isb();
    uint64_t here = cycles_of(spin_here, SPIN_ITERATIONS);
    uint64_t vtl1 = cycles_of(spin_in_vtl1, SPIN_ITERATIONS);
    bool on = (READ_SYSREG(pmcr_el0) & 1) != 0;
    kprintf("    cycles counted over %llu iterations: in VTL0 %lu, in a secure call %lu\n",
            SPIN_ITERATIONS, here, vtl1);
    return note(on && here != ~0ull && vtl1 != ~0ull && here > 1000 && vtl1 < here / 8,
                "VTL0's cycle counter stops while VTL1 works, and runs again after");
}

/* A second secure call from VTL0's interrupt handler while the first one
 * is preempted must not pick up the first one's VTL1 work (and results):
 * the hypervisor refuses it, and the first call still completes. */
static volatile uint64_t nested_status;

static void nested_call(void)
{
    nested_status = vcall(SC_NULL, 0, 0, 0).x0;
}

bool t_nested_call_while_preempted(void)
{
    bool hit = false;
    struct hv_result r = { 0 };
    /* An interrupt that lands in VTL0 just before the HVC (a busy host can
     * delay it that long) finds VTL1 idle, and the nested call rightly
     * succeeds: try again until one lands inside VTL1's work. */
    for (int attempt = 0; attempt < 5; attempt++) {
        nested_status = ~0ull;
        r = call_with_timer(SC_SPIN, SPIN_ITERATIONS, 0, 0, nested_call, &hit);
        if (nested_status != HV_STATUS_SUCCESS)
            break;
    }
    kprintf("    nested secure call from the interrupt handler: status %ld\n",
            (long)nested_status);
    struct hv_result after = vcall(SC_NULL, 0, 0, 0);
    return note(hit && nested_status == (uint64_t)HV_STATUS_INVALID_PARTITION_STATE &&
                    r.x0 == HV_STATUS_SUCCESS && r.x1 == sc_spin_result(SPIN_ITERATIONS) &&
                    after.x0 == HV_STATUS_SUCCESS,
                "nested call refused; the preempted call resumed and completed correctly");
}

/* The preempted call is resumed only by the very same VtlCall: the same
 * HVC instruction with the same stack pointer (resume_preempted, hv/vtl.c).
 * From VTL0's interrupt handler, during a preempted SC_SPIN: a VtlCall from
 * another HVC with the preempted call's SP, and one from the preempted
 * call's own HVC with the handler's SP. Both are refused with
 * INVALID_PARTITION_STATE, and the SC_SPIN still completes. */
static volatile uint64_t other_pc_status, other_sp_status;

static void reissue_elsewhere(void)
{
    uint64_t sp = vtl0_timed_sp; /* read before the second call moves it */
    other_pc_status = vtl0_vcall_at_sp(sp, SC_NULL);
    uint64_t io[7] = { OVBS_VTL_CALL, SC_NULL, 0, 0, 0, 0, 0 };
    vtl0_timed_vcall(io);
    other_sp_status = io[0];
}

bool a_reissue_preempted_call(void)
{
    bool hit = false;
    other_pc_status = other_sp_status = ~0ull;
    struct hv_result r = call_with_timer(SC_SPIN, SPIN_ITERATIONS, 0, 0, reissue_elsewhere, &hit);
    kprintf("    while preempted: another PC, same SP: status %ld; same PC, another SP: %ld\n",
            (long)other_pc_status, (long)other_sp_status);
    const uint64_t busy = (uint64_t)HV_STATUS_INVALID_PARTITION_STATE;
    return note(hit && other_pc_status == busy && other_sp_status == busy &&
                    r.x0 == HV_STATUS_SUCCESS && r.x1 == sc_spin_result(SPIN_ITERATIONS) &&
                    vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS,
                "a VtlCall from another PC or another SP does not resume the preempted call");
}

bool t_vtl1_watchdog(void)
{
    struct hv_result before = vcall(SC_STATS, 0, 0, 0);
    unsigned irqs = irq_count;
    irq_enable();
    struct hv_result r = vcall(SC_WATCHDOG, 6250, 0, 0);
    irq_disable();
    struct hv_result after = vcall(SC_STATS, 0, 0, 0);
    return note(r.x0 == HV_STATUS_TIME_OUT && r.x1 >= 6250 && after.x2 == before.x2 + 1 &&
                    irq_count == irqs,
                "VTL1's own timer stopped its runaway work; VTL0 saw no interrupt");
}

/* VTL1 arms its own timer and returns; the timer expires while VTL0 runs
 * and must enter VTL1 (entry reason: interrupt) without VTL0 seeing it. The
 * counter follows wall time outside -icount, so a busy host can let the
 * deadline pass before VTL1 has even returned: then the interrupt lands in
 * VTL1 directly, and the test tries again with a longer deadline. */
bool t_vtl1_timer_entry(void)
{
    bool entered = false, quiet = true;
    uint64_t ticks = 6250;
    for (int attempt = 0; attempt < 5 && !entered; attempt++, ticks *= 4) {
        struct hv_result before = vcall(SC_STATS, 0, 0, 0);
        unsigned irqs = irq_count;
        irq_enable();
        bool armed = vcall(SC_TIMER_ARM, ticks, 0, 0).x0 == HV_STATUS_SUCCESS;
        uint64_t until = READ_SYSREG(cntvct_el0) + ticks * 4;
        while (READ_SYSREG(cntvct_el0) < until)
            ;
        irq_disable();
        struct hv_result after = vcall(SC_STATS, 0, 0, 0);
        entered = armed && after.x3 == before.x3 + 1 && after.x2 == before.x2 + 1;
        quiet &= irq_count == irqs;
    }
    return note(entered && quiet,
                "VTL1's timer entered VTL1 while VTL0 ran (entry reason: interrupt)");
}

bool t_intercepts_reach_vtl1(void)
{
    struct hv_result before = vcall(SC_STATS, 0, 0, 0);
    bool ok = protect(victim[0], 1, OVBS_ACC_R) && write_faults(victim[0]) &&
              restore(victim[0]);
    struct hv_result after = vcall(SC_STATS, 0, 0, 0);
    return note(ok && after.x1 == before.x1 + 1, "VTL1 received the memory intercept");
}

/* The EL1 registers of "other EL1 registers" in docs/state-inventory.md.
 * The first N_PLANTED are the ones VTL1's SC_SCRUB_TEST fills with its own
 * values (sk_scrub_and_return); VTL0 puts its own values there first. The
 * rest VTL1 runs on until it leaves, so it cannot plant them; VTL0 checks
 * that its values are back all the same. MDSCR_EL1 traps (debug_regs). */
enum {
    R_FAR, R_PAR, R_ELR, R_SPSR, R_ESR, R_CONTEXTIDR, R_AFSR0, R_AFSR1, R_CSSELR, R_CNTKCTL,
    N_PLANTED,
    R_TTBR0 = N_PLANTED, R_TTBR1, R_TCR, R_MAIR, R_AMAIR, R_VBAR, R_SCTLR, R_CPACR,
    N_EL1
};
static const char *const el1_names[N_EL1] = {
    "FAR", "PAR", "ELR", "SPSR", "ESR", "CONTEXTIDR", "AFSR0", "AFSR1", "CSSELR", "CNTKCTL",
    "TTBR0", "TTBR1", "TCR", "MAIR", "AMAIR", "VBAR", "SCTLR", "CPACR",
};
/* Ours, each unlike what VTL1 plants (SC_SCRUB_MARKER; CSSELR 2, CNTKCTL 3). */
static const uint64_t el1_mine[N_PLANTED] = {
    0x0000ba5e0000f00dull, 0x0000000012345000ull, 0x00000000480abcd0ull, 0x3c5, 0x96000045,
    0x0cab, 0x11, 0x22, 0, 0x300,
};

static void read_el1(uint64_t v[N_EL1])
{
    v[R_FAR] = READ_SYSREG(far_el1);
    v[R_PAR] = READ_SYSREG(par_el1);
    v[R_ELR] = READ_SYSREG(elr_el1);
    v[R_SPSR] = READ_SYSREG(spsr_el1);
    v[R_ESR] = READ_SYSREG(esr_el1);
    v[R_CONTEXTIDR] = READ_SYSREG(contextidr_el1);
    v[R_AFSR0] = READ_SYSREG(afsr0_el1);
    v[R_AFSR1] = READ_SYSREG(afsr1_el1);
    v[R_CSSELR] = READ_SYSREG(csselr_el1);
    v[R_CNTKCTL] = READ_SYSREG(cntkctl_el1);
    v[R_TTBR0] = READ_SYSREG(ttbr0_el1);
    v[R_TTBR1] = READ_SYSREG(ttbr1_el1);
    v[R_TCR] = READ_SYSREG(tcr_el1);
    v[R_MAIR] = READ_SYSREG(mair_el1);
    v[R_AMAIR] = READ_SYSREG(amair_el1);
    v[R_VBAR] = READ_SYSREG(vbar_el1);
    v[R_SCTLR] = READ_SYSREG(sctlr_el1);
    v[R_CPACR] = READ_SYSREG(cpacr_el1);
}

static void write_planted(const uint64_t v[N_PLANTED])
{
    WRITE_SYSREG(far_el1, v[R_FAR]);
    WRITE_SYSREG(par_el1, v[R_PAR]);
    WRITE_SYSREG(elr_el1, v[R_ELR]);
    WRITE_SYSREG(spsr_el1, v[R_SPSR]);
    WRITE_SYSREG(esr_el1, v[R_ESR]);
    WRITE_SYSREG(contextidr_el1, v[R_CONTEXTIDR]);
    WRITE_SYSREG(afsr0_el1, v[R_AFSR0]);
    WRITE_SYSREG(afsr1_el1, v[R_AFSR1]);
    WRITE_SYSREG(csselr_el1, v[R_CSSELR]);
    WRITE_SYSREG(cntkctl_el1, v[R_CNTKCTL]);
    isb();
}

/* Plant ours, make the scrub call, and count the EL1 registers that did
 * not come back with our value (what stuck: some bits are RES0, AFSR0/1
 * may read as zero). The registers get their earlier values back. */
static unsigned el1_changed_by_call(uint64_t *regs)
{
    uint64_t orig[N_EL1], mine[N_EL1], after[N_EL1];
    read_el1(orig);
    write_planted(el1_mine);
    read_el1(mine);
    vtl0_scrub_probe(regs);
    read_el1(after);
    write_planted(orig);
    unsigned changed = 0;
    for (unsigned i = 0; i < N_EL1; i++) {
        if (after[i] != mine[i]) {
            kprintf("    %s_EL1 is 0x%lx after the call, was 0x%lx\n", el1_names[i], after[i],
                    mine[i]);
            changed++;
        }
    }
    return changed;
}

/* Nothing VTL1 leaves in its registers may be visible to VTL0. */
bool a_vtl1_register_leak(void)
{
    static uint64_t regs[99];
    unsigned el1 = el1_changed_by_call(regs);
    uint64_t sys[3] = { READ_SYSREG(ttbr0_el1), READ_SYSREG(vbar_el1), READ_SYSREG(sctlr_el1) };
    extern char vtl0_vectors[];
    unsigned leaks = 0;
    for (unsigned i = 0; i < 99; i++)
        leaks += regs[i] == SC_SCRUB_MARKER;
    bool own_sys = sys[1] == pa(vtl0_vectors) && (sys[2] & 1);
    kprintf("    %u registers hold the VTL1 marker; %u of %u EL1 registers changed\n", leaks, el1,
            (unsigned)N_EL1);
    return note(regs[0] == HV_STATUS_SUCCESS && leaks == 0 && el1 == 0 && own_sys,
                "after a return from VTL1 no general, FP/SIMD, thread or EL1 register holds its "
                "data");
}

/* ---- Fuzzing ------------------------------------------------------------- */

static uint64_t rng_state;
bool fuzz_trace;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static uint64_t fuzz_arg(const uint64_t *interesting, unsigned n)
{
    switch (rng() % 4) {
    case 0: return rng();
    case 1: return rng() % 32;
    case 2: return interesting[rng() % n];
    default: return interesting[rng() % n] + (rng() % 16) * 4096 - 8 * 4096;
    }
}

/* PSCI calls that change power state would end the test; everything else
 * goes, with any arguments. */
static bool fuzz_allowed(uint32_t fid)
{
    return ((fid >> 24) & 0x3f) != 4;
}

/* The one VTL0 page the fuzzer's calls may name (see fuzz_hypercalls). */
static uint8_t scratch[4096] __attribute__((aligned(4096)));

/* A digest (FNV-1a) of every call's function ID and status, so two runs of
 * one seed can be compared from outside: from the same starting state they
 * must agree call for call (x1..x3 may carry time or random bytes, and are
 * left out). */
#define FUZZ_DIGEST_INIT 0xcbf29ce484222325ull
static uint64_t fuzz_digest(uint64_t h, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++, v >>= 8)
        h = (h ^ (v & 0xff)) * 0x100000001b3ull;
    return h;
}

bool fuzz_hypercalls(uint64_t seed, unsigned count)
{
    uint64_t vtl1 = owned_base(OWNER_VTL1, true, NULL);
    uint64_t hv = owned_base(OWNER_HV, true, NULL);
    const uint64_t interesting[] = {
        0, 1, ~0ull, vtl1, hv, uart_base, pa(scratch), 1ull << 63, 0xc6000010, 4096,
    };
    const unsigned n = sizeof(interesting) / sizeof(interesting[0]);
    rng_state = seed ? seed : 1;
    kprintf("    fuzz seed 0x%lx, %u calls\n", seed, count);
    unsigned secure_calls = 0;
    uint64_t digest = FUZZ_DIGEST_INIT;
    for (unsigned i = 0; i < count; i++) {
        uint32_t fid;
        switch (rng() % 4) {
        case 0: fid = (uint32_t)rng(); break;
        case 1: fid = OVBS_FN((uint32_t)(rng() % 0x20)); break;
        case 2: fid = OVBS_VTL_CALL; break;
        default: fid = (uint32_t)(0x80000000u | (rng() & 0x4f00ffffu)); break;
        }
        if (!fuzz_allowed(fid))
            continue;
        uint64_t a[6];
        for (unsigned j = 0; j < 6; j++)
            a[j] = fuzz_arg(interesting, n);
        if (fid == OVBS_VTL_CALL) {
            a[0] = rng() % (SC_COUNT + 2);
            secure_calls++;
        }
        /* The fuzzer attacks the interfaces, not its own kernel: any
         * address inside this kernel's RAM is moved onto the scratch page,
         * and protection requests cover at most that page. */
        for (unsigned j = 0; j < 6; j++) {
            if (a[j] >= vtl0_ram_base && a[j] - vtl0_ram_base < vtl0_ram_size)
                a[j] = pa(scratch) + (a[j] & 0xfff);
        }
        if (fid == OVBS_VTL_CALL && (a[0] == SC_PROTECT || a[0] == SC_LOCK ||
                                     a[0] == SC_QUERY_RANGE) && a[2] > 1)
            a[2] = 1;
        if (fuzz_trace)
            kprintf("    #%u fid 0x%x args 0x%lx 0x%lx 0x%lx 0x%lx\n", i, fid, a[0], a[1], a[2],
                    a[3]);
        struct hv_result r = hvc6(fid, a[0], a[1], a[2], a[3], a[4], a[5]);
        digest = fuzz_digest(fuzz_digest(digest, fid), r.x0);
    }
    bool alive = hvc(OVBS_HV_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS &&
                 vcall(SC_NULL, 0, 0, 0).x0 == HV_STATUS_SUCCESS;
    kprintf("    %u secure calls among them; hypervisor and secure kernel %s\n", secure_calls,
            alive ? "still answer" : "BROKEN");
    kprintf("    statuses digest 0x%lx\n", digest);
    return alive;
}

/* ---- What the fuzz must leave as it was ------------------------------------ */

/* The ownership map as the hypervisor reports it, without what the fuzz
 * may rightly change: the protection of the scratch page (painted over,
 * which may split its run) and of VTL0 RAM outside this kernel's own
 * (the fuzzer aims there, next to hypervisor and VTL1 memory); neighbouring
 * runs that then agree are merged. Owners must not change anywhere. */
#define MAX_SPANS 64
struct span {
    uint64_t base, end, what; /* what: owner | access << 8 */
};

static void add_span(struct span *s, unsigned *n, uint64_t base, uint64_t end, uint64_t what)
{
    if (base >= end)
        return;
    if (*n && s[*n - 1].end == base && s[*n - 1].what == what) {
        s[*n - 1].end = end;
        return;
    }
    if (*n < MAX_SPANS)
        s[*n] = (struct span){ base, end, what };
    (*n)++;
}

static unsigned memmap_spans(struct span *s)
{
    const uint64_t skip = pa(scratch), painted = ~0ull;
    unsigned n = 0;
    for (unsigned i = 0;; i++) {
        struct hv_result r = hvc(OVBS_HV_MEMMAP_ENTRY, i, 0, 0);
        if (r.x0 != HV_STATUS_SUCCESS)
            break;
        uint64_t base = r.x1, end = r.x1 + r.x2, what = r.x3 & 0xffff;
        bool ours = base < vtl0_ram_base + vtl0_ram_size && end > vtl0_ram_base;
        if ((what & 0xff) == OWNER_VTL0 && !ours)
            what = OWNER_VTL0;
        if (skip >= base && skip < end) {
            add_span(s, &n, base, skip, what);
            add_span(s, &n, skip, skip + 4096, painted);
            add_span(s, &n, skip + 4096, end, what);
        } else {
            add_span(s, &n, base, end, what);
        }
    }
    return n;
}

/* VTL1's view of some pages: this file's own, and the scratch page's
 * neighbours (the fuzz names only the scratch page itself). */
#define WATCHED 7
static void watched_protections(uint64_t out[WATCHED])
{
    const void *pages[WATCHED] = { victim[0], victim[1], victim[2], victim[3], buffer,
                                   scratch - 4096, scratch + 4096 };
    for (unsigned i = 0; i < WATCHED; i++)
        out[i] = query(pages[i]);
}

/* Hypervisor and VTL1 memory still out of VTL0's reach: the first and last
 * page of each, and pages near the fuzzer's favourite addresses. */
static bool still_unreachable(void)
{
    uint64_t hv_size, vtl1_size;
    uint64_t hv = owned_base(OWNER_HV, true, &hv_size);
    uint64_t vtl1 = owned_base(OWNER_VTL1, true, &vtl1_size);
    const uint64_t targets[] = {
        owned_base(OWNER_HV, false, NULL), hv, hv + hv_size - 4096,
        vtl1, vtl1 + 8 * 4096, vtl1 + vtl1_size - 4096,
    };
    for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        if (!read_blocked(targets[i]))
            return false;
    }
    return true;
}

bool a_hypercall_fuzz(void)
{
    static struct span map_before[MAX_SPANS], map_after[MAX_SPANS];
    uint64_t prot_before[WATCHED], prot_after[WATCHED];
    /* The lock from a_unlock_locked must survive: make sure it is there. */
    vcall(SC_LOCK, pa(victim[3]), 1, OVBS_ACC_R);
    unsigned n_before = memmap_spans(map_before);
    watched_protections(prot_before);
    bool alive = fuzz_hypercalls(0x0bad5eedf00dull, 100000);
    unsigned n_after = memmap_spans(map_after);
    watched_protections(prot_after);
    bool locked = query(victim[3]) == (OVBS_ACC_R | SC_LOCKED) && write_faults(victim[3]);
    bool same_map = n_before == n_after && n_before <= MAX_SPANS &&
                    !memcmp(map_before, map_after, n_before * sizeof(map_before[0]));
    bool same_prot = !memcmp(prot_before, prot_after, sizeof(prot_before));
    bool walls = still_unreachable();
    kprintf("    after the fuzz: memory map %s (%u runs), watched protections %s, hv and VTL1 "
            "memory %s\n", same_map ? "unchanged" : "CHANGED", n_after,
            same_prot ? "unchanged" : "CHANGED", walls ? "unreachable" : "REACHABLE");
    return note(alive && locked && same_map && same_prot && walls,
                "100000 random hypercalls and secure calls; everything still works, the memory "
                "map, protections and locks hold");
}
