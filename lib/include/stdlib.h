/* stdlib.h: the one stdlib function libfdt needs, for freestanding images. */
#ifndef OVBS_STDLIB_H
#define OVBS_STDLIB_H
#include <stddef.h>

unsigned long strtoul(const char *s, char **end, int base);
#endif
