/* smp_tests.h: the multiprocessor tests of the VTL0 test kernel (EL1 of
 * VTL0) and what smp_tests.c shares with the stress run (stress.c). */
#ifndef OVBS_VTL0_SMP_TESTS_H
#define OVBS_VTL0_SMP_TESTS_H
#include <stdbool.h>
#include <stdint.h>
#include "kernel.h"

/* The secure kernel's answer for a trustlet instance in use on another
 * CPU; vsm.h gets it with the secure kernel's SMP work. */
#ifndef HV_STATUS_BUSY
#define HV_STATUS_BUSY 0x0101
#endif

#define STORE_MARKER 0x5707e5707e57ull

extern const struct test smp_tests[];
extern const unsigned num_smp_tests;

struct barrier {
    unsigned count, gen;
};
void barrier_wait(struct barrier *b, unsigned n);
void smp_sev(void);
void smp_wfe(void);
bool need_cpus(void); /* four CPUs online, or note() why not */
bool run_on_cpus(unsigned n, uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t *results,
                 uint64_t timeout);
uint64_t event_next(bool sk);               /* next sequence number of the ring */
uint64_t event_count(bool sk, unsigned kind);
uint64_t protect_read_only(uint64_t gpa);   /* SC_PROTECT of one page: status */
uint64_t protect_writable(uint64_t gpa);
uint64_t store_marker(uint64_t gpa);        /* 1 if STORE_MARKER was stored */
uint64_t sweep_pages(void);                 /* the top 2 MiB of VTL0 RAM, no one's */
/* The hypervisor's counts for a VP (OVBS_HV_VP_STATS): calls preempted for
 * VTL0, yields after a deferral, preemptions deferred. */
struct vp_stats {
    uint64_t preemptions, yields, deferred;
};
struct vp_stats vp_stats(unsigned vp);
/* Trustlet calls with this CPU's own reply buffer. */
uint64_t smp_load_echo(void);
struct hv_result smp_tl_invoke(uint64_t session, uint64_t cmd, const void *in, uint64_t len);
bool smp_tl_echoed(struct hv_result r, const uint8_t *in, uint64_t len);

bool t_smp_stress(void);
/* smp_gic_tests.c: an SGI while the same is active; more SGIs than list
 * registers. */
bool t_smp_sgi_while_active(void);
bool t_smp_sgi_overflow(void);
/* smp_vtl1_tests.c: a trustlet's budget while VTL0 holds its call; two VPs
 * changing one page at once; another VP's change aimed inside a protect, a
 * copy out and a load. */
bool t_tl_budget_excludes_preemption(void);
bool t_smp_protect_record_race(void);
bool t_smp_copy_out_race(void);
bool t_smp_rollback_race(void);
bool t_smp_protect_race(void);                    /* stress.c, the make-test size */
bool smp_stress(uint64_t ops, uint64_t seed);
bool stress_command(const char *arg);
/* Per-CPU instructions retired (PMU event 0x08), bench.c. */
void pmu_insn_start(bool count_el2);
uint64_t pmu_insn_read(void);
#endif
