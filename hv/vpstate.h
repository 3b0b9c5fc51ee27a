/* vpstate.h: the per-VP state machine of VTL1 (EL2): what VTL1 is doing on
 * one virtual processor, and which VTL runs there. vpstate.c holds the one
 * transition table; the Promela model (model/vp.pml) is checked against it
 * (tests/qemu/test_model.py, model/check_tables.py), docs/smp.md draws it. */
#ifndef OVBS_HV_VPSTATE_H
#define OVBS_HV_VPSTATE_H
#include <stdbool.h>

enum vtl1_state {
    VTL1_OFF,          /* VTL1 not enabled on this VP: CPU_ON is refused */
    VTL1_ENABLED,      /* enabled (OVBS_ENABLE_VP_VTL), the VP powered off */
    VTL1_BOOTING,      /* the VP runs VTL1 first; VTL0 has not started */
    VTL1_IDLE,         /* VTL0 runs; VTL1 waits in OVBS_VTL_RETURN */
    VTL1_IN_CALL,      /* VTL1 handles a VtlCall */
    VTL1_PREEMPTED,    /* that call was interrupted for VTL0; only the same
                        * VtlCall on the same VP resumes it */
    VTL1_IN_INTERCEPT, /* VTL1 decides about a VTL0 protection violation */
    VTL1_IN_INTERRUPT, /* VTL1 handles its own interrupt */
    VTL1_IN_NESTED_INTERCEPT, /* VTL1 decides about a protection violation
                               * VTL0 made while a call of this VP is
                               * preempted; the call stays preempted */
    VTL1_STATE_COUNT
};

enum vp_event {
    VPE_BOOT,          /* the boot CPU enters the secure kernel */
    VPE_ENABLE,        /* VTL1 enables itself on a VP */
    VPE_CPU_ON,        /* VTL0 starts the VP (PSCI CPU_ON) */
    VPE_START_FAILED,  /* firmware did not start the CPU, or VTL1 declined it */
    VPE_READY,         /* VTL1 set the VP up: VTL0 starts */
    VPE_CALL,          /* VTL0's VtlCall */
    VPE_PREEMPT,       /* an interrupt for VTL0 stops the call */
    VPE_RESUME,        /* VTL0 re-issues the preempted VtlCall */
    VPE_INTERCEPT,     /* VTL0 broke a protection */
    VPE_INTERRUPT,     /* VTL1's own timer fired while VTL0 ran */
    VPE_RETURN,        /* VTL1's VtlReturn */
    VPE_CPU_OFF,       /* VTL0 powers the VP off (PSCI CPU_OFF) */
    VP_EVENT_COUNT
};

struct vp_transition {
    enum vtl1_state from;
    enum vp_event event;
    enum vtl1_state to;
    const char *function; /* the C function that makes the step */
};

extern const struct vp_transition vp_transitions[];
extern const unsigned vp_transition_count;

/* The state `event` leads to from `from`, or -1 if the table has no such
 * transition (the event is refused and nothing changes). */
int vp_next_state(enum vtl1_state from, enum vp_event event);
const char *vtl1_state_name(enum vtl1_state s);

/* Which VTL runs on a VP in state s: 0, 1, or -1 (the VP is not running). */
int vtl1_state_running_vtl(enum vtl1_state s);
#endif
