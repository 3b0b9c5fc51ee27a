/* fpu.c: who owns the FP/SIMD registers inside VTL1 (EL1 of VTL1). The
 * secure kernel's crypto (Debian's BearSSL, not built general-regs-only) and
 * every trustlet use q0-q31, FPSR and FPCR; the hypervisor only switches
 * them between VTLs. Here they switch lazily between the secure kernel and
 * each trustlet instance, so that no trustlet ever reads the kernel's key
 * material or another trustlet's values, and each instance starts with
 * zeroed registers.
 *
 * CPACR_EL1.FPEN (bits 21:20) decides who traps (EC 0x07 "FP/SIMD access
 * trapped"): 00 traps EL0 and EL1, 01 traps EL0 only, 11 traps nothing.
 *
 * Two variables are the whole state (never both set):
 *   fp_owner         fp_kernel_holds   registers hold                      FPEN in the kernel / in its trustlet
 *   NULL             false             zeros                               00 (any use traps)
 *   NULL             true              secure-kernel scratch (may be keys) 01 (a trustlet traps)
 *   an instance's    false             that instance's values              00 / 11 while it runs
 *
 * Transitions: a trap from EL1 saves a trustlet owner and makes the kernel
 * the holder; a trap from EL0 saves the previous trustlet owner (or drops
 * kernel scratch) and loads the trapping instance's own state, which
 * overwrites every register; leaving VTL1 wipes kernel scratch, so no key
 * material stays in a register when VTL0 runs; an
 * instance that dies while it holds them is wiped too. (A secure call that
 * VTL0's interrupt preempts leaves VTL1 without passing here: its registers
 * stay in VTL1's context, which the hypervisor keeps from VTL0, and the
 * call resumes with them.) */
#include <stddef.h>
#include "arm64/fpsimd.h"
#include "arm64/sysreg.h"
#include "panic.h"
#include "sk.h"

#define FPEN_TRAP_ALL (0ull << 20)
#define FPEN_TRAP_EL0 (1ull << 20)
#define FPEN_NONE     (3ull << 20)

/* Read by the inline checks in sk.h on every exception and VTL exit. */
bool fp_kernel_holds;             /* the registers hold kernel scratch */
struct fpsimd_state *fp_owner;    /* they hold this instance's values, or NULL */
static uint64_t cpacr;            /* what CPACR_EL1 holds */

/* The ISB makes the new trap setting apply to the next instruction. */
static void set_fpen(uint64_t fpen)
{
    if (cpacr == fpen)
        return;
    WRITE_SYSREG(cpacr_el1, fpen);
    isb();
    cpacr = fpen;
}

void fp_init(void)
{
    cpacr = ~0ull;
    set_fpen(FPEN_NONE);
    fpsimd_wipe();
    fp_owner = NULL;
    fp_kernel_holds = false;
    set_fpen(FPEN_TRAP_ALL);
}

/* The secure kernel touched FP/SIMD (EC 0x07 from EL1). */
void fp_kernel_trap(void)
{
    if (fp_kernel_holds)
        panic("FP/SIMD trap while the secure kernel holds the registers");
    set_fpen(FPEN_TRAP_EL0);
    if (fp_owner)
        fpsimd_save(fp_owner);
    fp_owner = NULL;
    fp_kernel_holds = true;
}

/* A trustlet touched FP/SIMD (EC 0x07 from EL0): bring in its own state. */
void fp_trustlet_trap(struct fpsimd_state *mine)
{
    set_fpen(FPEN_NONE);
    if (fp_owner == mine)
        return;
    if (fp_owner)
        fpsimd_save(fp_owner);
    fpsimd_restore(mine); /* every register: kernel scratch is gone */
    fp_owner = mine;
    fp_kernel_holds = false;
}

/* An exception from EL0 entered the kernel while a trustlet holds the
 * registers (sk.h: fp_enter_kernel): they stay in place, but the kernel's
 * own use must trap first, to save them. */
void fp_trap_kernel_use(void)
{
    set_fpen(FPEN_TRAP_ALL);
}

/* About to run the instance that holds the registers (sk.h:
 * fp_return_to_trustlet): it uses them without a trap. In every other
 * state FPEN already traps EL0. */
void fp_allow_owner(void)
{
    set_fpen(FPEN_NONE);
}

/* Kernel scratch (perhaps a sealing key) is wiped before VTL1 is left
 * (sk.h: fp_leave_vtl1). A trustlet's values stay: they are its own, and
 * the hypervisor keeps VTL1's registers from VTL0. */
void fp_wipe_kernel(void)
{
    fpsimd_wipe();
    fp_kernel_holds = false;
    set_fpen(FPEN_TRAP_ALL);
}

/* The instance owning `mine` is destroyed: nothing of it may remain. */
void fp_forget(const struct fpsimd_state *mine)
{
    if (fp_owner != mine)
        return;
    set_fpen(FPEN_TRAP_EL0);
    fpsimd_wipe();
    fp_owner = NULL;
    set_fpen(FPEN_TRAP_ALL);
}
