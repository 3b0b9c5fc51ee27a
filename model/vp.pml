/* vp.pml: Promela model of the per-VP VTL state machine (spin): what VTL1 is
 * doing on each virtual processor, driven by VTL0 and VTL1 on every VP at
 * once. The ROW lines are hv/vpstate.c's vp_transitions[] (model/check_tables.py
 * compares them); docs/smp-model.md says what is and is not modelled.
 *
 * Bounds: NVP=2 and NVP=3 (-D), both exhaustive. Events are unbounded: the
 * state space is finite without a bound (a few states per VP and ghosts).
 * Invariants: assertions in step (one VTL per running VP, VTL0 only after
 * READY) and after each request (what the table must refuse).
 *
 * Who may do what, on VP v (VtlCall, VtlReturn, CPU_OFF and the VP-ready
 * call act on the VP they arrive on, current_vp(); CPU_ON and
 * OVBS_ENABLE_VP_VTL name a target VP):
 *   VTL0 running on v: VtlCall (v's own, new or resuming v's preempted
 *     call; or one with the PC and SP of the call preempted on another
 *     VP), CPU_OFF of v, CPU_ON of another VP, a protection violation
 *     (intercept), VTL1's own timer firing.
 *   VTL1 running on v: VtlReturn, the VP-ready call, being preempted for
 *     VTL0 (in a call), enabling VTL1 on another VP (OFF) or on v (BOOTING).
 * Each table step is atomic: the C takes it on the VP's own CPU or under
 * the VP's lock (docs/smp.md, "Who may step which VP").
 *
 * Mutants (one -D; each must make spin report an assertion violation):
 *   CROSS_VP       the hypervisor finds a preempted call by its PC and SP on
 *                  any VP: VTL0 on one VP resumes another VP's call
 *   PREEMPTED_OFF  a row that lets CPU_OFF through while a call is preempted
 *   ON_WHEN_OFF    a row that lets CPU_ON start a VP VTL1 never enabled
 *   NESTED_DROPS_CALL  the VtlReturn of a nested intercept goes to idle:
 *                  the preempted call under it is lost
 */

#ifndef NVP
#define NVP 2
#endif

/* enum vtl1_state and enum vp_event (hv/vpstate.h), same names and order */
#define VTL1_OFF          0
#define VTL1_ENABLED      1
#define VTL1_BOOTING      2
#define VTL1_IDLE         3
#define VTL1_IN_CALL      4
#define VTL1_PREEMPTED    5
#define VTL1_IN_INTERCEPT 6
#define VTL1_IN_INTERRUPT 7
#define VTL1_IN_NESTED_INTERCEPT 8

#define VPE_BOOT          0
#define VPE_ENABLE        1
#define VPE_CPU_ON        2
#define VPE_START_FAILED  3
#define VPE_READY         4
#define VPE_CALL          5
#define VPE_PREEMPT       6
#define VPE_RESUME        7
#define VPE_INTERCEPT     8
#define VPE_INTERRUPT     9
#define VPE_RETURN        10
#define VPE_CPU_OFF       11

/* vtl1_state_running_vtl (hv/vpstate.c): 0, 1, or -1 (not running) */
#define RUNS_VTL0(s) ((s) == VTL1_IDLE || (s) == VTL1_PREEMPTED)
#define RUNS_VTL1(s) ((s) == VTL1_BOOTING || (s) == VTL1_IN_CALL || \
                      (s) == VTL1_IN_INTERCEPT || (s) == VTL1_IN_INTERRUPT || \
                      (s) == VTL1_IN_NESTED_INTERCEPT)

byte state[NVP];   /* struct vp's vtl1 field, one per VP */
bool starting[NVP]; /* psci_cpu_on has set BOOTING and waits for firmware */

/* Scratch for one atomic step (the state before it, whether the table
 * had a row, ...): hidden, so not part of the state spin stores. */
hidden byte prev;
hidden byte ok;  /* a bool: spin cannot hide bit variables */
hidden byte at;  /* the VP a VtlCall is handled on */
hidden byte before;

/* Ghost state for the invariants. */
bool ready[NVP];   /* VTL1 reached READY since the VP last started */
byte call[NVP];    /* the VtlCall in progress or preempted on the VP (its
                    * PC and SP): 0 none, else 1 + the VP it was first
                    * made on */

/* The transition table: the only code that changes state[] (check_tables.py
 * checks that too), as vp_next_state(state[w], e): done is false and nothing
 * changes when the table has no row. */
inline step(w, e, done) {
    prev = state[w];
    done = true;
    if
    :: prev == VTL1_OFF && e == VPE_BOOT -> state[w] = VTL1_BOOTING                      /* ROW: VTL1_OFF VPE_BOOT VTL1_BOOTING vtl_start */
    :: prev == VTL1_OFF && e == VPE_ENABLE -> state[w] = VTL1_ENABLED                    /* ROW: VTL1_OFF VPE_ENABLE VTL1_ENABLED call_enable_vp_vtl */
    :: prev == VTL1_BOOTING && e == VPE_ENABLE -> state[w] = VTL1_BOOTING                /* ROW: VTL1_BOOTING VPE_ENABLE VTL1_BOOTING call_enable_vp_vtl */
    :: prev == VTL1_ENABLED && e == VPE_CPU_ON -> state[w] = VTL1_BOOTING                /* ROW: VTL1_ENABLED VPE_CPU_ON VTL1_BOOTING psci_cpu_on */
    :: prev == VTL1_BOOTING && e == VPE_START_FAILED -> state[w] = VTL1_ENABLED          /* ROW: VTL1_BOOTING VPE_START_FAILED VTL1_ENABLED psci_cpu_on */
    :: prev == VTL1_BOOTING && e == VPE_READY -> state[w] = VTL1_IDLE                    /* ROW: VTL1_BOOTING VPE_READY VTL1_IDLE call_vtl1_vp_ready */
    :: prev == VTL1_IDLE && e == VPE_CALL -> state[w] = VTL1_IN_CALL                     /* ROW: VTL1_IDLE VPE_CALL VTL1_IN_CALL call_vtl_call */
    :: prev == VTL1_IN_CALL && e == VPE_PREEMPT -> state[w] = VTL1_PREEMPTED             /* ROW: VTL1_IN_CALL VPE_PREEMPT VTL1_PREEMPTED vtl_preempt_for_vtl0 */
    :: prev == VTL1_PREEMPTED && e == VPE_RESUME -> state[w] = VTL1_IN_CALL              /* ROW: VTL1_PREEMPTED VPE_RESUME VTL1_IN_CALL resume_preempted */
    :: prev == VTL1_IDLE && e == VPE_INTERCEPT -> state[w] = VTL1_IN_INTERCEPT           /* ROW: VTL1_IDLE VPE_INTERCEPT VTL1_IN_INTERCEPT vtl_intercept */
    :: prev == VTL1_IDLE && e == VPE_INTERRUPT -> state[w] = VTL1_IN_INTERRUPT           /* ROW: VTL1_IDLE VPE_INTERRUPT VTL1_IN_INTERRUPT vtl_shadow_timer_fired */
    :: prev == VTL1_IN_CALL && e == VPE_RETURN -> state[w] = VTL1_IDLE                   /* ROW: VTL1_IN_CALL VPE_RETURN VTL1_IDLE call_vtl_return */
    :: prev == VTL1_IN_INTERCEPT && e == VPE_RETURN -> state[w] = VTL1_IDLE              /* ROW: VTL1_IN_INTERCEPT VPE_RETURN VTL1_IDLE call_vtl_return */
    :: prev == VTL1_IN_INTERRUPT && e == VPE_RETURN -> state[w] = VTL1_IDLE              /* ROW: VTL1_IN_INTERRUPT VPE_RETURN VTL1_IDLE call_vtl_return */
    :: prev == VTL1_IDLE && e == VPE_CPU_OFF -> state[w] = VTL1_ENABLED                  /* ROW: VTL1_IDLE VPE_CPU_OFF VTL1_ENABLED psci_cpu_off */
    :: prev == VTL1_PREEMPTED && e == VPE_INTERCEPT -> state[w] = VTL1_IN_NESTED_INTERCEPT /* ROW: VTL1_PREEMPTED VPE_INTERCEPT VTL1_IN_NESTED_INTERCEPT vtl_intercept */
#ifndef NESTED_DROPS_CALL
    :: prev == VTL1_IN_NESTED_INTERCEPT && e == VPE_RETURN -> state[w] = VTL1_PREEMPTED  /* ROW: VTL1_IN_NESTED_INTERCEPT VPE_RETURN VTL1_PREEMPTED call_vtl_return */
#else
    :: prev == VTL1_IN_NESTED_INTERCEPT && e == VPE_RETURN -> state[w] = VTL1_IDLE       /* MUTANT: the preempted call is lost */
#endif
#ifdef PREEMPTED_OFF
    :: prev == VTL1_PREEMPTED && e == VPE_CPU_OFF -> state[w] = VTL1_ENABLED             /* MUTANT: off while a call waits */
#endif
#ifdef ON_WHEN_OFF
    :: prev == VTL1_OFF && e == VPE_CPU_ON -> state[w] = VTL1_BOOTING                    /* MUTANT: start without VTL1 */
#endif
    :: else -> done = false
    fi;
    /* ghosts: VTL0 may run only after READY since the VP's last start */
    if
    :: done && e == VPE_READY -> ready[w] = true
    :: done && (state[w] == VTL1_OFF || state[w] == VTL1_ENABLED || state[w] == VTL1_BOOTING) ->
        ready[w] = false
    :: else -> skip
    fi;
    /* exactly one VTL on a VP that runs, none on one that does not */
    assert(RUNS_VTL0(state[w]) + RUNS_VTL1(state[w]) ==
           (state[w] != VTL1_OFF && state[w] != VTL1_ENABLED));
    assert(!RUNS_VTL0(state[w]) || ready[w])
}

/* call_vtl_call (hv/vtl.c), for a VtlCall that VTL0 on VP v makes with the
 * PC and SP of the call VP t made (t == v: v's own; t != v: VTL0 re-issues,
 * from v, a call that is preempted on t). The hypervisor handles it on the
 * VP it arrived on (current_vp()); CROSS_VP, a mutant, finds the preempted
 * call by its PC and SP on whichever VP holds it. */
inline vtl_call(v, t) {
    at = v;
#ifdef CROSS_VP
    if :: state[t] == VTL1_PREEMPTED -> at = t :: else -> skip fi;
#endif
    step(at, VPE_CALL, ok);
    if
    :: ok -> call[at] = t + 1 /* a new call there (enter_vtl1) */
    :: !ok && state[at] == VTL1_PREEMPTED && call[at] == t + 1 ->
        /* resume_preempted: the same PC and SP */
        step(at, VPE_RESUME, ok); assert(ok);
        assert(at == v) /* a preempted call is resumed only on its own VP */
    :: else -> skip /* refuse_vtl_call: busy, or VTL1 not there */
    fi;
    at = 0
}

proctype vp(byte v) {
    byte t;
    bool mine; /* this VP's CPU_ON of t waits for the firmware */
end:
    do
    /* ---- VTL0 runs on v ---- */
    :: atomic { RUNS_VTL0(state[v]) ->
        /* VtlCall: v's own call (new, or resuming its preempted one), or
         * one that repeats the call preempted on another VP t */
        select(t : 0 .. NVP - 1);
        before = state[t];
        vtl_call(v, t);
        /* another VP's preempted call is still preempted there */
        assert(t == v || before != VTL1_PREEMPTED || state[t] == VTL1_PREEMPTED);
        before = 0;
        t = 0 }
    :: atomic { RUNS_VTL0(state[v]) ->
        /* psci_cpu_off (vtl_vp_power_off) of v itself: only when VTL1 is
         * idle there */
        step(v, VPE_CPU_OFF, ok);
        assert(ok == (prev == VTL1_IDLE)) }
    :: atomic { RUNS_VTL0(state[v]) ->
        /* psci_cpu_on (vtl_vp_power_on) of another VP t: refused unless
         * VTL1 was enabled there and the VP is off */
        select(t : 0 .. NVP - 1);
        if
        :: t != v ->
            step(t, VPE_CPU_ON, ok);
            assert(ok == (prev == VTL1_ENABLED));
            if :: ok -> starting[t] = true; mine = true :: else -> skip fi
        :: else -> skip /* itself: PSCI ALREADY_ON */
        fi };
        if
        :: mine ->
            atomic {
                if
                :: skip /* the firmware started the CPU: VTL1 runs first */
                :: step(t, VPE_START_FAILED, ok); assert(ok) /* vtl_vp_power_on_failed */
                fi;
                starting[t] = false; mine = false
            }
        :: else -> skip
        fi;
        t = 0
    :: atomic { RUNS_VTL0(state[v]) ->
        /* vtl_intercept: VTL0 broke a protection. VTL1 is entered from
         * idle, and also while v's call is preempted: then on its own
         * entry, and the call stays preempted (nested intercept) */
        before = call[v];
        step(v, VPE_INTERCEPT, ok);
        assert(ok);
        assert(call[v] == before);
        before = 0 }
    :: atomic { RUNS_VTL0(state[v]) ->
        /* vtl_shadow_timer_fired: VTL1's own timer while VTL0 runs */
        step(v, VPE_INTERRUPT, ok) }

    /* ---- VTL1 runs on v (and the VP has started) ---- */
    :: atomic { RUNS_VTL1(state[v]) && !starting[v] ->
        /* call_vtl_return: VtlReturn ends a call, intercept or interrupt */
        step(v, VPE_RETURN, ok);
        assert(ok == (prev != VTL1_BOOTING));
        if :: ok && prev == VTL1_IN_CALL -> call[v] = 0 :: else -> skip fi;
        /* a call ends only by its own VtlReturn: one left preempted under
         * a nested intercept is preempted again after it */
        assert(state[v] != VTL1_IDLE || call[v] == 0);
        assert(prev != VTL1_IN_NESTED_INTERCEPT || state[v] == VTL1_PREEMPTED) }
    :: atomic { RUNS_VTL1(state[v]) && !starting[v] ->
        /* call_vtl1_vp_ready (vp_ready): VTL1 has set the VP up */
        step(v, VPE_READY, ok);
        assert(ok == (prev == VTL1_BOOTING)) }
    :: atomic { state[v] == VTL1_IN_CALL ->
        /* vtl_preempt_for_vtl0: an interrupt for VTL0 (or VTL1 yields) */
        step(v, VPE_PREEMPT, ok); assert(ok) }
    :: atomic { RUNS_VTL1(state[v]) && !starting[v] ->
        /* call_enable_vp_vtl: another VP only while VTL1 is off there,
         * its own only while it boots (the restart entry); then the table */
        select(t : 0 .. NVP - 1);
        if
        :: (t == v && state[t] == VTL1_BOOTING) || (t != v && state[t] == VTL1_OFF) ->
            step(t, VPE_ENABLE, ok); assert(ok)
        :: else -> skip /* HV_STATUS_INVALID_VP_STATE */
        fi;
        t = 0 }
    od
}

init {
    byte i;
    atomic {
        /* vtl_start: the boot CPU enters the secure kernel first */
        step(0, VPE_BOOT, ok);
        assert(ok);
        i = 0;
        do
        :: i < NVP -> run vp(i); i++
        :: else -> break
        od
    }
}
