/* regspy.h: the interface of the register-spy test trustlet
 * (trustlets/regspy, EL0 of VTL1) to the VTL0 tests that drive it. The spy
 * is signed and allow-listed but hostile: it reads every register a
 * trustlet can reach, looking for what others left there. No code. */
#ifndef OPENVBS_REGSPY_H
#define OPENVBS_REGSPY_H
#include <stdint.h>

#define REGSPY_A_ID 0x0ec40004ull /* the same code under two identities */
#define REGSPY_B_ID 0x0ec40005ull

enum regspy_cmd {
    REGSPY_PLANT = 0,   /* input: 8-byte marker; fill registers from it */
    REGSPY_DUMP = 1,    /* reply: struct regspy_dump of what it sees now */
    REGSPY_FP_WORK = 2, /* a little FP arithmetic (the benchmark's FP call) */
    REGSPY_READ_PMCCNTR = 3,   /* registers a trustlet must not reach: */
    REGSPY_READ_PMUSERENR = 4, /*   each of these kills it */
    REGSPY_READ_CNTP_CVAL = 5,
    REGSPY_READ_SCXTNUM = 6,
    REGSPY_READ_TPIDR2 = 7,
    REGSPY_READ_CNTVCT = 8,
    REGSPY_USE_SVE = 9,    /* RDVL: SVE registers, never switched */
    REGSPY_USE_SME = 10,   /* SMSTART: streaming mode and ZA */
    REGSPY_PLANT_SPIN_DUMP = 11, /* input: marker, iterations (8 bytes each):
                                  * PLANT, count down, then reply as DUMP:
                                  * the registers must survive what runs
                                  * meanwhile (a preemption, a nested
                                  * intercept) */
};
#define REGSPY_FIRST_FORBIDDEN REGSPY_READ_PMCCNTR
#define REGSPY_LAST_FORBIDDEN  REGSPY_USE_SME

/* What PLANT writes and DUMP reports. q0..q31 as 64 halves, low first. */
struct regspy_dump {
    uint64_t q[64];
    uint64_t fpsr, fpcr;
    uint64_t tpidr_el0, tpidrro_el0;
    uint64_t gp_changed; /* general registers that came back changed from
                          * any of its system calls so far (0 expected) */
};

/* The pattern PLANT derives from a marker m: every value differs, so a
 * register moved to another slot is seen too. FPSR and FPCR get only bits
 * every implementation keeps (FPSR: NZCV, QC and the cumulative flags
 * IDC/IXC/UFC/OFC/DZC/IOC; FPCR: AHP, DN, FZ, RMode). */
#define REGSPY_FPSR_BITS 0xf800009full
#define REGSPY_FPCR_BITS 0x07c00000ull
static inline void regspy_pattern(uint64_t m, struct regspy_dump *d)
{
    for (unsigned i = 0; i < 64; i++)
        d->q[i] = m ^ ((uint64_t)i << 56) ^ i;
    d->fpsr = REGSPY_FPSR_BITS;
    d->fpcr = REGSPY_FPCR_BITS;
    d->tpidr_el0 = m;
    d->tpidrro_el0 = 0; /* read-only at EL0: stays whatever VTL1 set (0) */
    d->gp_changed = 0;
}
#endif
