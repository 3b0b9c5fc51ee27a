/* kernel_checks.h: vbsctl's checks and timings of Linux itself under the
 * kernel lock (kernel_checks.c; EL0 of VTL0). Each returns vbsctl's exit
 * code. */
#ifndef OVBS_VBSCTL_KERNEL_CHECKS_H
#define OVBS_VBSCTL_KERNEL_CHECKS_H
int cmd_bpf_check(void);
int cmd_bench_switch(unsigned long long rounds);
int cmd_bench_flip(unsigned long long rounds);
#endif
