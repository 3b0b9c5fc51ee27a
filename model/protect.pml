/* protect.pml: Promela model of the protection-change protocol (spin): VTL1
 * changes VTL0's stage-2 access to a page while other CPUs and a DMA device
 * keep accessing it. A model of the protocol, not of the C; docs/smp-model.md.
 *
 * Bounds (set with -D; `make verify` runs these three, each an exhaustive
 * search of the model so bounded):
 *   NCPU=2 PAGES=1 CHANGES=2  2 CPUs, each makes up to 2 changes
 *   NCPU=2 PAGES=2 CHANGES=1  2 CPUs, 2 pages, up to 1 change each
 *   NCPU=3 PAGES=1 CHANGES=1  3 CPUs, up to 1 change each
 * Accesses are not bounded: every CPU not changing a protection and the
 * device access the page(s) as often as they like. Rights are R and W; a
 * change sets any of the four masks.
 *
 * What the model assumes of the hardware (Arm ARM, SMMUv3 spec):
 *   - A TLB entry, once filled, is used until an invalidation has completed
 *     on that CPU; a broadcast TLBI completes on every PE when the issuing
 *     PE's following DSB ISH completes, and that DSB also waits for every
 *     memory access that was translated with an invalidated entry.
 *   - Two kinds of CPU entry: stage-2-only (IPA -> PA, dropped by TLBI
 *     IPAS2E1IS) and combined stage 1+2 (tagged by VA, dropped only by TLBI
 *     VMALLE1IS). A combined entry may be refilled from a stage-2 entry.
 *   - A store to a descriptor is seen by table walkers only once it has
 *     drained; DSB ISHST drains it before the TLBI is issued.
 *   - The SMMU consumes CMD_TLBI_NH_ASID asynchronously; CMD_SYNC completes
 *     only after the invalidation and the transactions that used the old
 *     entries have completed.
 *
 * Mutants (exactly one -D, each must make spin report an assertion
 * violation; `make verify` requires that), with the counterexample spin
 * finds (CPU 0 revokes W while CPU 1 or the device uses it):
 *   NO_TLBI       both TLBIs dropped: CPU 1's TLB keeps W after the call
 *                 returned, and its next write lands with it
 *   LOCAL_TLBI    TLBI IPAS2E1 / VMALLE1 without IS, only CPU 0's TLB: a
 *                 write CPU 1 checked before the change lands after it
 *                 (the DSB does not wait for CPU 1), or CPU 1's stale entry
 *   NO_VMALLE1    TLBI VMALLE1IS dropped: CPU 1's combined stage 1+2 entry
 *                 still says W
 *   NO_DSB_ISHST  the descriptor store drains after the TLBI completed: CPU
 *                 1 walks the old descriptor into its stage-2 entry in
 *                 between, refills its combined entry from it after the
 *                 VMALLE1IS, and keeps W
 *   NO_SYNC_WAIT  CMD_SYNC is issued but not waited for: a DMA write
 *                 translated before the change lands after the call returned
 * and two that weaken the hardware instead, to show the model's in-flight
 * accesses matter (the protocol relies on both guarantees):
 *   WEAK_DSB      DSB ISH does not wait for accesses that used old entries
 *   WEAK_SYNC     CMD_SYNC does not wait for DMA that used old entries
 */

#ifndef NCPU
#define NCPU 2
#endif
#ifndef PAGES
#define PAGES 1
#endif
#ifndef CHANGES
#define CHANGES 2
#endif

#define R 1            /* access rights, as OVBS_ACC_* */
#define W 2
#define ALL 3
#define NONE 4         /* a TLB slot with no entry */
#define RW_INIT ALL    /* boot maps VTL0 RAM read-write */

#define T(c, p) ((c) * PAGES + (p)) /* one CPU's TLB slot for a page */
/* No CPU has an access in flight that was translated by an entry an
 * invalidation has since dropped (written out: the model has 2 or 3 CPUs). */
#ifndef WEAK_DSB
#define OLD_ACCESSES_DONE (!infl_old[0] && !infl_old[1] && (NCPU < 3 || !infl_old[NCPU - 1]))
#else
#define OLD_ACCESSES_DONE true
#endif

/* ---- the shared state ---------------------------------------------------- */
byte pte[PAGES] = RW_INIT;       /* VTL0's stage-2 leaf, as walkers see it */
byte sb_val;                     /* a descriptor store not yet drained */
byte sb_page;
bool sb_pend;
byte smmu_pte[PAGES] = RW_INIT;  /* the SMMU's leaf for the same page */

byte s2tlb[NCPU * PAGES] = NONE; /* stage-2-only entries */
byte ctlb[NCPU * PAGES] = NONE;  /* combined stage 1+2 entries */
bool s2_pend[NCPU * PAGES];      /* IPAS2E1IS issued, not yet completed */
bool c_pend[NCPU];               /* VMALLE1IS issued, not yet completed */

byte infl_page[NCPU];            /* an access that passed its check */
byte infl_right[NCPU];           /* ... and the right it uses (0: none) */
bool infl_old[NCPU];             /* ... translated before an invalidation */

byte iotlb[PAGES] = NONE;        /* the SMMU's IOTLB */
byte dinfl_page;
byte dinfl_right;
bool dinfl_old;
bool cmd_tlbi;                   /* CMD_TLBI_NH_ASID in the queue */
bool cmd_sync;                   /* CMD_SYNC in the queue, not completed */

byte prot_lock;                  /* 0, or the holder's CPU number + 1 */

/* Ghost state for the invariant: the rights on each page that a completed
 * change revoked and no change has granted since. Boot counts as a
 * completed change that granted RW. */
byte denied[PAGES];

/* ---- steps shared by the CPUs -------------------------------------------- */

/* Look up page p's stage-2 permission on CPU c into perm, filling the TLB
 * (a walk may use a stage-2-only entry; the model always caches, which is
 * the most a TLB can keep stale; dropping entries early never hurts). */
inline lookup(c, p, perm) {
    if
    :: ctlb[T(c, p)] != NONE -> perm = ctlb[T(c, p)]
    :: else ->
        if
        :: s2tlb[T(c, p)] == NONE -> s2tlb[T(c, p)] = pte[p]
        :: else -> skip
        fi;
        ctlb[T(c, p)] = s2tlb[T(c, p)];
        perm = ctlb[T(c, p)]
    fi
}

/* Complete the invalidations issued to every CPU (what the issuer's DSB ISH
 * waits for): entries dropped, and the accesses in flight on that CPU marked
 * as translated before the invalidation, so the DSB waits for them too. */
inline complete_tlbis() {
    d_step {
        k = 0;
        do
        :: k < NCPU * PAGES ->
            if
            :: s2_pend[k] -> s2tlb[k] = NONE; s2_pend[k] = false;
                if :: infl_right[k / PAGES] != 0 -> infl_old[k / PAGES] = true
                   :: else -> skip fi
            :: else -> skip
            fi;
            k++
        :: else -> break
        od;
        k = 0;
        do
        :: k < NCPU ->
            if
            :: c_pend[k] ->
                j = 0;
                do
                :: j < PAGES -> ctlb[T(k, j)] = NONE; j++
                :: else -> break
                od;
                c_pend[k] = false;
                if :: infl_right[k] != 0 -> infl_old[k] = true
                   :: else -> skip fi
            :: else -> skip
            fi;
            k++
        :: else -> break
        od;
        k = 0; j = 0
    }
}

/* A pending descriptor store becomes visible to walkers; rights it grants
 * are allowed from now on. */
inline drain_store() {
    d_step {
        if
        :: sb_pend -> pte[sb_page] = sb_val; denied[sb_page] = denied[sb_page] & ~sb_val;
            sb_pend = false
        :: else -> skip
        fi
    }
}

/* DSB ISH after a TLBI: the invalidations and the stores complete (in
 * either order: the worst one is modelled, invalidations first), then the
 * CPU waits until no access that used an old entry is still in flight. */
inline dsb_ish() {
    complete_tlbis();
    drain_store();
    OLD_ACCESSES_DONE
}

/* One protection change by CPU c on page p to mask m: hv/vtl.c
 * apply_vtl0_access and what it calls, in order. */
inline change(c, p, m) {
    /* apply_vtl0_access: spin_lock(&prot_lock) */
    atomic { prot_lock == 0 -> prot_lock = c + 1 };
    old = smmu_pte[p];  /* the previous mask (both tables agree here) */

    /* stage2_map -> lib/arm64/pgtable.c replace_entry: the leaf rewritten
     * in place (same output address, only the permissions change) */
    atomic { sb_val = m; sb_page = p; sb_pend = true };

    /* hv/stage2.c s2_invalidate: DSB ISHST */
#ifndef NO_DSB_ISHST
    drain_store();
#endif

#ifndef NO_TLBI
    /* s2_invalidate: TLBI IPAS2E1IS (LOCAL_TLBI: IPAS2E1, this CPU only) */
    d_step {
        k = 0;
        do
        :: k < NCPU ->
#ifdef LOCAL_TLBI
            if :: k == c -> s2_pend[T(k, p)] = true :: else -> skip fi;
#else
            s2_pend[T(k, p)] = true;
#endif
            k++
        :: else -> k = 0; break
        od
    }
#endif
    /* s2_invalidate: DSB ISH */
    dsb_ish();

#if !defined(NO_TLBI) && !defined(NO_VMALLE1)
    /* s2_invalidate: TLBI VMALLE1IS (LOCAL_TLBI: VMALLE1) */
    d_step {
        k = 0;
        do
        :: k < NCPU ->
#ifdef LOCAL_TLBI
            if :: k == c -> c_pend[k] = true :: else -> skip fi;
#else
            c_pend[k] = true;
#endif
            k++
        :: else -> k = 0; break
        od
    }
#endif
    /* s2_invalidate: DSB ISH */
    dsb_ish();

    /* hv/smmu.c smmu_set_vtl0_access: pt_map / pt_unmap of the SMMU's leaf */
    smmu_pte[p] = m;
    /* smmu_set_vtl0_access -> tlb_invalidate: CMD_TLBI_NH_ASID, CMD_SYNC */
    atomic { cmd_tlbi = true; cmd_sync = true };
#ifndef NO_SYNC_WAIT
    /* tlb_invalidate -> cmdq_sync: poll until CMD_SYNC has completed */
    !cmd_sync;
#endif

    /* The change is complete: what it revoked must not be used again. The
     * model checks this from here, before spin_unlock and the return to
     * VTL1, which is the stronger claim (a change that takes the lock next
     * may grant the right again, and then it is allowed). */
    d_step { denied[p] = denied[p] | (old & ~m); old = 0 };
    /* apply_vtl0_access: spin_unlock(&prot_lock); the call returns to VTL1 */
    prot_lock = 0
}

/* ---- the processes ------------------------------------------------------- */

/* A CPU: VTL0 accesses (check, then land), TLB refills at any time, and up
 * to CHANGES protection changes made for VTL1 (when VTL0 does not run). */
proctype cpu(byte c) {
    byte p, r, perm, m, old, k, j, n = 0;
end:
    do
    :: /* VTL0 access: the check (stage-2 permission from TLB or walk) ... */
        atomic {
            select(p : 0 .. PAGES - 1);
            if :: r = R :: r = W fi;
            lookup(c, p, perm);
            if
            :: perm & r -> infl_page[c] = p; infl_right[c] = r
            :: else -> skip /* stage-2 permission fault: nothing lands */
            fi;
            p = 0; r = 0; perm = 0
        };
        /* ... and, any time later, it lands */
        d_step {
            assert(!(denied[infl_page[c]] & infl_right[c]));
            infl_page[c] = 0; infl_right[c] = 0; infl_old[c] = false
        }
    :: /* a table walk that fills the TLB without an access */
        atomic { select(p : 0 .. PAGES - 1); lookup(c, p, perm); p = 0; perm = 0 }
    :: n < CHANGES ->
        /* VTL1 on this CPU: OVBS_MODIFY_VTL_PROTECTION_MASK */
        atomic { select(p : 0 .. PAGES - 1); select(m : 0 .. ALL) };
        change(c, p, m);
        p = 0; m = 0; n++
    od
}

/* A device behind the SMMU: DMA accesses, each translated through the
 * IOTLB (or a walk of the SMMU's table), then landing some time later. */
active proctype device() {
    byte p, r;
end:
    do
    :: atomic {
            select(p : 0 .. PAGES - 1);
            if :: r = R :: r = W fi;
            if :: iotlb[p] == NONE -> iotlb[p] = smmu_pte[p] :: else -> skip fi;
            if
            :: iotlb[p] & r -> dinfl_page = p; dinfl_right = r
            :: else -> skip /* translation fault: the SMMU records an event */
            fi;
            p = 0; r = 0
        };
        d_step {
            assert(!(denied[dinfl_page] & dinfl_right));
            dinfl_page = 0; dinfl_right = 0; dinfl_old = false
        }
    od
}

/* The SMMU's command queue, consumed in order while the device runs. */
active proctype smmu() {
    byte k;
end:
    do
    :: /* CMD_TLBI_NH_ASID: every entry of VTL0's ASID */
        atomic {
            cmd_tlbi ->
            k = 0;
            do
            :: k < PAGES -> iotlb[k] = NONE; k++
            :: else -> k = 0; break
            od;
            if :: dinfl_right != 0 -> dinfl_old = true :: else -> skip fi;
            cmd_tlbi = false
        }
    :: /* CMD_SYNC: completes after the TLBI and the DMA that used old entries */
#ifndef WEAK_SYNC
        atomic { cmd_sync && !cmd_tlbi && !dinfl_old -> cmd_sync = false }
#else
        atomic { cmd_sync && !cmd_tlbi -> cmd_sync = false }
#endif
    od
}

init {
    byte i;
    atomic {
        i = 0;
        do
        :: i < PAGES -> denied[i] = ALL & ~RW_INIT; i++
        :: else -> break
        od;
        i = 0;
        do
        :: i < NCPU -> run cpu(i); i++
        :: else -> break
        od
    }
}
