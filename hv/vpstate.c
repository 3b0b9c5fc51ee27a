/* vpstate.c: the transition table of the per-VP state machine (EL2; also
 * built for the host tests). Every change of struct vp's vtl1 field goes
 * through vp_next_state, so this table is the machine: the Promela model
 * (model/vp.pml) carries the same rows and a test compares them. */
#include <stddef.h>
#include "vpstate.h"

const struct vp_transition vp_transitions[] = {
    /* from              event              to                 function */
    { VTL1_OFF,          VPE_BOOT,          VTL1_BOOTING,      "vtl_start" },
    { VTL1_OFF,          VPE_ENABLE,        VTL1_ENABLED,      "call_enable_vp_vtl" },
    { VTL1_BOOTING,      VPE_ENABLE,        VTL1_BOOTING,      "call_enable_vp_vtl" },
    { VTL1_ENABLED,      VPE_CPU_ON,        VTL1_BOOTING,      "psci_cpu_on" },
    { VTL1_BOOTING,      VPE_START_FAILED,  VTL1_ENABLED,      "psci_cpu_on" },
    { VTL1_BOOTING,      VPE_READY,         VTL1_IDLE,         "call_vtl1_vp_ready" },
    { VTL1_IDLE,         VPE_CALL,          VTL1_IN_CALL,      "call_vtl_call" },
    { VTL1_IN_CALL,      VPE_PREEMPT,       VTL1_PREEMPTED,    "vtl_preempt_for_vtl0" },
    { VTL1_PREEMPTED,    VPE_RESUME,        VTL1_IN_CALL,      "resume_preempted" },
    { VTL1_IDLE,         VPE_INTERCEPT,     VTL1_IN_INTERCEPT, "vtl_intercept" },
    { VTL1_IDLE,         VPE_INTERRUPT,     VTL1_IN_INTERRUPT, "vtl_shadow_timer_fired" },
    { VTL1_IN_CALL,      VPE_RETURN,        VTL1_IDLE,         "call_vtl_return" },
    { VTL1_IN_INTERCEPT, VPE_RETURN,        VTL1_IDLE,         "call_vtl_return" },
    { VTL1_IN_INTERRUPT, VPE_RETURN,        VTL1_IDLE,         "call_vtl_return" },
    { VTL1_IDLE,         VPE_CPU_OFF,       VTL1_ENABLED,      "psci_cpu_off" },
    { VTL1_PREEMPTED,    VPE_INTERCEPT,     VTL1_IN_NESTED_INTERCEPT, "vtl_intercept" },
    { VTL1_IN_NESTED_INTERCEPT, VPE_RETURN, VTL1_PREEMPTED,    "call_vtl_return" },
};
const unsigned vp_transition_count = sizeof(vp_transitions) / sizeof(vp_transitions[0]);

int vp_next_state(enum vtl1_state from, enum vp_event event)
{
    for (unsigned i = 0; i < vp_transition_count; i++) {
        if (vp_transitions[i].from == from && vp_transitions[i].event == event)
            return (int)vp_transitions[i].to;
    }
    return -1;
}

static const char *const names[VTL1_STATE_COUNT] = {
    "off", "enabled", "booting", "idle", "in-call", "preempted", "in-intercept", "in-interrupt",
    "in-nested-intercept",
};

const char *vtl1_state_name(enum vtl1_state s)
{
    return (unsigned)s < VTL1_STATE_COUNT ? names[s] : "?";
}

int vtl1_state_running_vtl(enum vtl1_state s)
{
    switch (s) {
    case VTL1_IDLE:
    case VTL1_PREEMPTED:
        return 0;
    case VTL1_BOOTING:
    case VTL1_IN_CALL:
    case VTL1_IN_INTERCEPT:
    case VTL1_IN_INTERRUPT:
    case VTL1_IN_NESTED_INTERCEPT:
        return 1;
    default:
        return -1;
    }
}
