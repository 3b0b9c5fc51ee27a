/* measure.h: boot-image measurement log (EL2). */
#ifndef OVBS_HV_MEASURE_H
#define OVBS_HV_MEASURE_H
#include <stdint.h>
#include "percpu.h"

void measure_image(const char *name, uint64_t base, const void *data, uint64_t size);
/* Hypercall OVBS_HV_MEASUREMENT (hvc.c's table). */
void call_measurement(struct guest_regs *regs);
void call_add_measurement(struct guest_regs *regs);
#endif
