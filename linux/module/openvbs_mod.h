/* SPDX-License-Identifier: GPL-2.0 */
/* openvbs_mod.h: what the files of openvbs.ko (EL1 of VTL0) share: the
 * secure-call helper, the status mapping and the kernel lock's entry points. */
#ifndef OPENVBS_MOD_H
#define OPENVBS_MOD_H
#include <linux/arm-smccc.h>
#include <linux/types.h>

/* linux/arm-smccc.h defines the SMCCC return values too, with the same
 * numbers: let the shared header's definitions stand. */
#undef SMCCC_RET_SUCCESS
#undef SMCCC_RET_NOT_SUPPORTED
#undef SMCCC_RET_NOT_REQUIRED
#undef SMCCC_RET_INVALID_PARAMETER
#include "openvbs/hvcall.h"
#include "openvbs/vsm.h"
#include "openvbs/trustlet.h"
#include "openvbs/linux_ioctl.h"

/* openvbs_main.c */
struct arm_smccc_res vtl_call(u64 service, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6);
long status_result(struct ovbs_ioc_head *head, u64 status);

/* kernel_lock.c */
int ovbs_kl_init(void);  /* the module notifier; the lock_kernel parameter's work */
void ovbs_kl_exit(void);
long ovbs_lock_kernel(struct ovbs_ioc_lock_kernel *a);
void ovbs_kl_stats(struct ovbs_ioc_stats *a);

#endif
