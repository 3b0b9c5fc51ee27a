/* fmt.h: a small printf for freestanding images (any EL). Supports %s %c %d
 * %i %u %x %X %p %% with l/ll/z length, '-' and '0' flags and a width. */
#ifndef OVBS_FMT_H
#define OVBS_FMT_H
#include <stdarg.h>
#include <stddef.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#endif
