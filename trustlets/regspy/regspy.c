/* regspy.c: a hostile test trustlet (EL0 of VTL1). It plants known values
 * in every FP/SIMD and thread register, reports what it finds there on the
 * next call (another trustlet's or the secure kernel's values would show),
 * and tries registers no trustlet may reach. Commands in openvbs/regspy.h. */
#include <string.h>
#include "arm64/fpsimd.h"
#include "ium.h"
#include "openvbs/regspy.h"

static uint8_t buf[512];
static uint64_t gp_changed; /* general registers changed by a receive, summed */

/* FP/SIMD goes through the library's assembly (lib/arm64/fpsimd.S): this
 * C code is general-regs-only, so nothing between the system call that
 * returns and these routines touches the registers. */
static void plant(uint64_t marker)
{
    static struct regspy_dump d;
    static struct fpsimd_state fp;
    regspy_pattern(marker, &d);
    memcpy(fp.q, d.q, sizeof(fp.q));
    fp.fpsr = d.fpsr;
    fp.fpcr = d.fpcr;
    fpsimd_restore(&fp);
    __asm__ volatile("msr tpidr_el0, %0" : : "r"(marker));
}

static void dump(struct regspy_dump *d)
{
    static struct fpsimd_state fp;
    fpsimd_save(&fp);
    memcpy(d->q, fp.q, sizeof(d->q));
    d->fpsr = fp.fpsr;
    d->fpcr = fp.fpcr;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(d->tpidr_el0));
    __asm__ volatile("mrs %0, tpidrro_el0" : "=r"(d->tpidrro_el0));
    d->gp_changed = gp_changed;
}

/* Each read below must kill the trustlet: a reply means it got through. */
static uint64_t forbidden_read(uint64_t cmd)
{
    uint64_t v = 0;
    switch (cmd) {
    case REGSPY_READ_PMCCNTR: __asm__ volatile("mrs %0, pmccntr_el0" : "=r"(v)); break;
    case REGSPY_READ_PMUSERENR: __asm__ volatile("mrs %0, pmuserenr_el0" : "=r"(v)); break;
    case REGSPY_READ_CNTP_CVAL: __asm__ volatile("mrs %0, cntp_cval_el0" : "=r"(v)); break;
    case REGSPY_READ_SCXTNUM: __asm__ volatile("mrs %0, s3_3_c13_c0_7" : "=r"(v)); break;
    case REGSPY_READ_TPIDR2: __asm__ volatile("mrs %0, s3_3_c13_c0_5" : "=r"(v)); break;
    case REGSPY_READ_CNTVCT: __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v)); break;
    case REGSPY_USE_SVE: __asm__ volatile(".inst 0x04bf5020\n mov %0, x0" : "=r"(v) : : "x0"); break;
    case REGSPY_USE_SME: __asm__ volatile(".inst 0xd503477f" ::: "memory"); break;
    }
    return v;
}

int tl_main(void);
/* regspy_asm.S */
void spy_fp_work(void);
long spy_call(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *x1_out,
              uint64_t *changed);

/* Receive and reply through spy_call, so that both ways back from the
 * kernel (a parked trustlet resumed, a system call returning) are checked. */
static long reply(const void *p, size_t len, uint64_t status)
{
    return spy_call(TL_SYS_REPLY, (uint64_t)(uintptr_t)p, len, status, NULL, &gp_changed);
}

static void handle(uint64_t cmd, long len)
{
    struct regspy_dump d;
    uint64_t v;
    switch (cmd) {
    case REGSPY_PLANT:
        if (len != 8)
            break;
        memcpy(&v, buf, 8);
        plant(v);
        reply(buf, 0, 0);
        return;
    case REGSPY_DUMP:
        dump(&d);
        reply(&d, sizeof(d), 0);
        return;
    case REGSPY_PLANT_SPIN_DUMP: {
        uint64_t n;
        if (len != 16)
            break;
        memcpy(&v, buf, 8);
        memcpy(&n, buf + 8, 8);
        plant(v);
        for (volatile uint64_t i = n; i; i = i - 1)
            ;
        dump(&d);
        reply(&d, sizeof(d), 0);
        return;
    }
    case REGSPY_FP_WORK:
        spy_fp_work();
        reply(buf, 0, 0);
        return;
    default:
        if (cmd >= REGSPY_FIRST_FORBIDDEN && cmd <= REGSPY_LAST_FORBIDDEN) {
            v = forbidden_read(cmd);
            reply(&v, sizeof(v), 0);
            return;
        }
        break;
    }
    reply(buf, 0, 0xbad);
}

int tl_main(void)
{
    for (;;) {
        uint64_t cmd;
        long len = spy_call(TL_SYS_RECEIVE, (uint64_t)(uintptr_t)buf, sizeof(buf), 0, &cmd,
                            &gp_changed);
        handle(cmd, len);
    }
}
