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
 * Each VP has its own registers, so the state is per VP (struct sk_cpu:
 * fp_owner, fp_kernel_holds, cpacr; nothing here is shared). Two
 * variables are the whole state of a VP (never both set):
 *   fp_owner         fp_kernel_holds   registers hold                      FPEN in the kernel / in its trustlet
 *   NULL             false             zeros, or a copy of what an         00 (any use traps)
 *                                      instance's memory holds (fp_release)
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
 * call resumes with them.)
 *
 * An instance may run on a different VP next time, whose registers do not
 * hold its values: so when its run ends, a VP that holds its registers
 * saves them into the instance (fp_release) and owns them no more. They
 * are not wiped: what they still hold is a copy of that memory, which no
 * other party can read from them (another trustlet's first FP instruction
 * loads all of its own registers, VTL0 has its own FP context in the
 * hypervisor) and the kernel's own use is kernel scratch from its trap on.
 * Lazy switching remains within a run: between the kernel and the
 * trustlet, and for the kernel's own use. */
#include <stddef.h>
#include "arm64/fpsimd.h"
#include "arm64/sysreg.h"
#include "panic.h"
#include "sk.h"

#define FPEN_TRAP_ALL (0ull << 20)
#define FPEN_TRAP_EL0 (1ull << 20)
#define FPEN_NONE     (3ull << 20)

/* The ISB makes the new trap setting apply to the next instruction.
 * cpacr: what this VP's CPACR_EL1 holds. */
static void set_fpen(struct sk_cpu *c, uint64_t fpen)
{
    if (c->cpacr == fpen)
        return;
    WRITE_SYSREG(cpacr_el1, fpen);
    isb();
    c->cpacr = fpen;
}

/* On every entry of a VP (smp.c): its registers hold nothing of ours. */
void fp_init(void)
{
    struct sk_cpu *c = this_cpu();
    c->cpacr = ~0ull;
    set_fpen(c, FPEN_NONE);
    fpsimd_wipe();
    c->fp_owner = NULL;
    c->fp_kernel_holds = false;
    set_fpen(c, FPEN_TRAP_ALL);
}

/* The secure kernel touched FP/SIMD (EC 0x07 from EL1). */
void fp_kernel_trap(void)
{
    struct sk_cpu *c = this_cpu();
    if (c->fp_kernel_holds)
        panic("FP/SIMD trap while the secure kernel holds the registers");
    set_fpen(c, FPEN_TRAP_EL0);
    if (c->fp_owner)
        fpsimd_save(c->fp_owner);
    c->fp_owner = NULL;
    c->fp_kernel_holds = true;
}

/* A trustlet touched FP/SIMD (EC 0x07 from EL0): bring in its own state. */
void fp_trustlet_trap(struct fpsimd_state *mine)
{
    struct sk_cpu *c = this_cpu();
    set_fpen(c, FPEN_NONE);
    if (c->fp_owner == mine)
        return;
    if (c->fp_owner)
        fpsimd_save(c->fp_owner);
    fpsimd_restore(mine); /* every register: kernel scratch is gone */
    c->fp_owner = mine;
    c->fp_kernel_holds = false;
}

/* An exception from EL0 entered the kernel while a trustlet holds the
 * registers (sk.h: fp_enter_kernel): they stay in place, but the kernel's
 * own use must trap first, to save them. */
void fp_trap_kernel_use(void)
{
    set_fpen(this_cpu(), FPEN_TRAP_ALL);
}

/* About to run the instance that holds the registers (sk.h:
 * fp_return_to_trustlet): it uses them without a trap. In every other
 * state FPEN already traps EL0. */
void fp_allow_owner(void)
{
    set_fpen(this_cpu(), FPEN_NONE);
}

/* Kernel scratch (perhaps a sealing key) is wiped before VTL1 is left
 * (sk.h: fp_leave_vtl1). A trustlet's values stay: they are its own, and
 * the hypervisor keeps VTL1's registers from VTL0. */
void fp_wipe_kernel(void)
{
    struct sk_cpu *c = this_cpu();
    fpsimd_wipe();
    c->fp_kernel_holds = false;
    set_fpen(c, FPEN_TRAP_ALL);
}

/* The instance owning `mine` is destroyed: nothing of it may remain. Only
 * the VP that ran it last can hold its registers, and it released them
 * when that run ended, unless this is that run (a kill). */
void fp_forget(const struct fpsimd_state *mine)
{
    struct sk_cpu *c = this_cpu();
    if (c->fp_owner != mine)
        return;
    set_fpen(c, FPEN_TRAP_EL0);
    fpsimd_wipe();
    c->fp_owner = NULL;
    set_fpen(c, FPEN_TRAP_ALL);
}

/* The run of the instance owning `mine` ended on this VP (sk.h:
 * fp_release): save its registers into it; nobody owns them from now on. */
void fp_release_owner(struct fpsimd_state *mine)
{
    struct sk_cpu *c = this_cpu();
    set_fpen(c, FPEN_TRAP_EL0);
    fpsimd_save(mine);
    c->fp_owner = NULL;
    set_fpen(c, FPEN_TRAP_ALL);
}
