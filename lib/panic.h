/* panic.h: the fatal-error hook every image implements its own way (the
 * hypervisor stops the machine, a kernel stops itself). */
#ifndef OVBS_PANIC_H
#define OVBS_PANIC_H

_Noreturn void panic(const char *msg);
#endif
