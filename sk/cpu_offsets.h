/* cpu_offsets.h: where entry.S finds fields of struct sk_cpu (sk.h) through
 * TPIDR_EL1 (secure kernel, EL1 of VTL1). Plain numbers, so the assembler can
 * read them; sk.h checks each against offsetof. */
#ifndef OVBS_SK_CPU_OFFSETS_H
#define OVBS_SK_CPU_OFFSETS_H
#define SK_MAX_VPS       4     /* VPs this secure kernel runs on */
#define SK_STACK_SIZE    32768 /* each VP's own EL1 stack */
#define SK_NESTED_STACK_SIZE 8192 /* and its stack for nested intercepts */
#define SK_CPU_KCTX      64    /* offsetof(struct sk_cpu, kctx): after the assist */
#endif
