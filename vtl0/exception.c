/* exception.c: the VTL0 test kernel's exception handling (EL1 of VTL0).
 * Faults at the probe instructions of entry.S are expected (the attack tests
 * provoke them) and resumed; exceptions from EL0 end the user program; any
 * other exception is a bug in this kernel and stops it with a report. Every
 * CPU keeps its own record and its own armed target (struct percpu). */
#include "arm64/sysreg.h"
#include "kernel.h"
#include "panic.h"


extern char probe_load_insn[], probe_store_insn[], probe_dc_zva_insn[];
extern char probe_msr_vttbr_insn[], probe_msr_hcr_insn[], probe_eret_target[];
extern char probe_mrs_actlr_insn[], probe_mrs_scxtnum_insn[], probe_sve_insn[], probe_sme_insn[];
extern char probe_sgi_insn[];

void expect_exec_fault(uint64_t target)
{
    this_cpu()->exec_target = target;
}

static void record(const struct frame *f)
{
    volatile struct fault_record *r = &this_cpu()->fault;
    r->esr = f->esr;
    r->far = f->far;
    r->elr = f->elr;
    r->count++;
}

static bool is_probe(uint64_t pc)
{
    return pc == (uint64_t)(uintptr_t)probe_load_insn ||
           pc == (uint64_t)(uintptr_t)probe_store_insn ||
           pc == (uint64_t)(uintptr_t)probe_dc_zva_insn ||
           pc == (uint64_t)(uintptr_t)probe_msr_vttbr_insn ||
           pc == (uint64_t)(uintptr_t)probe_msr_hcr_insn ||
           pc == (uint64_t)(uintptr_t)probe_mrs_actlr_insn ||
           pc == (uint64_t)(uintptr_t)probe_mrs_scxtnum_insn ||
           pc == (uint64_t)(uintptr_t)probe_sve_insn ||
           pc == (uint64_t)(uintptr_t)probe_sme_insn ||
           pc == (uint64_t)(uintptr_t)probe_sgi_insn;
}

static bool fixup_kernel_fault(struct frame *f)
{
    unsigned ec = ESR_EC(f->esr);
    if (is_probe(f->elr)) {
        record(f);
        f->elr += 4;
        f->x[0] = PROBE_FAULT_VALUE;
        return true;
    }
    struct percpu *c = this_cpu();
    if (c->exec_target && f->elr == c->exec_target && (ec == EC_IABT_CUR || ec == EC_UNKNOWN)) {
        record(f);
        c->exec_target = 0;
        f->elr = f->x[30]; /* back to probe_exec's caller */
        f->x[0] = PROBE_FAULT_VALUE;
        return true;
    }
    if (ec == EC_ILLEGAL_STATE && f->elr == (uint64_t)(uintptr_t)probe_eret_target) {
        record(f);
        f->elr += 4;
        f->spsr &= ~(uint64_t)PSR_IL;
        f->x[0] = PROBE_FAULT_VALUE;
        return true;
    }
    return false;
}

/* kind: 0 sync, 1 IRQ, 2 FIQ, 3 SError; +16 when taken from EL0. */
void vtl0_exception(struct frame *f, unsigned kind)
{
    unsigned ec = ESR_EC(f->esr);
    if (kind == 16) {
        record(f);
        if (ec == EC_SVC64)
            el0_return((long)f->x[0]);
        el0_return(-(long)(0x1000 + ec)); /* killed by exception class ec */
    }
    if (kind == 0 && fixup_kernel_fault(f))
        return;
    if (kind == 1) {
        vtl0_irq(f);
        return;
    }
    kprintf("VTL0 unexpected exception on CPU %u kind %u: %s (EC 0x%x) ESR 0x%lx FAR 0x%lx "
            "ELR 0x%lx\n", this_cpu()->index, kind, esr_class_name(ec), ec, f->esr, f->far,
            f->elr);
    panic("unexpected exception");
}
