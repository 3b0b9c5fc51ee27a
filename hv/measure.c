/* measure.c: the measurement log (EL2, filled during boot). Every image the
 * hypervisor loads is hashed with SHA-256 (BearSSL) before it runs, and the
 * log is readable by both VTLs (OVBS_HV_MEASUREMENT) for attestation. */
#include <bearssl_hash.h>
#include <string.h>
#include "guestmem.h"
#include "hv.h"
#include "measure.h"

#define MAX_MEASUREMENTS 8

static struct ovbs_measurement log_entries[MAX_MEASUREMENTS];
static unsigned log_count;

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
    br_sha256_context ctx;
    br_sha256_init(&ctx);
    br_sha256_update(&ctx, data, size);
    br_sha256_out(&ctx, m->sha256);
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
    if (index >= log_count || len < sizeof(struct ovbs_measurement))
        st = HV_STATUS_INVALID_PARAMETER;
    else
        st = guest_write(this_cpu()->vp->active, buf, &log_entries[index],
                         sizeof(struct ovbs_measurement));
    regs->x[0] = (uint64_t)st;
}
