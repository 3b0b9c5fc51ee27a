/* stdint.h: shim for the Linux module (EL1 of VTL0): the shared headers of
 * include/openvbs/ use <stdint.h>, which the kernel has no copy of. */
#ifndef OPENVBS_SHIM_STDINT_H
#define OPENVBS_SHIM_STDINT_H
#include <linux/types.h> /* uint8_t .. uint64_t, uintptr_t */
#endif
