/* measure.h: boot-image measurement log (EL2). */
#ifndef OVBS_HV_MEASURE_H
#define OVBS_HV_MEASURE_H
#include <stdint.h>
#include "percpu.h"

void measure_image(const char *name, uint64_t base, const void *data, uint64_t size);
int measure_copy_out(enum vtl caller, uint64_t index, uint64_t buf, uint64_t len);
#endif
