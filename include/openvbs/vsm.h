/* vsm.h: the Virtual Secure Mode ABI (hypervisor <-> VTL0 <-> VTL1) and the
 * secure-call ABI (VTL0 <-> secure kernel). Shared by hv/, sk/ and every
 * VTL0 kernel; no code. Names and semantics follow the Hyper-V TLFS "Virtual
 * Secure Mode" chapter where they fit, carried over SMCCC (see hvcall.h).
 *
 * Entering and leaving VTL1 (one VP):
 *
 *   VTL0: hvc OVBS_VTL_CALL (x1..x6 = args)
 *       -> VTL1 resumes from its last OVBS_VTL_RETURN with
 *          x0 = VTL_ENTRY_CALL, x1..x6 = VTL0's x1..x6, x7 = VP index
 *   VTL1: hvc OVBS_VTL_RETURN (x1..x4 = results)
 *       -> VTL0 resumes after its VtlCall with x0..x3 = VTL1's x1..x4
 *
 *   VTL0 breaks a protection VTL1 set (stage-2 permission fault):
 *       -> VTL1 entered with x0 = VTL_ENTRY_INTERCEPT, x1..x6 = message
 *          (see struct ovbs_intercept_message); VTL1 answers with
 *          OVBS_VTL_RETURN x1 = INTERCEPT_ACTION_*
 *
 *   VTL1's own timer expires while VTL0 runs:
 *       -> VTL1 entered with x0 = VTL_ENTRY_INTERRUPT; the interrupt is
 *          pending on its virtual CPU interface; OVBS_VTL_RETURN resumes VTL0
 *
 *   An interrupt for VTL0 arrives while VTL1 runs: the VP returns to VTL0 at
 *   once with its PC back on the VtlCall; re-executing the call resumes VTL1
 *   where it stopped (the call completes as if never interrupted).
 *
 *   VTL0 breaks a protection while that call is preempted (a nested
 *   intercept): the hypervisor puts the call's VTL1 context aside and
 *   enters VTL1 at its assist's nested_entry, EL1h with DAIF masked,
 *   SP_EL1 = nested_sp, FP/SIMD trapped to EL1 (CPACR_EL1.FPEN = 0),
 *   x0..x6 as for any intercept. Its OVBS_VTL_RETURN answers the intercept
 *   and never returns there: the call's context comes back whole (only
 *   VTL1's virtual timer and interrupts keep what happened meanwhile), and
 *   the call stays preempted. Without a nested entry VTL0 gets the default
 *   action, an external abort.
 */
#ifndef OPENVBS_VSM_H
#define OPENVBS_VSM_H
#include <stdint.h>
#include "openvbs/hvcall.h"

/* ---- Hypercalls (vendor hypervisor range) -------------------------------
 * Caller column: which VTL (and EL) may make the call; anyone else gets
 * HV_STATUS_ACCESS_DENIED and nothing changes. */
#define OVBS_HV_MEASUREMENT        OVBS_FN(0x03) /* any: x1 = index, x2 = buf, x3 = len */
#define OVBS_VTL_CALL              OVBS_FN(0x10) /* VTL0 EL1 */
#define OVBS_VTL_RETURN            OVBS_FN(0x11) /* VTL1 EL1 */
#define OVBS_MODIFY_VTL_PROTECTION_MASK OVBS_FN(0x12) /* VTL1 EL1: x1 target VTL,
                                                       * x2 GPA, x3 pages, x4 mask */
#define OVBS_GET_VP_REGISTER       OVBS_FN(0x13) /* VTL1 EL1: x1 VP, x2 VTL, x3 reg */
#define OVBS_SET_VP_REGISTER       OVBS_FN(0x14) /* VTL1 EL1: x1 VP, x2 VTL, x3 reg, x4 value */
#define OVBS_VTL1_BOOT_DONE        OVBS_FN(0x15) /* VTL1 EL1, boot only */
#define OVBS_VTL1_LOG              OVBS_FN(0x16) /* VTL1 EL1: x1 = buf, x2 = len */
#define OVBS_GET_INTERCEPT         OVBS_FN(0x17) /* VTL1 EL1: x1 = buf, x2 = len */
#define OVBS_VTL1_FATAL            OVBS_FN(0x18) /* VTL1 EL1: stop the machine */
/* Several VPs (docs/smp.md has the per-VP state machine).
 * OVBS_ENABLE_VP_VTL (TLFS HvCallEnableVpVtl): VTL1 enables itself on VP x1,
 *   which VTL0 may then start with PSCI CPU_ON. x2 = VTL1's entry PC on that
 *   VP (4-byte aligned), x3 = its initial SP_EL1 (16-byte aligned), both in
 *   VTL1 memory; x4 = an argument. VTL1 runs first on every start of the VP
 *   (also after CPU_OFF and CPU_ON again): entered at x2 with the MMU off,
 *   EL1h, DAIF masked, SP_EL1 = x3, x0 = VTL_ENTRY_VP_START, x1 = x4,
 *   x2 = VP index. Allowed for a VP whose VTL1 is not enabled yet, and for
 *   the calling VP while it boots (which records its restart entry only).
 *   Statuses: INVALID_VP_INDEX (no such VP), INVALID_VP_STATE (already
 *   enabled), INVALID_ALIGNMENT, INVALID_PARAMETER (not VTL1 memory).
 * OVBS_VTL1_VP_READY: the secure kernel set up this VP (it was entered with
 *   VTL_ENTRY_VP_START): VTL0 starts here at the entry point its CPU_ON asked
 *   for, with x0 = its context ID. Returns, like VtlReturn, when VTL1 is next
 *   entered on this VP, with the entry reason in x0.
 * OVBS_VTL1_SET_VP_ASSIST: x1 = address of this VP's struct ovbs_vp_assist
 *   in VTL1 memory (64-byte aligned): how VTL1 marks a critical section.
 * OVBS_VTL1_YIELD: VTL1 left a critical section during which the hypervisor
 *   deferred an interrupt for VTL0 (assist->preempt_deferred): the call in
 *   progress is preempted now; returns when VTL0 resumes it. */
#define OVBS_ENABLE_VP_VTL         OVBS_FN(0x19) /* VTL1 EL1: x1 VP, x2 PC, x3 SP, x4 arg */
#define OVBS_VTL1_VP_READY         OVBS_FN(0x1a) /* VTL1 EL1, on a starting VP */
#define OVBS_VTL1_SET_VP_ASSIST    OVBS_FN(0x1b) /* VTL1 EL1: x1 = assist address */
#define OVBS_VTL1_YIELD            OVBS_FN(0x1c) /* VTL1 EL1 */
/* OVBS_VTL1_ADD_MEASUREMENT: x1 = address of a struct ovbs_measurement in
 * VTL1 memory, appended to the measurement log (what VTL1 locked of VTL0's
 * kernel, for attestation). INSUFFICIENT_MEMORY when the log is full,
 * INVALID_PARAMETER for a name that is not NUL-terminated. */
#define OVBS_VTL1_ADD_MEASUREMENT  OVBS_FN(0x1d) /* VTL1 EL1: x1 = entry address */
/* OVBS_VTL1_VP_DECLINE: on a VP VTL1 was entered on with VTL_ENTRY_VP_START,
 * VTL0 must not run (its CPU_ON entry point is not locked kernel text): the
 * VP is off again, as if firmware had not started it. Does not return,
 * except with INVALID_PARTITION_STATE on a VP that is not starting. The
 * entry point VTL0 asked for is VTL0's PC there (OVBS_GET_VP_REGISTER). */
#define OVBS_VTL1_VP_DECLINE       OVBS_FN(0x1e) /* VTL1 EL1, on a starting VP */
/* OVBS_VTL1_PIN_EL1: x1 = flags (0), x2, x3 = two more TTBR1_EL1 base
 * addresses to allow (0: none). From now on the hypervisor traps VTL0's
 * writes of its EL1 translation controls (HCR_EL2.TVM) on every CPU and,
 * while VTL0's MMU is on, refuses those that change what is pinned:
 * SCTLR_EL1.M and .WXN; TCR_EL1.T1SZ, A1, EPD1, TG1, TBI1; TTBR1_EL1's base
 * (the one of now, x2 or x3). The values are VTL0's on the calling VP now.
 * Once only (ACCESS_DENIED after). hv/el1_pin.c. */
#define OVBS_VTL1_PIN_EL1          OVBS_FN(0x1f) /* VTL1 EL1: x1 = 0, x2, x3 = bases */

/* One per VP, in VTL1 memory, registered with OVBS_VTL1_SET_VP_ASSIST
 * (the TLFS "VP assist page" idea). While no_preempt is non-zero VTL1 holds
 * a lock other VPs may wait for: an interrupt for VTL0 then does not
 * preempt VTL1's call (it waits in VTL0's list registers); the hypervisor
 * sets preempt_deferred instead, and VTL1, leaving its last critical
 * section, clears it and calls OVBS_VTL1_YIELD. Critical sections are
 * short and bounded (docs/smp.md gives the bound). */
struct ovbs_vp_assist {
    volatile uint32_t no_preempt;       /* VTL1 writes: critical-section depth */
    volatile uint32_t preempt_deferred; /* the hypervisor writes 1, VTL1 clears */
    volatile uint64_t preempted_ticks;  /* the hypervisor adds, on each resume of a
                                         * preempted call, the system-counter ticks
                                         * it spent preempted: time VTL0 took,
                                         * which no budget of VTL1's should count */
    /* VTL1 writes both before it registers the assist; 0: no nested
     * intercepts on this VP. In VTL1 memory. */
    uint64_t nested_entry;              /* 4-byte aligned PC */
    uint64_t nested_sp;                 /* 16-byte aligned SP_EL1 */
    uint64_t reserved[4];
};

/* Entry reasons, in VTL1's x0 when it is entered. */
#define VTL_ENTRY_CALL        1
#define VTL_ENTRY_INTERRUPT   2
#define VTL_ENTRY_INTERCEPT   3
#define VTL_ENTRY_VP_START    4 /* a VP's first entry (OVBS_ENABLE_VP_VTL) */

/* VTL1's answer to an intercept (x1 of OVBS_VTL_RETURN). */
#define INTERCEPT_ACTION_INJECT_ABORT 0 /* default: VTL0 takes an external abort */
#define INTERCEPT_ACTION_RETRY        1 /* VTL1 fixed the cause: re-execute */
#define INTERCEPT_ACTION_INJECT_PERMISSION 2 /* VTL0 takes a permission fault (FSC 0x0f,
                                              * level 3): what Linux fixes up for an EL1
                                              * access to a kernel address */
#define INTERCEPT_ACTION_EMULATED     3 /* VTL1 performed the data access itself:
                                         * VTL0 resumes after the instruction (only
                                         * for a data abort; otherwise an abort) */

/* Memory intercept message (TLFS HV_X64_MEMORY_INTERCEPT_MESSAGE, for ARM). */
#define INTERCEPT_ACCESS_READ    0
#define INTERCEPT_ACCESS_WRITE   1
#define INTERCEPT_ACCESS_EXECUTE 2
struct ovbs_intercept_message {
    uint32_t vp_index;
    uint32_t access;    /* INTERCEPT_ACCESS_* */
    uint32_t from_el;   /* 0 or 1 */
    uint32_t gva_valid;
    uint64_t pc;        /* VTL0 PC of the faulting instruction */
    uint64_t gva;       /* FAR_EL2, valid if gva_valid */
    uint64_t gpa;
    uint64_t syndrome;  /* ESR_EL2 */
};

/* One measured boot image (OVBS_HV_MEASUREMENT copies it out). */
struct ovbs_measurement {
    char name[16];
    uint64_t base;
    uint64_t size;
    uint8_t sha256[32];
};

/* Register names for OVBS_GET/SET_VP_REGISTER. */
#define VP_REG_X0            0   /* .. VP_REG_X0 + 30 = x30 */
#define VP_REG_PC            31  /* where the VTL resumes */
#define VP_REG_PSTATE        32
#define VP_REG_SP_EL0        33
#define VP_REG_SP_EL1        34
#define VP_REG_SCTLR_EL1     35
#define VP_REG_TTBR0_EL1     36
#define VP_REG_TTBR1_EL1     37
#define VP_REG_TCR_EL1       38
#define VP_REG_MAIR_EL1      39
#define VP_REG_VBAR_EL1      40
#define VP_REG_ELR_EL1       41
#define VP_REG_SPSR_EL1      42
#define VP_REG_ESR_EL1       43
#define VP_REG_FAR_EL1       44
#define VP_REG_CONTEXTIDR_EL1 45
#define VP_REG_TPIDR_EL1     46
#define VP_REG_COUNT         47
/* HvRegisterVsmPartitionConfig: bit 0 EnableVtlProtection (write-once: can
 * be set, never cleared), bits 4:1 DefaultVtlProtectionMask (OVBS_ACC_*),
 * applied to all VTL0 RAM when protection is enabled, fixed from then on. */
#define VP_REG_VSM_PARTITION_CONFIG 0x100
#define VSM_CONFIG_ENABLE_PROTECTION (1u << 0)
#define VSM_CONFIG_MASK_SHIFT        1
/* HvRegisterVsmVpStatus (read-only): bits 1:0 active VTL, bits 5:4 enabled
 * VTL set. */
#define VP_REG_VSM_VP_STATUS 0x101

/* ---- Secure calls (VTL0 -> secure kernel), carried by OVBS_VTL_CALL ------
 * x1 = service, x2..x6 = arguments. Results: x0 = status (HV_STATUS_*),
 * x1..x3 = values. Buffers are guest-physical addresses in VTL0 RAM; the
 * secure kernel copies them in once, checks them, and never reads them again. */
#define SC_NULL          0  /* nothing: the cost of a VTL round trip */
#define SC_PROTECT       1  /* x2 GPA, x3 pages, x4 mask: set VTL0 access */
#define SC_LOCK          2  /* x2 GPA, x3 pages, x4 mask (no W): set and lock */
#define SC_QUERY         3  /* x2 GPA: x1 = mask | locked << 8 */
#define SC_CHECKSUM      4  /* x2 buf, x3 len, x4 spin (<= SC_MAX_SPIN), x5 progress
                             * word (0: none) set to 1 once the copy is taken:
                             * x1 = checksum of the copy, computed after spinning */
#define SC_SPIN          5  /* x2 iterations (<= SC_MAX_SPIN): x1 = fixed computation */
#define SC_WATCHDOG      6  /* x2 ticks (<= SC_WATCHDOG_MAX_TICKS): run away until
                             * VTL1's own timer stops it; x1 = ticks elapsed */
#define SC_WATCHDOG_MAX_TICKS 625000 /* 10 ms at 62.5 MHz */
#define SC_SCRUB_TEST    7  /* fill VTL1's registers with a marker, then return */
#define SC_STATS         8  /* x1 = intercepts, x2 = VTL1 timer interrupts,
                             * x3 = entries by VTL1's own interrupt */
#define SC_QUERY_RANGE   9  /* x2 GPA, x3 pages, x4 out buf: one byte per page */
#define SC_TIMER_ARM     10 /* x2 ticks: arm VTL1's timer and return at once */
#define SC_SELFTEST      11 /* VTL1 exercises the VSM interface on this VTL0 call:
                             * reads VTL0's x6, sets VTL0's x4 to
                             * SC_SELFTEST_X4; x1 = mask of failed checks,
                             * x2 = number of checks */
#define SC_EVENT_READ    12 /* x2 sequence number: the secure kernel's event ring,
                             * same results and statuses as OVBS_HV_EVENT_READ
                             * (x1 = header, x2 = a, x3 = b; kinds SK_EV_*) */
#define SC_EVENT_COUNT   13 /* x2 kind (SK_EV_*): x1 = count since boot, x2 = next
                             * sequence number, x3 = SK_EV_COUNT; an unknown
                             * kind is HV_STATUS_INVALID_PARAMETER */
#define SC_STATE_PROBE   14 /* x2 = VTL0's APIAKeyLo_EL1, x3 = VTL0's TPIDR2_EL0: VTL1
                             * tries the SC_STATE_PROBES things it must not reach
                             * (VTL0's physical timer, PMU, ACTLR_EL1, SCXTNUM_ELx,
                             * a physical SGI, a page of hypervisor memory): x1
                             * bits 31:0 = mask of those it could reach (0
                             * expected), bits 63:32 =
                             * VTL1's ISR_EL1 (pending A/I/F); x2 bit 0 = VTL1's
                             * key equals x2, bit 1 = its TPIDR2_EL0 equals x3
                             * (VTL1's values never come back). VTL1 then leaves
                             * SC_SCRUB_MARKER in its own TPIDR2_EL0 */
#define SC_STATE_PROBES  9 /* the last: a page of hypervisor memory */
#define SC_DMA_CANARY    15 /* x1 = physical address of a page of VTL1 memory the
                             * secure kernel filled at boot with
                             * sc_dma_canary_byte(i), x2 = FNV-1a of its current
                             * contents: the DMA tests aim devices at it */
/* Kernel integrity (docs/kernel-integrity.md): VTL0 describes its kernel's
 * layout range by range, then locks it once.
 * SC_KERNEL_LAYOUT: x2 = kind (KL_*), x3 = VA, x4 = GPA, x5 = pages: stage
 *   one range of the kernel's or a module's code or read-only data (VA and
 *   GPA page-aligned, physically contiguous). KL_JUMP_TABLE: x3 = VA of a
 *   jump table (struct ovbs_jump_entry[x5]), x4 = 0; it must lie in a staged
 *   read-only range, which gives its physical address. KL_RESET forgets the
 *   staged ranges. Refused with INVALID_VTL_STATE once the kernel is
 *   locked, INVALID_PARAMETER/INVALID_ALIGNMENT for a range that is not
 *   page-aligned VTL0 RAM, overlaps a staged range, or (KL_KERNEL_*) lies
 *   outside the kernel image the hypervisor measured.
 * SC_KERNEL_LOCK: x2 = flags (KL_LOCK_PIN_EL1), x3 and x4 = GPAs of up to two page directories
 *   TTBR1_EL1 may also hold (0: none; Linux's reserved_pg_dir, and with KPTI
 *   tramp_pg_dir), each a page of staged kernel read-only data: checks the
 *   staged layout as a whole (at least
 *   one KL_KERNEL_TEXT range), then: text R+XK locked, read-only data R
 *   locked, every other VTL0 RAM page loses XK; the text is hashed into the
 *   measurement log ("vtl0-ktext-lock"); the jump tables give the only
 *   writes VTL1 will emulate. x1 = text pages, x2 = read-only pages, x3 =
 *   jump sites. From then on no secure call can give XK to a page outside
 *   the locked text (ACCESS_DENIED), PSCI CPU_ON starts VTL0 only inside
 *   it, and with KL_LOCK_PIN_EL1 VTL0's EL1 translation controls are pinned
 *   (OVBS_VTL1_PIN_EL1; docs/kernel-integrity.md has the cost). x3 and x4
 *   matter only then.
 * SC_KERNEL_STATUS: x1 = state (KLS_*), x2 = refused kernel accesses since
 *   the lock, x3 = patches VTL1 validated and performed. */
/* (16..21 are the trustlet services of trustlet.h) */
#define SC_KERNEL_LAYOUT 32
#define SC_KERNEL_LOCK   33
#define SC_KERNEL_STATUS 34
#define SC_COUNT         16
#define KL_RESET         0
#define KL_KERNEL_TEXT   1 /* the kernel image's code (also its KPTI trampoline) */
#define KL_KERNEL_RODATA 2 /* the kernel image's read-only data, __ro_after_init included */
#define KL_MODULE_TEXT   3 /* a loaded module's code */
#define KL_MODULE_RODATA 4 /* a loaded module's read-only data and ro_after_init */
#define KL_JUMP_TABLE    5 /* a jump table (the kernel's or a module's) */
#define KL_MAX_RANGES    1024
#define KL_MAX_JUMP_SITES 16384 /* a distribution kernel has ~7,500 of its own */
#define KL_LOCK_PIN_EL1  (1u << 0)
#define KLS_OPEN         0
#define KLS_LOCKING      1
#define KLS_LOCKED       2
/* Linux's arm64 jump-table entry (CONFIG_HAVE_ARCH_JUMP_LABEL_RELATIVE):
 * the site is at &code + code, its branch target at &target + target; key
 * holds the static key's offset, with flags in bits 1:0. The site holds
 * either a NOP or `B target`. */
struct ovbs_jump_entry {
    int32_t code;
    int32_t target;
    int64_t key;
};
#define A64_NOP 0xd503201fu
#define SC_SELFTEST_X4   0x5e1f7e57ull

/* Kinds of secure-kernel event (SC_EVENT_*), with what a and b hold. The
 * header's VTL field is 0 when VTL0 caused the event, 1 when a trustlet did;
 * its time is CNTVCT divided by 2^16. */
enum sk_event_kind {
    SK_EV_INTERCEPT = 0,        /* VTL0 broke a protection: a = GPA, b = PC */
    SK_EV_PROTECT_REFUSED = 1,  /* SC_PROTECT/SC_LOCK refused: a = GPA, b = status */
    SK_EV_CALL_REFUSED = 2,     /* any other secure call refused: a = service, b = status */
    SK_EV_TL_REFUSED = 3,       /* trustlet image refused: a = TL_ST_* status, b = size */
    SK_EV_TL_KILLED = 4,        /* a = trustlet ID, b = PC */
    SK_EV_LINES_SUPPRESSED = 5, /* count only: log lines over their source's rate limit */
    SK_EV_TIMER_SPURIOUS = 6,   /* an interrupt while VTL1's own deadline had not passed
                                 * (a forged timer PPI): ignored; a = INTID, b = CNTV_CTL_EL0 */
    SK_EV_KERNEL_REFUSED = 7,   /* after the kernel lock, an access VTL1 refused:
                                 * a = GPA, b = PC */
    SK_EV_KERNEL_PATCHED = 8,   /* a jump-label write VTL1 validated and performed:
                                 * a = GPA, b = the instruction written */
    SK_EV_COUNT
};

#define SC_MAX_BUFFER    4096
#define SC_MAX_SPIN      (1u << 24) /* bound on the busy work of SC_SPIN/SC_CHECKSUM */
#define SC_LOCKED        (1u << 8)
#define SC_SCRUB_MARKER  0x5ec7e75ec7e75ec7ull
#define HV_STATUS_TIME_OUT 0x0078 /* VTL1 work stopped by its own timer */
/* Several VPs: the trustlet instance (or session) a call names is in use on
 * a VP, running or preempted (SC_TL_INVOKE, SC_TL_UNLOAD, SC_TL_CLOSE,
 * SC_TL_INFO); nothing changed, try again later. Never waited for: a call
 * preempted on one VP must not hold up another (docs/sk-smp.md). */
#define HV_STATUS_BUSY 0x0101

/* Byte i of the SC_DMA_CANARY page as the secure kernel wrote it: VTL0
 * computes the checksum the untouched page must have. */
static inline uint8_t sc_dma_canary_byte(uint64_t i)
{
    return (uint8_t)(0xa5 ^ (i * 29) ^ (i >> 8));
}

/* SC_SPIN's result: a fixed computation (xorshift64) the secure kernel
 * performs and VTL0 repeats to check it. The empty asm keeps the compiler
 * from shortening the loop, which is meant to take time. */
static inline uint64_t sc_spin_result(uint64_t iterations)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

#endif
