/* test_vpstate.c: host unit tests (cmocka) of the per-VP state machine's
 * table (hv/vpstate.c): the rules docs/smp.md states, checked against the
 * one table the hypervisor runs on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "vpstate.h"

/* Each (state, event) has at most one row: the machine is deterministic. */
static void test_table_is_deterministic(void **state)
{
    (void)state;
    for (unsigned i = 0; i < vp_transition_count; i++) {
        for (unsigned j = i + 1; j < vp_transition_count; j++) {
            assert_false(vp_transitions[i].from == vp_transitions[j].from &&
                         vp_transitions[i].event == vp_transitions[j].event);
        }
    }
}

/* CPU_ON only starts a VP whose VTL1 is enabled and which is off. */
static void test_cpu_on_needs_vtl1_enabled(void **state)
{
    (void)state;
    assert_int_equal(vp_next_state(VTL1_ENABLED, VPE_CPU_ON), VTL1_BOOTING);
    for (unsigned s = 0; s < VTL1_STATE_COUNT; s++) {
        if (s != VTL1_ENABLED)
            assert_int_equal(vp_next_state((enum vtl1_state)s, VPE_CPU_ON), -1);
    }
}

/* VTL1 runs first: the only way into a state where VTL0 runs is READY
 * from BOOTING (or back from VTL1's own work). */
static void test_vtl0_starts_only_after_vtl1(void **state)
{
    (void)state;
    for (unsigned i = 0; i < vp_transition_count; i++) {
        const struct vp_transition *t = &vp_transitions[i];
        if (vtl1_state_running_vtl(t->to) == 0 && vtl1_state_running_vtl(t->from) != 0)
            assert_true(t->from == VTL1_BOOTING ? t->event == VPE_READY
                                                : vtl1_state_running_vtl(t->from) == 1);
        if (t->from == VTL1_OFF || t->from == VTL1_ENABLED)
            assert_int_not_equal(vtl1_state_running_vtl(t->to), 0);
    }
}

/* CPU_OFF is refused unless VTL1 is idle there. */
static void test_cpu_off_only_when_idle(void **state)
{
    (void)state;
    assert_int_equal(vp_next_state(VTL1_IDLE, VPE_CPU_OFF), VTL1_ENABLED);
    for (unsigned s = 0; s < VTL1_STATE_COUNT; s++) {
        if (s != VTL1_IDLE)
            assert_int_equal(vp_next_state((enum vtl1_state)s, VPE_CPU_OFF), -1);
    }
}

/* A preempted call leaves PREEMPTED only by being resumed: no new call,
 * interrupt, return or CPU_OFF gets past it. An intercept enters VTL1 on
 * top of it (IN_NESTED_INTERCEPT), whose only way out is its VtlReturn,
 * back to the same preempted call. */
static void test_preempted_call_only_resumes(void **state)
{
    (void)state;
    for (unsigned e = 0; e < VP_EVENT_COUNT; e++) {
        int to = vp_next_state(VTL1_PREEMPTED, (enum vp_event)e);
        int want = e == VPE_RESUME ? VTL1_IN_CALL :
                   e == VPE_INTERCEPT ? VTL1_IN_NESTED_INTERCEPT : -1;
        assert_int_equal(to, want);
        to = vp_next_state(VTL1_IN_NESTED_INTERCEPT, (enum vp_event)e);
        assert_int_equal(to, e == VPE_RETURN ? VTL1_PREEMPTED : -1);
    }
    assert_int_equal(vp_next_state(VTL1_IN_CALL, VPE_PREEMPT), VTL1_PREEMPTED);
    assert_int_equal(vp_next_state(VTL1_IN_INTERCEPT, VPE_PREEMPT), -1);
    assert_int_equal(vp_next_state(VTL1_IN_INTERRUPT, VPE_PREEMPT), -1);
    assert_int_equal(vtl1_state_running_vtl(VTL1_IN_NESTED_INTERCEPT), 1);
}

/* Every state is a VP in exactly one VTL or not running; every row names
 * the C function that takes it. */
static void test_states_and_functions(void **state)
{
    (void)state;
    for (unsigned s = 0; s < VTL1_STATE_COUNT; s++) {
        int v = vtl1_state_running_vtl((enum vtl1_state)s);
        assert_true(v == -1 || v == 0 || v == 1);
        assert_string_not_equal(vtl1_state_name((enum vtl1_state)s), "?");
    }
    for (unsigned i = 0; i < vp_transition_count; i++)
        assert_non_null(vp_transitions[i].function);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_deterministic),
        cmocka_unit_test(test_cpu_on_needs_vtl1_enabled),
        cmocka_unit_test(test_vtl0_starts_only_after_vtl1),
        cmocka_unit_test(test_cpu_off_only_when_idle),
        cmocka_unit_test(test_preempted_call_only_resumes),
        cmocka_unit_test(test_states_and_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
