/* measure.c: the measurement log (EL2, filled during boot). Every image the
 * hypervisor loads is hashed with SHA-256 before it runs (the Armv8 SHA-256
 * instructions when the CPU has them, BearSSL otherwise), and the log is
 * readable by both VTLs (OVBS_HV_MEASUREMENT) for attestation. */
#include <bearssl_hash.h>
#include <stdbool.h>
#include <string.h>
#include "arm64/sha256_ce.h"
#include "arm64/sysreg.h"
#include "guestmem.h"
#include "hv.h"
#include "measure.h"
#include "sha256.h"

#define MAX_MEASUREMENTS 16

/* Boot writes the log on the boot CPU alone; later, only VTL1 appends
 * (OVBS_VTL1_ADD_MEASUREMENT) from any VP: log_lock orders the appends
 * against the reads of call_measurement. log_count is published with
 * release after its entry is complete, and read with acquire. */
static struct spinlock log_lock = SPINLOCK_INIT;

static struct ovbs_measurement log_entries[MAX_MEASUREMENTS];
static unsigned log_count;

/* CPTR_EL2.TFP (bit 10, non-VHE layout as in hv/vtl.c) traps FP/SIMD at
 * EL2 as well as below, and the lazy switch leaves it set whenever the
 * registers hold the other VTL's values. The SHA-256 instructions are
 * SIMD instructions, so the trap is lifted for one call of the block
 * routine and put back as it was. A write to CPTR_EL2 is guaranteed to
 * govern only the instructions after a context synchronization event, so
 * an ISB follows each: without the first, the first SIMD instruction could
 * still trap; without the second, a later one would not. Whoever's values
 * the V registers hold keeps them: sha256_ce_blocks saves and restores
 * every one it uses, and the hypervisor takes no interrupt at EL2, so
 * nothing else runs meanwhile. */
#define CPTR_EL2_TFP (1ull << 10)

static void sha256_blocks_el2(uint32_t state[8], const void *data, size_t nblocks)
{
    uint64_t cptr = READ_SYSREG(cptr_el2);
    WRITE_SYSREG(cptr_el2, cptr & ~CPTR_EL2_TFP);
    isb();
    sha256_ce_blocks(state, data, nblocks);
    WRITE_SYSREG(cptr_el2, cptr);
    isb();
}

/* The instructions when ID_AA64ISAR0_EL1.SHA2 says they exist (about 25
 * times fewer instructions than BearSSL's portable code under QEMU, which
 * matters for a 32 MiB Linux image), BearSSL's br_sha256 otherwise. Either
 * way every image is hashed: there is no path that skips it. */
static void sha256_image(const void *data, uint64_t size, uint8_t out[32])
{
    static bool reported;
    bool ce = ID_AA64ISAR0_SHA2(READ_SYSREG(id_aa64isar0_el1)) >= 1;
    if (!reported) {
        hv_log("measuring with %s", ce ? "the SHA-256 instructions" : "BearSSL's SHA-256");
        reported = true;
    }
    if (ce) {
        struct sha256_ctx ctx;
        sha256_init(&ctx, sha256_blocks_el2);
        sha256_update(&ctx, data, size);
        sha256_out(&ctx, out);
    } else {
        br_sha256_context ctx;
        br_sha256_init(&ctx);
        br_sha256_update(&ctx, data, size);
        br_sha256_out(&ctx, out);
    }
}

void measure_image(const char *name, uint64_t base, const void *data, uint64_t size)
{
    if (log_count == MAX_MEASUREMENTS) {
        hv_log("FATAL: measurement log full");
        hv_halt_failure();
    }
    struct ovbs_measurement *m = &log_entries[log_count++];
    size_t n = strnlen(name, sizeof(m->name) - 1);
    memcpy(m->name, name, n);
    m->base = base;
    m->size = size;
    sha256_image(data, size, m->sha256);
    hv_log("measured %-12s %lu bytes sha256 %02x%02x%02x%02x%02x%02x%02x%02x...", m->name,
           size, m->sha256[0], m->sha256[1], m->sha256[2], m->sha256[3], m->sha256[4],
           m->sha256[5], m->sha256[6], m->sha256[7]);
}

/* OVBS_HV_MEASUREMENT: x1 = index, x2 = buffer (caller's memory), x3 = its
 * length. Copies one entry out through the checked guest-memory path. */
void call_measurement(struct guest_regs *regs)
{
    uint64_t index = regs->x[1], buf = regs->x[2], len = regs->x[3];
    int st;
    if (index >= __atomic_load_n(&log_count, __ATOMIC_ACQUIRE) ||
        len < sizeof(struct ovbs_measurement))
        st = HV_STATUS_INVALID_PARAMETER;
    else
        st = guest_write(this_cpu()->vp->active, buf, &log_entries[index],
                         sizeof(struct ovbs_measurement));
    regs->x[0] = (uint64_t)st;
}

/* OVBS_VTL1_ADD_MEASUREMENT: x1 = a struct ovbs_measurement in VTL1 memory
 * (the secure kernel hashed what it locked of VTL0's kernel). Copied in
 * once through the checked path; a name must be NUL-terminated. Entries
 * are never changed or removed, so a verifier sees every lock. */
void call_add_measurement(struct guest_regs *regs)
{
    struct ovbs_measurement m;
    int st = guest_read(VTL1, regs->x[1], &m, sizeof(m));
    if (st == HV_STATUS_SUCCESS && strnlen(m.name, sizeof(m.name)) == sizeof(m.name))
        st = HV_STATUS_INVALID_PARAMETER;
    if (st == HV_STATUS_SUCCESS) {
        spin_lock(&log_lock);
        if (log_count == MAX_MEASUREMENTS) {
            st = HV_STATUS_INSUFFICIENT_MEMORY;
        } else {
            log_entries[log_count] = m;
            __atomic_store_n(&log_count, log_count + 1, __ATOMIC_RELEASE);
        }
        spin_unlock(&log_lock);
    }
    if (st == HV_STATUS_SUCCESS)
        hv_log("VP %u: VTL1 measured %-16s %lu bytes sha256 %02x%02x%02x%02x%02x%02x%02x%02x...",
               this_cpu()->vp->index, m.name, m.size, m.sha256[0], m.sha256[1], m.sha256[2],
               m.sha256[3], m.sha256[4], m.sha256[5], m.sha256[6], m.sha256[7]);
    else
        hv_log("VP %u: VTL1's measurement refused: status %d", this_cpu()->vp->index, st);
    regs->x[0] = (uint64_t)st;
}
