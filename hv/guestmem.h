/* guestmem.h: checked copies between hypervisor and guest memory (EL2). */
#ifndef OVBS_HV_GUESTMEM_H
#define OVBS_HV_GUESTMEM_H
#include <stdint.h>
#include "percpu.h"

#define GUESTMEM_MAX 4096 /* no call moves more than a page */

/* HV_STATUS_SUCCESS, or INVALID_PARAMETER (not that VTL's memory, bad
 * length) / ACCESS_DENIED (VTL0 page without the needed access). */
int guest_read(enum vtl vtl, uint64_t ipa, void *dst, uint64_t len);
int guest_write(enum vtl vtl, uint64_t ipa, const void *src, uint64_t len);
#endif
